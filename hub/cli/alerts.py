"""``gatewarden alerts test`` and ``gatewarden roster import|export``.

``alerts test`` sends one test message straight to every ``[[chat]]`` target (not through the
outbox) and prints what each service answered, so an installer can check addresses, secrets and
keywords on the spot.  ``roster import|export`` work whether or not the hub runs: they open the
hub database themselves and write in one ``BEGIN IMMEDIATE`` transaction.  A refused roster's bad
lines are printed in Chinese, or in English when ``GATEWARDEN_LANG=en`` or (that unset) the locale
starts with ``en`` (:func:`gwcommon.lang.choose`).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HELP_TEST = "send a test message to every [[chat]] target now and show what each answered"
HELP_IMPORT = "replace the duty roster with a CSV file (all or nothing)"
HELP_EXPORT = "write the duty roster as CSV (UTF-8 with BOM, Chinese headers)"


def register(subparsers: argparse._SubParsersAction) -> None:
    alerts = subparsers.add_parser("alerts", help="check the chat targets", description="Check the chat targets.")
    commands = alerts.add_subparsers(dest="alerts_command", metavar="ACTION", required=True)
    test = commands.add_parser("test", help=HELP_TEST, description=HELP_TEST + ". Exits 1 when any target failed.")
    test.add_argument("--config", type=Path,
                     help="the hub's config file (default: $GATEWARDEN_CONFIG or /etc/gatewarden/hub.toml)")
    test.set_defaults(func=run_test)
    roster = subparsers.add_parser("roster", help="import or export the duty roster",
                                   description="Import or export the duty roster.")
    actions = roster.add_subparsers(dest="roster_command", metavar="ACTION", required=True)
    imp = actions.add_parser("import", help=HELP_IMPORT, description=HELP_IMPORT + ". Every bad row is reported "
                             "with its line number; a file with any bad row changes nothing.")
    imp.add_argument("file", metavar="FILE", type=Path, help="CSV file (UTF-8, UTF-8 with BOM, or GB18030/GBK)")
    imp.add_argument("--config", type=Path,
                     help="the hub's config file (default: $GATEWARDEN_CONFIG or /etc/gatewarden/hub.toml)")
    imp.set_defaults(func=run_import)
    exp = actions.add_parser("export", help=HELP_EXPORT, description=HELP_EXPORT + ", to FILE or standard output.")
    exp.add_argument("file", metavar="FILE", type=Path, nargs="?", help="where to write (default: standard output)")
    exp.add_argument("--config", type=Path,
                     help="the hub's config file (default: $GATEWARDEN_CONFIG or /etc/gatewarden/hub.toml)")
    exp.set_defaults(func=run_export)


def run_test(args: argparse.Namespace) -> int:
    from gwcommon.clock import clock_from_env
    from hub.alerts.render import Context, Message, format_text
    from hub.alerts.targets import Part, make_targets
    from hub.config import load_hub_config

    from gwcommon.lang import choose
    from hub.cli.saying import say

    config = load_hub_config(args.config)
    lang = choose(environ=os.environ, configured=config.alerts.language)
    targets = make_targets(config.chat, timeout=config.alerts.http_timeout.total_seconds())
    if not targets:
        print(say("alerts.none", lang, config=args.config), file=sys.stderr)
        return 1
    now = clock_from_env().now()
    ctx = Context(lang=config.alerts.language, tz=config.site.tz, now=now)
    title = say("alerts.title", ctx.lang)
    body = (f"{config.site.name or config.site.id} {ctx.t(now)}",)
    failed = 0
    for target in targets:
        text = format_text(Message(title, body), limit=target.text_limit, lang=ctx.lang)
        verdict = target.send(Part("text", text=text, title=title, meta={
            "site": config.site.id, "kind": "notice", "severity": "info", "alert_id": 0, "resent": False}), now)
        target.close()
        if verdict.outcome == "ok":
            print(say("alerts.delivered", lang, name=target.name, kind=target.kind))
        else:
            failed += 1
            print(say("alerts.failed", lang, name=target.name, kind=target.kind, detail=verdict.detail or verdict.outcome,
                      advice=say(f"alerts.advice.{verdict.outcome}", lang)))
    return 1 if failed else 0


def run_import(args: argparse.Namespace) -> int:
    from hub.alerts import roster
    from hub.cli.common import report_bad_lines
    from hub.cli.common import run_for_command
    from hub.cli.saying import say
    from hub.core.words import cli_lang

    try:
        entries = roster.parse_csv(args.file.read_bytes())
    except OSError as exc:
        from gwcommon import oswords

        print(say("cannot_read", command="roster import", file=args.file, error=oswords.said(exc, cli_lang(os.environ))),
              file=sys.stderr)
        return 2
    except roster.RosterError as exc:
        report_bad_lines(args.file, exc.problems, cli_lang(os.environ), command="roster import")
        return 2
    count = run_for_command(args.config, lambda db: roster.replace_all(db, entries))
    print(say("roster.imported", count=count))
    return 0


def run_export(args: argparse.Namespace) -> int:
    from hub.alerts import roster
    from hub.cli.common import open_for_command

    db = open_for_command(args.config)
    try:
        data = roster.export_csv(roster.load(db))
    finally:
        db.conn.close()
    from hub.cli.common import write_export
    from hub.cli.saying import say

    return write_export(data, args.file, command="roster export", done=say("roster.exported", file=args.file))

"""``gatewarden alerts test`` and ``gatewarden roster import|export``.

``alerts test`` sends one test message straight to every ``[[chat]]`` target (not through the
outbox) and prints what each service answered, so an installer can check addresses, secrets and
keywords on the spot.  ``roster import|export`` work whether or not the hub runs: they open the
hub database themselves and write in one ``BEGIN IMMEDIATE`` transaction.  A refused roster's bad
lines are printed in Chinese, or in English when ``GATEWARDEN_LANG=en`` or (that unset) the locale
starts with ``en`` (:func:`hub.core.words.cli_lang`).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HELP_TEST = "send a test message to every [[chat]] target now and show what each answered"
HELP_IMPORT = "replace the duty roster (值班表) with a CSV file (all or nothing)"
HELP_EXPORT = "write the duty roster as CSV (UTF-8 with BOM, Chinese headers)"
ADVICE = {"target_fault": "refused for good: check the address, the secret and the robot's keywords or IP list",
          "retry": "not delivered now (rate limit, service or network trouble): try again in a minute",
          "reject": "the service refused this message"}


def register(subparsers: argparse._SubParsersAction) -> None:
    alerts = subparsers.add_parser("alerts", help="check the chat targets", description="Check the chat targets.")
    commands = alerts.add_subparsers(dest="alerts_command", metavar="ACTION", required=True)
    test = commands.add_parser("test", help=HELP_TEST, description=HELP_TEST + ". Exits 1 when any target failed.")
    test.add_argument("--config", required=True, type=Path, help="the hub's config file")
    test.set_defaults(func=run_test)
    roster = subparsers.add_parser("roster", help="import or export the duty roster (值班表)",
                                   description="Import or export the duty roster (值班表).")
    actions = roster.add_subparsers(dest="roster_command", metavar="ACTION", required=True)
    imp = actions.add_parser("import", help=HELP_IMPORT, description=HELP_IMPORT + ". Every bad row is reported "
                             "with its line number; a file with any bad row changes nothing.")
    imp.add_argument("file", metavar="FILE", type=Path, help="CSV file (UTF-8, UTF-8 with BOM, or GB18030/GBK)")
    imp.add_argument("--config", required=True, type=Path, help="the hub's config file")
    imp.set_defaults(func=run_import)
    exp = actions.add_parser("export", help=HELP_EXPORT, description=HELP_EXPORT + ", to FILE or standard output.")
    exp.add_argument("file", metavar="FILE", type=Path, nargs="?", help="where to write (default: standard output)")
    exp.add_argument("--config", required=True, type=Path, help="the hub's config file")
    exp.set_defaults(func=run_export)


def run_test(args: argparse.Namespace) -> int:
    from gwcommon.clock import clock_from_env
    from hub.alerts.render import Context, Message, format_text
    from hub.alerts.targets import Part, make_targets
    from hub.config import load_hub_config

    config = load_hub_config(args.config)
    targets = make_targets(config.chat, timeout=config.alerts.http_timeout.total_seconds())
    if not targets:
        print(f"{args.config}: no [[chat]] targets configured", file=sys.stderr)
        return 1
    now = clock_from_env().now()
    ctx = Context(lang=config.alerts.language, tz=config.site.tz, now=now)
    title = "告警测试" if ctx.lang == "zh" else "Alert test"
    body = (f"{config.site.name or config.site.id} {ctx.t(now)}",)
    failed = 0
    for target in targets:
        text = format_text(Message(title, body), limit=target.text_limit, lang=ctx.lang)
        verdict = target.send(Part("text", text=text, title=title, meta={
            "site": config.site.id, "kind": "notice", "severity": "info", "alert_id": 0, "resent": False}), now)
        target.close()
        if verdict.outcome == "ok":
            print(f"{target.name} ({target.kind}): delivered")
        else:
            failed += 1
            print(f"{target.name} ({target.kind}): {verdict.detail or verdict.outcome} — {ADVICE[verdict.outcome]}")
    return 1 if failed else 0


def run_import(args: argparse.Namespace) -> int:
    from hub.alerts import roster
    from hub.cli.common import report_bad_lines
    from hub.cli.common import run_for_command
    from hub.core.words import cli_lang

    try:
        entries = roster.parse_csv(args.file.read_bytes())
    except OSError as exc:
        print(f"gatewarden roster import: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    except roster.RosterError as exc:
        report_bad_lines(args.file, exc.problems, cli_lang(os.environ), command="roster import")
        return 2
    count = run_for_command(args.config, lambda db: roster.replace_all(db, entries))
    print(f"imported {count} roster rows")
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

    return write_export(data, args.file, command="roster export", done=f"wrote the roster to {args.file}")

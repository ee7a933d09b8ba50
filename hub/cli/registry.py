"""``gatewarden registry import|export``: the resident registry file (docs/contract.md §3).

Both work whether or not the hub is running: they open the hub database themselves, write in one
``BEGIN IMMEDIATE`` transaction (waiting up to 30 s for the hub's writer), and bump the registry
version, which the running hub notices on its next tick and republishes the allowlist.

Before anything changes the import shows what it would do (vehicles added, removed, changed, tags
moved: :mod:`hub.registry.diff`); ``--check`` stops there, and an import that would remove vehicles
stops there too unless ``--yes`` says the removals are meant (docs/contract.md §3).

Everything is printed in Chinese, or in English with ``gatewarden --lang en`` or
``GATEWARDEN_LANG=en`` (:func:`gwcommon.lang.choose`).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HELP_IMPORT = "replace the resident registry with a CSV file (all or nothing)"
HELP_EXPORT = "write the resident registry as CSV (UTF-8 with BOM, Chinese headers)"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("registry", help="import or export the resident registry",
                                   description="Import or export the resident registry file.")
    commands = parser.add_subparsers(dest="registry_command", metavar="ACTION", required=True)
    imp = commands.add_parser("import", help=HELP_IMPORT, description=HELP_IMPORT + ". Every bad row is "
                              "reported with its line number; a file with any bad row changes nothing.")
    imp.add_argument("file", metavar="FILE", type=Path,
                     help="the sheet: .xlsx, or CSV/text (UTF-8 with or without BOM, GB18030/GBK, UTF-16)")
    imp.add_argument("--config", type=Path,
                     help="the hub's config file (default: $GATEWARDEN_CONFIG or /etc/gatewarden/hub.toml)")
    imp.add_argument("--check", action="store_true",
                     help="only show what the import would change (added, removed, changed); change nothing")
    imp.add_argument("--yes", action="store_true",
                     help="confirm an import that removes vehicles (they leave every gate's allowlist)")
    imp.set_defaults(func=run_import)
    exp = commands.add_parser("export", help=HELP_EXPORT, description=HELP_EXPORT + ", to FILE or standard output.")
    exp.add_argument("file", metavar="FILE", type=Path, nargs="?", help="where to write (default: standard output)")
    exp.add_argument("--config", type=Path,
                     help="the hub's config file (default: $GATEWARDEN_CONFIG or /etc/gatewarden/hub.toml)")
    exp.set_defaults(func=run_export)


def run_import(args: argparse.Namespace) -> int:
    from gwcommon.clock import clock_from_env
    from hub.cli.common import report_bad_lines, run_for_command
    from gwcommon import oswords
    from hub.cli.saying import say
    from hub.core import words as problems
    from hub.registry import csvfile, diff, store

    lang = problems.cli_lang(os.environ)
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        print(say("cannot_read", lang, command="registry import", file=args.file, error=oswords.said(exc, lang)),
              file=sys.stderr)
        return 2
    try:
        found = csvfile.read(data)
    except csvfile.RegistryFileError as exc:
        report_bad_lines(args.file, exc.problems, lang, command="registry import")
        return 2
    for note in found.notes:
        print(f"{args.file}: {say('line', lang, n=note.line)}: {note.text(lang)}")
    if found.ignored:
        print(f"{args.file}: {problems.text(lang, 'ignored_columns', {'names': '、'.join(found.ignored)})}")

    def apply(db):
        change = diff.compare(store.export_rows(db), found.rows)
        if args.check or (change.needs_confirmation and not args.yes):
            return change, None
        return change, store.replace_all(db, found.rows, at=clock_from_env().now())

    change, done = run_for_command(args.config, apply)
    print(diff.summary(change, lang))
    for line in diff.lines(change, lang):
        print("  " + line)
    if done is None:
        return _not_applied(change, lang, check=args.check)
    print(_imported(done, lang))
    return 0


def _not_applied(change, lang: str, *, check: bool) -> int:
    from hub.cli.saying import say

    if check:
        print(say("registry.check", lang))
        return 0
    print(say("registry.would_remove", lang, count=len(change.removed)), file=sys.stderr)
    return 1


def _imported(done: dict, lang: str) -> str:
    from hub.cli.saying import say

    return say("registry.imported", lang, **{k: done[k] for k in ("vehicles", "households", "tags", "version")})


def run_export(args: argparse.Namespace) -> int:
    from hub.cli.common import open_for_command
    from hub.registry import csvfile, store

    db = open_for_command(args.config)
    try:
        rows = store.export_rows(db)
        data = csvfile.render(rows)
    finally:
        db.conn.close()
    from hub.cli.common import write_export
    from hub.cli.saying import say

    return write_export(data, args.file, command="registry export", done=say("registry.exported", count=len(rows), file=args.file))

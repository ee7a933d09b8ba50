"""``gatewarden registry import|export``: the resident registry file (docs/contract.md §3).

Both work whether or not the hub is running: they open the hub database themselves, write in one
``BEGIN IMMEDIATE`` transaction (waiting up to 30 s for the hub's writer), and bump the registry
version, which the running hub notices on its next tick and republishes the allowlist.

A refused file's bad lines are printed in Chinese, or in English when ``GATEWARDEN_LANG=en`` or
(that unset) the locale starts with ``en`` (:func:`hub.core.words.cli_lang`).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HELP_IMPORT = "replace the resident registry with a CSV file (all or nothing)"
HELP_EXPORT = "write the resident registry as CSV (UTF-8 with BOM, Chinese headers)"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("registry", help="import or export the resident registry (车辆登记)",
                                   description="Import or export the resident registry file.")
    commands = parser.add_subparsers(dest="registry_command", metavar="ACTION", required=True)
    imp = commands.add_parser("import", help=HELP_IMPORT, description=HELP_IMPORT + ". Every bad row is "
                              "reported with its line number; a file with any bad row changes nothing.")
    imp.add_argument("file", metavar="FILE", type=Path, help="CSV file (UTF-8, UTF-8 with BOM, or GB18030/GBK)")
    imp.add_argument("--config", required=True, type=Path, help="the hub's config file")
    imp.add_argument("--check", action="store_true", help="only check the file; change nothing")
    imp.set_defaults(func=run_import)
    exp = commands.add_parser("export", help=HELP_EXPORT, description=HELP_EXPORT + ", to FILE or standard output.")
    exp.add_argument("file", metavar="FILE", type=Path, nargs="?", help="where to write (default: standard output)")
    exp.add_argument("--config", required=True, type=Path, help="the hub's config file")
    exp.set_defaults(func=run_export)


def run_import(args: argparse.Namespace) -> int:
    from gwcommon.clock import clock_from_env
    from hub.cli.common import report_bad_lines
    from hub.cli.common import run_for_command
    from hub.registry import csvfile
    from hub.core import words as problems
    from hub.registry import store

    try:
        data = args.file.read_bytes()
    except OSError as exc:
        print(f"gatewarden registry import: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        rows = csvfile.parse(data)
    except csvfile.RegistryFileError as exc:
        report_bad_lines(args.file, exc.problems, problems.cli_lang(os.environ), command="registry import")
        return 2
    if args.check:
        print(f"{args.file}: {len(rows)} vehicles, no problems found (nothing changed: --check)")
        return 0
    summary = run_for_command(args.config, lambda db: store.replace_all(db, rows, at=clock_from_env().now()))
    print(f"imported {summary['vehicles']} vehicles of {summary['households']} households with "
          f"{summary['tags']} tags; registry version {summary['version']}")
    return 0


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

    return write_export(data, args.file, command="registry export", done=f"wrote {len(rows)} vehicles to {args.file}")

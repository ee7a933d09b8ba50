"""What every hub maintenance command shares: the ``--config`` argument, the database opened
beside a running hub, bad lines and exports on the terminal.

The commands (``gatewarden hub user add``, ``registry import``…) are a thin layer above the
library: they parse arguments, call the areas' functions, and say what happened.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the CLI stays light to import on every role's Pi: SQLite tools load on use
    from sqlite_utils import Database

    from hub.core.db import Job


def add_config_argument(parser: argparse.ArgumentParser, *, nested: bool = True) -> None:
    """``--config CONFIG``; on nested commands it does not overwrite one given before the command."""
    parser.add_argument("--config", metavar="CONFIG", default=argparse.SUPPRESS if nested else None,
                        help="the hub's TOML config file (default: $GATEWARDEN_CONFIG or /etc/gatewarden/hub.toml)")


def config_path(args: argparse.Namespace) -> str:
    """The ``--config`` value, or a ConfigError saying it is missing."""
    from gwcommon.exc import ConfigError

    path = getattr(args, "config", None)
    if not path:
        from hub.cli.saying import WORDS  # noqa: F401  (contributes hubcli.*)

        raise ConfigError.said("hubcli.config_missing")
    return path


def report_bad_lines(path, found: list, lang: str, *, command: str) -> None:
    """Every bad line of a refused file on standard error, in Chinese or English (``cli_lang``)."""
    import sys

    from hub.cli.saying import say

    for problem in found:
        print(f"{path}: {say('line', lang, n=problem.line)}: {problem.text(lang)}", file=sys.stderr)
    print(say("bad_lines", lang, command=command, count=len(found)), file=sys.stderr)


def write_export(data: bytes, file, *, command: str, done: str) -> int:
    """A CSV export to ``file`` (a Path) or, with None, to standard output; the exit code."""
    import sys

    from hub.cli.saying import say

    if file is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return 0
    try:
        file.write_bytes(data)
    except OSError as exc:
        from gwcommon import oswords
        from gwcommon.lang import choose

        print(say("cannot_write", command=command, file=file, error=oswords.said(exc, choose(environ=os.environ))),
              file=sys.stderr)
        return 2
    print(done, file=sys.stderr)
    return 0


def open_for_command(config_path: str | Path) -> "Database":
    """The hub database for a maintenance command (``registry import``, ``user add``…).

    Safe while the hub runs: WAL, a 30 s busy timeout, and the command's writes in ``BEGIN
    IMMEDIATE`` transactions.  A missing storage directory is a one-line ConfigError.
    """
    from gwcommon.exc import ConfigError
    from gwcommon.ownership import follow_folder_owner
    from hub.config import load_hub_config
    from hub.schema import all_sets

    config = load_hub_config(config_path)
    if not config.storage.dir.is_dir():
        raise missing_storage(config_path, config.storage.dir)
    from hub.core.db import open_db

    db = open_db(config.storage.dir / "hub.db", migrations=all_sets())
    follow_folder_owner(config.storage.dir, ("hub.db", "hub.db-wal", "hub.db-shm"))  # run as root
    return db


def missing_storage(config_path: str | Path, folder: Path):
    """The ConfigError for a maintenance command that finds no storage directory: what to do, in
    both languages (the command line prints the Chinese unless English is asked for)."""
    from gwcommon.exc import ConfigError
    from hub.cli.saying import WORDS  # noqa: F401  (contributes hubcli.*)

    return ConfigError.said("hubcli.storage_missing", config=config_path, folder=folder,
                            make=f"sudo install -d -o gatewarden -g gatewarden -m 0750 {folder}")


def run_for_command(config_path: str | Path, job: "Job") -> Any:
    """Run ``job(db)`` for a maintenance command in one ``BEGIN IMMEDIATE`` transaction (waiting up
    to 30 s for the hub's writer), commit, close; an error rolls everything back and is raised."""
    db = open_for_command(config_path)
    try:
        db.execute("BEGIN IMMEDIATE")
        try:
            result = job(db)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return result
    finally:
        db.conn.close()

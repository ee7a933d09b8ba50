"""``gatewarden hub backup``: a consistent copy of the hub's database and pictures (备份).

Safe while the hub runs: the database is copied with SQLite's online backup API in one read
transaction (WAL mode lets the hub's writer carry on meanwhile), so the copy is the database as
it was at one instant.  The pictures are copied afterwards, so every picture the copied database
names is there (a picture deleted by the daily clean-up in between is counted, not an error).

A backup is a directory ``hub-backup-<UTC time>/`` with ``hub.db``, ``snapshots/`` and
``manifest.json`` (row counts, file count, the integrity check of the copy).  It is written under
a temporary name and renamed when complete, so a half-written backup never looks like a good one.
``--keep N`` removes all but the newest N backups in the target directory.  Restore: see
docs/operations.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from hub.cli.common import add_config_argument, config_path

logger = logging.getLogger(__name__)

PREFIX = "hub-backup-"
COUNTED_TABLES = ("events", "snapshots", "violations", "diary", "devices")


def register(hub_subparsers) -> None:
    parser = hub_subparsers.add_parser(
        "backup", help="copy the hub's database and pictures (safe while the hub runs)",
        description="Write a consistent backup of the hub database (SQLite online backup) and its "
                    "pictures into a new directory under --to, then print its path. Safe while the "
                    "hub runs. Restore: docs/operations.md.")
    parser.add_argument("--to", type=Path, metavar="DIR",
                        help="where to put the backup (default: <storage.dir>/backups; better a USB stick)")
    parser.add_argument("--keep", type=int, default=0, metavar="N",
                        help="afterwards keep only the newest N backups in DIR (default 0: keep all)")
    add_config_argument(parser)
    parser.set_defaults(func=run_backup)


def run_backup(args: argparse.Namespace) -> int:
    from gwcommon.exc import ConfigError
    from hub.cli.saying import say
    from hub.config import load_hub_config

    config = load_hub_config(config_path(args))
    if args.keep < 0:
        raise ConfigError.said("hubcli.backup.keep")
    storage = Path(config.storage.dir)
    if not (storage / "hub.db").is_file():
        raise ConfigError.said("hubcli.backup.no_db", path=storage / "hub.db")
    target = args.to or storage / "backups"
    try:
        made = backup(storage / "hub.db", storage / "snapshots", target)
    except OSError as exc:
        raise ConfigError.said("hubcli.backup.cannot_write", target=target, error=exc.strerror or exc) from None
    manifest = json.loads((made / "manifest.json").read_text(encoding="utf-8"))
    if manifest["integrity"] != "ok":
        raise ConfigError.said("hubcli.backup.bad_copy", made=made, detail=manifest["integrity"])
    for old in prune(target, args.keep):
        print(say("backup.removed", old=old))
    print(made)
    return 0


def backup(db_path: Path, snapshots_dir: Path, target: Path, *, now: datetime | None = None) -> Path:
    """Back up into a new directory under ``target`` and return its path."""
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%S.%fZ")
    final = Path(target) / f"{PREFIX}{stamp}"
    partial = Path(target) / f".partial-{stamp}"
    partial.mkdir(parents=True)
    try:
        copy_database(db_path, partial / "hub.db")
        copied, vanished = copy_snapshots(snapshots_dir, partial / "snapshots")
        manifest = describe(partial / "hub.db", source=db_path, files=copied, vanished=vanished)
        (partial / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                               encoding="utf-8")
        _fsync_dir(partial)
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    logger.info("backup written to %s (%d pictures)", final, copied)
    return final


def copy_database(source: Path, dest: Path) -> None:
    """SQLite's online backup of ``source`` into ``dest``, in one step (one consistent snapshot)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(str(dest))
    try:
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
    finally:
        dst.close()
        src.close()


def copy_snapshots(source: Path, dest: Path) -> tuple[int, int]:
    """Copy the picture tree; returns (files copied, files that vanished while copying)."""
    copied = vanished = 0
    dest.mkdir(parents=True, exist_ok=True)
    if not source.is_dir():
        return 0, 0
    for root, _dirs, files in os.walk(source):
        out = dest / Path(root).relative_to(source)
        out.mkdir(parents=True, exist_ok=True)
        for name in files:
            try:
                shutil.copy2(Path(root) / name, out / name)
                copied += 1
            except FileNotFoundError:
                vanished += 1
    return copied, vanished


def describe(copy: Path, *, source: Path, files: int, vanished: int) -> dict:
    """The manifest: integrity check and row counts of the copy, and the picture counts."""
    db = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    try:
        integrity = "; ".join(row[0] for row in db.execute("PRAGMA integrity_check"))
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        counts = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTED_TABLES if t in tables}
    finally:
        db.close()
    return {"source": str(source), "taken_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "integrity": integrity, "rows": counts, "snapshot_files": files, "snapshot_files_vanished": vanished}


def prune(target: Path, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` backups in ``target`` (0 keeps all); returns those removed."""
    if keep <= 0 or not Path(target).is_dir():
        return []
    found = sorted(p for p in Path(target).iterdir() if p.is_dir() and p.name.startswith(PREFIX))
    doomed = found[:-keep]
    for path in doomed:
        shutil.rmtree(path)
    return doomed


def _fsync_dir(path: Path) -> None:
    for file in (path / "hub.db", path / "manifest.json"):
        with open(file, "rb") as handle:
            os.fsync(handle.fileno())

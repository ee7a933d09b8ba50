"""`gatewarden hub backup` and the daily retention clean-up.

A backup taken while a writer keeps inserting is a consistent database (integrity check ok, each
event with the snapshot row of its transaction and the picture file, seqs without a gap), and the
documented restore (docs/operations.md) gives a hub that starts on it with every row.  Retention
deletes old sightings, readings and pictures once a day, in batches, never the evidence of an open
violation and never fault events.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from gatewarden.cli import main as gatewarden
from gwcommon.clock import FakeClock
from gwcommon.timefmt import format_ts
from hub.cli import backup as hub_backup
from hub.core.db import Writer, open_db
from hub.retention.policy import RetentionConfig, cutoffs, due, evidence_ids
from hub.schema import all_sets
from tests.support.hubrun import count, make_hub, rows, wait_until

pytestmark = pytest.mark.timeout(60)

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)


def insert_event(db, n: int, *, kind: str = "presence", at: datetime = T0, device: str = "lane-east",
                 snapshots: Path | None = None, received: datetime | None = None) -> str:
    event_id = f"{device}:b:{n}"
    db.execute("INSERT INTO events (id, site, device, seq, kind, ts, received_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
               [event_id, "s", device, n, kind, format_ts(at), format_ts(received or at),
                json.dumps({"id": event_id, "seq": n, "code": "x", "active": True})])
    if snapshots is not None:
        rel = f"{device}/{n}.jpg"
        (snapshots / device).mkdir(parents=True, exist_ok=True)
        (snapshots / rel).write_bytes(b"\xff\xd8jpeg" + str(n).encode())
        db.execute("INSERT INTO snapshots (event_id, device, path, bytes, received_at) VALUES (?, ?, ?, ?, ?)",
                   [event_id, device, rel, 8, format_ts(received or at)])
    return event_id


def check_backup(folder: Path) -> int:
    """Consistency of one backup; returns its number of events."""
    db = sqlite3.connect(folder / "hub.db")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        seqs = [s for (s,) in db.execute("SELECT seq FROM events ORDER BY seq")]
        assert seqs == list(range(1, len(seqs) + 1)), "a backup must be one instant: no gaps"
        snaps = db.execute("SELECT count(*) FROM snapshots").fetchone()[0]
        assert snaps == len(seqs), "each event was stored with its snapshot row in one transaction"
        for (path,) in db.execute("SELECT path FROM snapshots"):
            assert (folder / "snapshots" / path).is_file(), f"picture {path} missing from the backup"
    finally:
        db.close()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["integrity"] == "ok" and manifest["rows"]["events"] == len(seqs)
    return len(seqs)


def test_a_backup_taken_while_the_hub_writes_is_consistent_and_restores(tmp_path, broker):
    storage = tmp_path / "live"
    snapshots = storage / "snapshots"
    snapshots.mkdir(parents=True)
    db = open_db(storage / "hub.db", migrations=all_sets())
    writer = Writer(db).start()
    stop, written = threading.Event(), [0]

    def produce():
        while not stop.is_set() and written[0] < 200_000:
            n = written[0] + 1
            writer.call(lambda d, n=n: insert_event(d, n, snapshots=snapshots))
            written[0] = n

    producer = threading.Thread(target=produce)
    producer.start()
    try:
        wait_until(lambda: written[0] >= 50)
        taken = []
        for _ in range(3):
            taken.append(hub_backup.backup(storage / "hub.db", snapshots, tmp_path / "backups"))
            wait_until(lambda n=written[0]: written[0] > n + 20)
    finally:
        stop.set()
        producer.join(30)
        writer.stop()
        db.close()
    sizes = [check_backup(folder) for folder in taken]
    assert sizes == sorted(sizes) and 0 < sizes[0] and sizes[-1] < written[0]

    restored = tmp_path / "restored"  # the documented restore: copy hub.db and snapshots/ into storage.dir
    restored.mkdir()
    shutil.copy2(taken[-1] / "hub.db", restored / "hub.db")
    shutil.copytree(taken[-1] / "snapshots", restored / "snapshots")
    hub = make_hub(tmp_path, broker, config_overrides={"storage": {"dir": str(restored)}})
    try:
        assert count(hub, "events") == sizes[-1] == count(hub, "snapshots")
        assert rows(hub, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]
    finally:
        hub.stop()


def write_hub_config(tmp_path: Path) -> Path:
    config = tmp_path / "hub.toml"
    config.write_text('[site]\nid = "pingan-2"\n[storage]\ndir = "data"\n', encoding="utf-8")
    return config


def test_the_backup_command_writes_prunes_and_reports(tmp_path, capsys):
    config = write_hub_config(tmp_path)
    (tmp_path / "data").mkdir()
    db = open_db(tmp_path / "data" / "hub.db", migrations=all_sets())
    insert_event(db, 1, snapshots=tmp_path / "data" / "snapshots")
    db.close()
    made = []
    for _ in range(3):
        assert gatewarden(["hub", "backup", "--config", str(config), "--to", str(tmp_path / "b"), "--keep", "2"]) == 0
        made.append(Path(capsys.readouterr().out.strip().splitlines()[-1]))
    left = sorted(p.name for p in (tmp_path / "b").iterdir())
    assert left == sorted(p.name for p in made[1:]) and check_backup(made[-1]) == 1
    assert gatewarden(["hub", "--config", str(config), "backup"]) == 0  # default: <storage.dir>/backups
    assert len(list((tmp_path / "data" / "backups").iterdir())) == 1


@pytest.mark.parametrize("setup,args,message", [
    ("none", [], "没有中心机数据库"),
    ("db", ["--keep", "-1"], "--keep 应是 0"),
    ("db", ["--to", "/proc/forbidden"], "写不了备份"),
])
def test_bad_backup_requests_get_one_line(tmp_path, capsys, setup, args, message):
    config = write_hub_config(tmp_path)
    if setup == "db":
        (tmp_path / "data").mkdir()
        open_db(tmp_path / "data" / "hub.db", migrations=all_sets()).close()
    assert gatewarden(["hub", "backup", "--config", str(config), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


# -- retention ---------------------------------------------------------------------------------

@pytest.mark.parametrize("last_day,local_now,expected", [
    (None, "03:29", False), (None, "03:30", True), (None, "23:00", True),
    ("2026-03-02", "04:00", False), ("2026-03-01", "04:00", True), ("2026-03-01", "01:00", False),
])
def test_the_clean_up_runs_once_a_day_after_run_at(last_day, local_now, expected):
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    hour, minute = map(int, local_now.split(":"))
    now = datetime(2026, 3, 2, hour, minute, tzinfo=tz)
    last = datetime.fromisoformat(last_day).date() if last_day else None
    assert due(last, now, run_at=time(3, 30), tz=tz) is expected


def test_cutoffs_and_evidence_ids():
    config = RetentionConfig(presence="forever", charging="7d")
    limits = cutoffs(config, T0)
    assert "presence" not in limits and limits["charging"] == T0 - timedelta(days=7)
    assert limits["snapshots"] == T0 - timedelta(days=30)
    assert evidence_ids(["e-1", "https://hub/snapshots/e-2", "/s/e-3?x=1", 7, ""]) >= {"e-1", "e-2", "e-3"}


def test_retention_deletes_old_records_but_keeps_evidence_and_faults(tmp_path, broker):
    clock = FakeClock(datetime(2026, 3, 1, 18, 0, tzinfo=timezone.utc))  # 02:00 in Shanghai: not yet due
    hub = make_hub(tmp_path, broker, clock=clock, areas=("hub.retention.area",), config_overrides={
        "retention": {"presence": "10d", "charging": "5d", "snapshots": "20d", "batch": 100}})
    old, recent = clock.now() - timedelta(days=40), clock.now() - timedelta(days=2)
    try:
        def fill(db):
            n = 0
            for kind, at, how_many in (("presence", old, 250), ("presence", recent, 5), ("charging", old, 3),
                                       ("passage", old, 4), ("fault", old, 2)):
                for _ in range(how_many):
                    n += 1
                    insert_event(db, n, kind=kind, at=at, snapshots=hub.snapshots_dir if n <= 10 else None)
            db.execute("INSERT INTO violations (id, key, rule, deadline, state, provisional, evidence, ts, created_at, "
                       "updated_at) VALUES ('v-1', 'k', 'overnight', ?, 'open', 0, ?, ?, ?, ?)",
                       [format_ts(old), json.dumps(["lane-east:b:1", "lane-east:b:2"]), *[format_ts(old)] * 3])
            db.execute("INSERT INTO violations (id, key, rule, deadline, state, provisional, evidence, ts, created_at, "
                       "updated_at) VALUES ('v-2', 'k2', 'overnight', ?, 'resolved', 0, ?, ?, ?, ?)",
                       [format_ts(old), json.dumps(["lane-east:b:3"]), *[format_ts(old)] * 3])

        hub.writer.call(fill)
        hub.writer.call(lambda db: hub.area("retention").tick(db, clock.now()))
        assert hub.area("retention").stats.runs == 0 and count(hub, "events") == 264
        clock.advance(timedelta(hours=2))  # 04:00 local: due
        wait_until(lambda: hub.area("retention").stats.runs == 1)
        hub.writer.call(lambda db: None)  # runs after the clean-up's transaction committed
        kinds = {r["kind"]: r["n"] for r in rows(hub, "SELECT kind, count(*) AS n FROM events GROUP BY kind")}
        assert kinds == {"presence": 5 + 2, "passage": 4, "fault": 2}  # 2 old ones are open-violation evidence
        kept = {r["id"] for r in rows(hub, "SELECT id FROM events WHERE kind = 'presence' AND ts < ?", [format_ts(recent)])}
        assert kept == {"lane-east:b:1", "lane-east:b:2"}
        assert {r["event_id"] for r in rows(hub, "SELECT event_id FROM snapshots")} == {"lane-east:b:1", "lane-east:b:2"}
        assert hub.area("retention").stats.deleted == {"presence": 248, "charging": 3, "snapshots": 8}
        wait_until(lambda: len(list((hub.snapshots_dir / "lane-east").iterdir())) == 2)
        clock.advance(timedelta(hours=1))
        hub.writer.call(lambda db: hub.area("retention").tick(db, clock.now()))
        assert hub.area("retention").stats.runs == 1  # once a day
    finally:
        hub.stop()


def test_retention_config_rejects_too_short_or_bad_values(tmp_path):
    from gwcommon.config import validate
    from gwcommon.exc import ConfigError
    from hub.config import HubConfig

    for bad in ("1h", "50y", "soon"):
        with pytest.raises(ConfigError, match="retention.presence"):
            validate({"site": {"id": "x"}, "retention": {"presence": bad}}, HubConfig)
    assert validate({"site": {"id": "x"}, "retention": {"passages": "forever"}}, HubConfig).retention.passages is None

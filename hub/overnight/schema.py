"""Tables of the overnight rule, the patrol diary, the deadline calendar and occupancy.

* ``ovn_marks``: what happened to each vehicle (presence, passage, warden action), by event time;
  ``ovn_keys``: each vehicle's folded state now; ``ovn_recheck``: vehicles with late marks to
  re-decide; ``ovn_deadlines``: each morning deadline once decided; ``ovn_outbox``: violation
  messages committed but not yet handed to MQTT.
* ``violations``: one row per vehicle, rule and deadline (docs/contract.md §1 violation payload).
* ``diary``: the patrol diary (巡查日记), one chronological log.
* ``calendar_overrides``: the committee's per-date working-day/holiday decisions.
* ``rule_notices``: what the alerting engine sends (reminders, violations, maintenance alerts).
* ``occupancy_counts``: wardens' counts of cars inside (余位 correction); ``occupancy_running``: the
  running count since the latest of them (one row, kept by the passage handler, see hub.occupancy).

Timestamps are RFC 3339 UTC with milliseconds, so text order is time order.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations


migrations = Migrations("overnight")


@migrations()
def m001_stays(db: Database) -> None:
    db.execute("""CREATE TABLE ovn_marks (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL, ts TEXT NOT NULL, ord TEXT NOT NULL, op TEXT NOT NULL,
        zone TEXT NOT NULL DEFAULT '', zone_kind TEXT NOT NULL DEFAULT '', source TEXT NOT NULL DEFAULT '',
        event_id TEXT, UNIQUE(key, ord))""")
    db.execute("CREATE INDEX ovn_marks_key_ts ON ovn_marks(key, ts)")
    db.execute("CREATE INDEX ovn_marks_zone_ts ON ovn_marks(zone, ts)")
    db.execute("""CREATE TABLE ovn_keys (
        key TEXT PRIMARY KEY,
        plate TEXT, household TEXT, tag TEXT, zone TEXT, slot TEXT,
        parked INTEGER NOT NULL DEFAULT 0, night_since TEXT, last_ts TEXT,
        state TEXT NOT NULL DEFAULT '{}', fire_due TEXT)""")
    db.execute("CREATE INDEX ovn_keys_parked ON ovn_keys(parked)")
    db.execute("CREATE INDEX ovn_keys_last_ts ON ovn_keys(last_ts)")
    db.execute("CREATE INDEX ovn_keys_fire_due ON ovn_keys(fire_due)")
    db.execute("CREATE TABLE ovn_recheck (key TEXT PRIMARY KEY, since TEXT NOT NULL)")
    db.execute("""CREATE TABLE ovn_deadlines (
        deadline TEXT PRIMARY KEY, day TEXT NOT NULL, day_kind TEXT NOT NULL, day_source TEXT NOT NULL,
        decided_at TEXT NOT NULL, provisional INTEGER NOT NULL, violations INTEGER NOT NULL,
        reminded_at TEXT)""")
    db.execute("CREATE TABLE ovn_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("""CREATE TABLE ovn_outbox (
        id INTEGER PRIMARY KEY, topic TEXT NOT NULL, payload BLOB NOT NULL, retain INTEGER NOT NULL DEFAULT 0)""")


@migrations()
def m002_violations(db: Database) -> None:
    db.execute("""CREATE TABLE violations (
        id TEXT PRIMARY KEY,
        key TEXT NOT NULL, rule TEXT NOT NULL CHECK (rule IN ('overnight','fire_lane')),
        deadline TEXT NOT NULL,
        plate TEXT, household TEXT, zone TEXT NOT NULL DEFAULT '', slot TEXT,
        state TEXT NOT NULL CHECK (state IN ('open','resolved','retracted','excused')),
        provisional INTEGER NOT NULL, evidence TEXT NOT NULL DEFAULT '[]',
        ts TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '', by TEXT NOT NULL DEFAULT 'hub',
        UNIQUE(key, rule, deadline))""")
    db.execute("CREATE INDEX violations_deadline ON violations(deadline)")
    db.execute("CREATE INDEX violations_state ON violations(state)")
    db.execute("CREATE INDEX violations_plate ON violations(plate)")
    db.execute("CREATE INDEX violations_provisional ON violations(provisional)")


@migrations()
def m003_diary_calendar_notices(db: Database) -> None:
    db.execute("""CREATE TABLE diary (
        id INTEGER PRIMARY KEY, ts TEXT NOT NULL, kind TEXT NOT NULL,
        plate TEXT, household TEXT, zone TEXT, slot TEXT, violation_id TEXT,
        by TEXT NOT NULL DEFAULT 'hub', text TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '{}')""")
    db.execute("CREATE INDEX diary_ts ON diary(ts)")
    db.execute("CREATE INDEX diary_plate ON diary(plate)")
    db.execute("""CREATE TABLE calendar_overrides (
        day TEXT PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('working','holiday')),
        deadline TEXT, note TEXT NOT NULL DEFAULT '', by TEXT NOT NULL, updated_at TEXT NOT NULL)""")
    db.execute("""CREATE TABLE rule_notices (
        id INTEGER PRIMARY KEY, kind TEXT NOT NULL, dedup TEXT UNIQUE,
        payload TEXT NOT NULL, created_at TEXT NOT NULL)""")
    db.execute("""CREATE TABLE occupancy_counts (
        id INTEGER PRIMARY KEY, ts TEXT NOT NULL, inside INTEGER NOT NULL,
        by TEXT NOT NULL, note TEXT NOT NULL DEFAULT '')""")


@migrations()
def m004_occupancy_running(db: Database) -> None:
    """The running count behind 余位 (one row), initialised from the data an upgraded hub already has:
    the latest warden count (by time, then id) and the passed passages after it."""
    db.execute("""CREATE TABLE occupancy_running (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        base_id INTEGER, base_ts TEXT NOT NULL DEFAULT '', base_inside INTEGER NOT NULL DEFAULT 0, base_by TEXT,
        entered INTEGER NOT NULL DEFAULT 0, exited INTEGER NOT NULL DEFAULT 0)""")
    base = db.execute("SELECT id, ts, inside, by FROM occupancy_counts ORDER BY ts DESC, id DESC LIMIT 1").fetchone()
    base_id, base_ts, inside, by = base if base else (None, "", 0, None)
    moves = dict(db.execute(
        "SELECT json_extract(body, '$.direction'), count(*) FROM events WHERE kind = 'passage' AND ts > ? "
        "AND json_extract(body, '$.passed') = 1 GROUP BY 1", [base_ts]).fetchall())
    db.execute("INSERT INTO occupancy_running (id, base_id, base_ts, base_inside, base_by, entered, exited) "
               "VALUES (1, ?, ?, ?, ?, ?, ?)", [base_id, base_ts, inside, by, moves.get("in", 0), moves.get("out", 0)])


@migrations()
def m005_data_horizon(db: Database) -> None:
    """The rule's horizon comes from the data (docs/contract.md §2 "decided from data"): the old
    ``horizon`` (the hub's wall clock at its first tick) is dropped; ``data_horizon`` is the
    earliest time reported by a gate or lane device, found again from the stored events."""
    db.execute("DELETE FROM ovn_meta WHERE name = 'horizon'")

"""The resident registry's tables: households (户), vehicles (车辆) and their tags (标签).

``registry_meta.version`` grows with every change of the registry; the hub polls it on every
tick and republishes the allowlist when it moved, so a change made by ``gatewarden registry
import`` in another process reaches the gates within a second.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations


migrations = Migrations("registry")


@migrations()
def m001_registry(db: Database) -> None:
    db.execute("""CREATE TABLE households (
        name TEXT PRIMARY KEY,
        note TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL)""")
    db.execute("""CREATE TABLE vehicles (
        plate TEXT PRIMARY KEY,
        household TEXT NOT NULL REFERENCES households(name),
        owner TEXT NOT NULL DEFAULT '',
        mobile TEXT NOT NULL DEFAULT '',
        note TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL)""")
    db.execute("CREATE INDEX vehicles_household ON vehicles(household)")
    db.execute("""CREATE TABLE tags (
        tag TEXT PRIMARY KEY,
        plate TEXT NOT NULL REFERENCES vehicles(plate) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        strength TEXT NOT NULL,
        revoked INTEGER NOT NULL DEFAULT 0,
        expires TEXT,
        added_at TEXT NOT NULL)""")
    db.execute("CREATE INDEX tags_plate ON tags(plate)")
    db.execute("""CREATE TABLE registry_meta (
        name TEXT PRIMARY KEY,
        value INTEGER NOT NULL)""")
    db.execute("INSERT INTO registry_meta(name, value) VALUES ('version', 1)")


@migrations()
def m002_visitors(db: Database) -> None:
    """Visitors apart from residents: ``vehicles.visitor`` (a warden's pass, never in the committee's
    file), and every pass issued (访客通行证记录) so a loaner tag can be issued again once its pass
    ended and the passages of the earlier visitor still name that visitor."""
    db.execute("ALTER TABLE vehicles ADD COLUMN visitor INTEGER NOT NULL DEFAULT 0")
    db.execute("UPDATE vehicles SET visitor = 1 WHERE note = '访客 visitor'")
    db.execute("""CREATE TABLE visitor_passes (
        id INTEGER PRIMARY KEY,
        plate TEXT NOT NULL,
        household TEXT NOT NULL,
        tag TEXT NOT NULL,
        issued_at TEXT NOT NULL,
        expires TEXT NOT NULL,
        ended_at TEXT,
        ended_by TEXT NOT NULL DEFAULT '')""")
    db.execute("CREATE INDEX visitor_passes_tag ON visitor_passes(tag, issued_at)")
    db.execute("""INSERT INTO visitor_passes(plate, household, tag, issued_at, expires)
        SELECT t.plate, v.household, t.tag, t.added_at, t.expires FROM tags t JOIN vehicles v ON v.plate = t.plate
        WHERE t.expires IS NOT NULL""")


@migrations()
def m003_tag_battery(db: Database) -> None:
    """The newest battery voltage each tag's events carried (``battery_mv``, from Eddystone-TLM at the
    edge): ``at`` is the event's time, so a late, older event never overwrites a newer reading."""
    db.execute("""CREATE TABLE tag_battery (
        tag TEXT PRIMARY KEY,
        mv INTEGER NOT NULL,
        at TEXT NOT NULL,
        device TEXT NOT NULL)""")

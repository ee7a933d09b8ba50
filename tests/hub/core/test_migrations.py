"""The hub database's migrations: one explicit order (hub.schema.MIGRATIONS), whatever a process
imported first, and a database made by older code upgrades untouched and keeps its rows."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path


from hub import schema
from hub.core.db import open_db
from hub.overnight import violations
from hub.registry import store

ROOT = Path(__file__).resolve().parents[3]
FIXTURE = ROOT / "tests" / "hub" / "fixtures" / "hub-2026-12-main.db"

APPLY = """
import importlib, json, sys
for name in sys.argv[2:]:
    importlib.import_module(name)
from hub.core.db import open_db
from hub.schema import all_sets
db = open_db(sys.argv[1], migrations=all_sets())
print(json.dumps([list(r) for r in db.execute(
    "SELECT migration_set, name FROM _sqlite_migrations ORDER BY rowid")]))
"""

# what a process may import before it opens the database: an area, a page, the web kit, a CLI
IMPORTED_FIRST = [
    [],
    ["hub.registry.schema"],
    ["hub.alerts.inbox", "hub.charging.schema"],
    ["hub.web.schema", "hub.overnight.area"],
    ["hub.alerts.area", "hub.registry.pages"],
    ["hub.cli.registry", "hub.app"],
]


def names_of(migration_set) -> list[str]:
    return [m.name for m in migration_set._migrations]


def applied_order(tmp_path: Path, first: list[str]) -> list[list[str]]:
    db = tmp_path / f"order-{len(list(tmp_path.iterdir()))}.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", APPLY, str(db), *first], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_applied_order_does_not_depend_on_what_was_imported_first(tmp_path):
    orders = {tuple(first): applied_order(tmp_path, first) for first in IMPORTED_FIRST}
    expected = [[m.name, name] for m in schema.MIGRATIONS for name in names_of(m)]
    assert all(order == expected for order in orders.values()), orders


def test_the_set_and_migration_names_are_those_existing_databases_know():
    applied = sqlite3.connect(FIXTURE).execute("SELECT migration_set, name FROM _sqlite_migrations").fetchall()
    known = {(m.name, name) for m in schema.MIGRATIONS for name in names_of(m)}
    assert set(applied) <= known  # a renamed set or migration would be applied twice


def counts(db) -> dict[str, int]:
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                        "AND name NOT LIKE 'sqlite_%' AND name != '_sqlite_migrations'")]
    return {t: db.execute(f"SELECT count(*) FROM [{t}]").fetchone()[0] for t in tables}


def test_a_database_made_before_the_move_upgrades_and_keeps_its_rows(tmp_path):
    path = tmp_path / "hub.db"
    shutil.copy(FIXTURE, path)
    old = sqlite3.connect(path)
    before, applied_before = counts(old), old.execute("SELECT migration_set, name FROM _sqlite_migrations").fetchall()
    old.close()
    assert before["violations"] == 1 and before["vehicles"] == 2 and before["alerts"] == 1  # the fixture holds rows

    db = open_db(path, migrations=schema.all_sets())
    after = counts(db)
    # every table keeps its rows, except the overnight rule's old clock-based horizon, which
    # overnight.m005_data_horizon drops (the horizon is now taken from the data)
    assert {t: n for t, n in after.items() if t in before} == {**before, "ovn_meta": before["ovn_meta"] - 1}
    applied_after = db.execute("SELECT migration_set, name FROM _sqlite_migrations").fetchall()
    assert set(applied_before) <= set(applied_after)
    assert len(applied_after) == len({(m.name, n) for m in schema.MIGRATIONS for n in names_of(m)})
    # today's code reads what the old code wrote
    [row] = db.execute("SELECT id FROM violations").fetchall()
    found = violations.get(db, row[0])
    assert found["plate"] == "浙A12345" and found["state"] == "open"
    assert store.vehicle(db, "浙A12345")["household"] == "1-101"
    db.close()

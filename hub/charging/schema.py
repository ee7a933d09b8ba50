"""Tables of the charging area (migration set ``charging``).

* ``charging_circuits``: each circuit's latest reading and the rules' state (JSON), one row per
  circuit — what ``GET /api/charging`` shows.
* ``charging_incidents``: every incident (open or closed) with its level, times and message —
  what the web view, the patrol diary and the monthly meeting look at.

Timestamps are RFC 3339 UTC with milliseconds, so text order is time order.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations


migrations = Migrations("charging")


@migrations()
def m001_circuits_incidents(db: Database) -> None:
    db.execute("""CREATE TABLE charging_circuits (
        circuit TEXT PRIMARY KEY,
        device TEXT, ts TEXT, received_at TEXT,
        power_w REAL, current_a REAL, loads INTEGER, voltage_v REAL, energy_wh REAL,
        state TEXT NOT NULL DEFAULT '{}')""")
    db.execute("""CREATE TABLE charging_incidents (
        id INTEGER PRIMARY KEY,
        circuit TEXT NOT NULL, rule TEXT NOT NULL, level TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('open', 'closed')),
        since TEXT NOT NULL, opened_at TEXT NOT NULL, updated_at TEXT NOT NULL, closed_at TEXT,
        value REAL, message TEXT NOT NULL, device TEXT, alert_key TEXT NOT NULL)""")
    db.execute("CREATE INDEX charging_incidents_open ON charging_incidents(state, circuit, rule)")
    db.execute("CREATE INDEX charging_incidents_since ON charging_incidents(since)")

"""Tables of the passages area: ``passage_clones``, one row per suspected copied tag (clone.py).

A row names the tag and both sightings (device, lane or zone, edge time, event id); the Devices
page shows the rows detected within ``[clone_check] show_for`` as the hub's fault
``ble_possible_clone``.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("passages")


@migrations()
def m001_passage_clones(db: Database) -> None:
    db.execute("""CREATE TABLE passage_clones (
        id INTEGER PRIMARY KEY,
        tag TEXT NOT NULL,
        first_event TEXT NOT NULL, first_device TEXT NOT NULL, first_place TEXT NOT NULL, first_ts TEXT NOT NULL,
        second_event TEXT NOT NULL, second_device TEXT NOT NULL, second_place TEXT NOT NULL, second_ts TEXT NOT NULL,
        detected_at TEXT NOT NULL,
        UNIQUE (first_event, second_event))""")
    db.execute("CREATE INDEX passage_clones_detected ON passage_clones(detected_at)")

"""Tables of the ingest area: stored events, snapshots, devices and the quarantine.

- ``events``: every edge event once, keyed by its ``id`` (docs/contract.md §1); ``body`` is the full
  payload as canonical JSON, so areas can read fields the columns do not have.
- ``snapshots``: JPEG files under ``<storage.dir>/snapshots``, indexed by the event id they belong
  to (a snapshot may arrive before its event).
- ``devices``: what the hub knows of each edge device (status, heartbeat, sequence, watermark).
- ``snapshot_waiting``: pictures that arrived before their event, waiting for it (at most
  16 MiB; kept here so a hub restarted while a picture waits does not lose it).
- ``quarantine``: messages that broke the contract, with the reason (kept bounded; the counts in
  ``quarantine_counts`` are never trimmed).
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations


migrations = Migrations("ingest")


@migrations()
def m001_events(db: Database) -> None:
    db.execute("""CREATE TABLE events (
        id TEXT PRIMARY KEY,
        site TEXT NOT NULL,
        device TEXT NOT NULL,
        seq INTEGER NOT NULL,
        kind TEXT NOT NULL,
        ts TEXT NOT NULL,
        received_at TEXT NOT NULL,
        body TEXT NOT NULL)""")
    db.execute("CREATE INDEX events_device_seq ON events(device, seq)")
    db.execute("CREATE INDEX events_kind_ts ON events(kind, ts)")
    db.execute("""CREATE TABLE snapshots (
        event_id TEXT PRIMARY KEY,
        device TEXT NOT NULL,
        path TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        received_at TEXT NOT NULL)""")


@migrations()
def m002_devices(db: Database) -> None:
    db.execute("""CREATE TABLE devices (
        device TEXT PRIMARY KEY,
        kind TEXT,
        version TEXT,
        status_online INTEGER,
        status_ts TEXT,
        online INTEGER NOT NULL DEFAULT 0,
        last_seen TEXT,
        base_seq INTEGER,
        base_confirmed INTEGER NOT NULL DEFAULT 0,
        ack_seq INTEGER NOT NULL DEFAULT 0,
        top_ts TEXT,
        last_seq INTEGER NOT NULL DEFAULT 0,
        hb_ts TEXT,
        hb_last_seq INTEGER,
        hb_outbox INTEGER,
        skew_ms INTEGER,
        watermark TEXT,
        events INTEGER NOT NULL DEFAULT 0,
        duplicates INTEGER NOT NULL DEFAULT 0)""")


@migrations()
def m003_quarantine(db: Database) -> None:
    db.execute("""CREATE TABLE quarantine (
        id INTEGER PRIMARY KEY,
        received_at TEXT NOT NULL,
        topic TEXT NOT NULL,
        code TEXT NOT NULL,
        reason TEXT NOT NULL,
        payload_bytes INTEGER NOT NULL,
        payload_encoding TEXT NOT NULL CHECK (payload_encoding IN ('text', 'hex')),
        payload TEXT NOT NULL)""")
    db.execute("CREATE INDEX quarantine_code ON quarantine(code)")
    db.execute("""CREATE TABLE quarantine_counts (
        code TEXT PRIMARY KEY,
        count INTEGER NOT NULL,
        last_reason TEXT NOT NULL,
        last_at TEXT NOT NULL)""")


@migrations()
def m004_device_clock_ahead(db: Database) -> None:
    """``clock_ahead``: the device's clock runs ahead of the hub's by more than the tolerance."""
    db.execute("ALTER TABLE devices ADD COLUMN clock_ahead INTEGER NOT NULL DEFAULT 0")


@migrations()
def m005_snapshot_waiting(db: Database) -> None:
    """Pictures waiting for their event survive a restart (the broker has had its PUBACK)."""
    db.execute("""CREATE TABLE snapshot_waiting (
        event_id TEXT PRIMARY KEY,
        device TEXT NOT NULL,
        topic TEXT NOT NULL,
        received_at TEXT NOT NULL,
        jpeg BLOB NOT NULL)""")

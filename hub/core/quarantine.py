"""The quarantine (隔离区): messages that broke the wire contract, kept with the reason.

Nothing is dropped silently (docs/contract.md §1): every invalid message gets a row with its topic, a
bounded excerpt of its payload (text when it is UTF-8, hex otherwise), a short ``code`` saying
which kind of problem it was, the one-line reason, and the hub's receive time.  The table keeps
the newest ``keep_rows`` rows so a misbehaving device cannot fill the SD card; the per-code
counts in ``quarantine_counts`` are never trimmed.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from sqlite_utils import Database

from gwcommon.timefmt import format_ts

logger = logging.getLogger(__name__)

EXCERPT_BYTES = 512
TOPIC_CHARS = 256
KEEP_ROWS = 10_000

CODES = {
    "topic": "the topic is not one of the contract's topics",
    "site": "the topic names another site",
    "size": "the payload is too large",
    "json": "the payload is not a UTF-8 JSON object",
    "schema": "the payload does not match the contract (types, fields, values)",
    "snapshot": "a snapshot that is not a JPEG or is too large",
    "seq_conflict": "another event already holds this device's seq",
    "id_conflict": "this event id was already used by another device or seq",
    "snapshot_orphan": "a snapshot whose event the hub does not hold (nor received within a minute)",
    "snapshot_quota": "a device sent more pictures in 24 hours than its quota",
    "snapshot_disk_low": "a picture dropped because free disk space is below the floor kept for events",
    "decode": "decoding the message failed in an unexpected way (kept, acknowledged)",
    "internal": "storing the message failed on a bug, not on the disk (kept, acknowledged)",
}


def classify(kind: str | None, reason: str) -> str:
    """The quarantine code for a decoding failure of a message of ``kind`` (None: bad topic)."""
    if kind is None:
        return "topic"
    if kind == "snapshot":
        return "snapshot"
    if "bytes (at most" in reason:
        return "size"
    if "is not UTF-8 JSON" in reason or "must be a JSON object" in reason:
        return "json"
    return "schema"


def excerpt(payload: bytes, limit: int = EXCERPT_BYTES) -> tuple[str, str]:
    """(encoding, text): the first ``limit`` bytes as text when they are UTF-8, else as hex."""
    head = payload[:limit]
    for cut in range(4):  # a multi-byte character may be split at the end
        try:
            text = head[:len(head) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
        if all(c.isprintable() or c in "\r\n\t" for c in text):
            return "text", text
        break
    return "hex", head.hex()


class Quarantine:
    """Stores invalid messages (writer thread) and keeps counts readable from any thread."""

    def __init__(self, *, keep_rows: int = KEEP_ROWS):
        self.keep_rows = keep_rows
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._since_trim = 0

    def load(self, db: Database) -> None:
        with self._lock:
            self._counts = {r["code"]: r["count"] for r in db.query("SELECT code, count FROM quarantine_counts")}

    def add(self, db: Database, *, topic: str, payload: bytes, code: str, reason: str,
            received_at: datetime, whole: bool = False) -> None:
        """Keep one invalid message (inside the writer's transaction); ``whole``: keep all of a
        (size-checked) payload, not an excerpt — a valid event refused for a conflict may be the
        genuine one, and a person must be able to restore it."""
        encoding, text = excerpt(payload, len(payload) if whole else EXCERPT_BYTES)
        at = format_ts(received_at)
        db.execute(
            "INSERT INTO quarantine (received_at, topic, code, reason, payload_bytes, payload_encoding, payload)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)", [at, topic[:TOPIC_CHARS], code, reason[:1000], len(payload), encoding, text])
        db.execute(
            "INSERT INTO quarantine_counts (code, count, last_reason, last_at) VALUES (?, 1, ?, ?)"
            " ON CONFLICT(code) DO UPDATE SET count = count + 1, last_reason = excluded.last_reason,"
            " last_at = excluded.last_at", [code, reason[:1000], at])
        with self._lock:
            count = self._counts[code] = self._counts.get(code, 0) + 1
        if count == 1 or count in (10, 100, 1000) or count % 10_000 == 0:
            logger.warning("quarantined message #%d of kind %r on %s: %s", count, code, topic[:120], reason)
        self._trim(db)

    def _trim(self, db: Database) -> None:
        self._since_trim += 1
        if self._since_trim < 100:
            return
        self._since_trim = 0
        db.execute("DELETE FROM quarantine WHERE id <= (SELECT MAX(id) FROM quarantine) - ?", [self.keep_rows])

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self._counts.values())

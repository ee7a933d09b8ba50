"""The edge's durable outbox (待发队列): every event is on disk before it is published.

One SQLite file per device, ``<storage.dir>/outbox-<device>.db``, in WAL mode with
``synchronous=FULL``: a commit returns only once the WAL is synced, so an event that
:meth:`Outbox.emit` returned an id for survives a power cut, and so does the delete after the
hub's ``ack``.

Guarantees (docs/contract.md §1):

* ``seq`` is gapless per device, also across restarts: it is assigned in the same transaction that
  stores the row, and the ``meta`` table keeps the last issued seq, so deleting acknowledged rows
  never makes a seq come back.
* A row is deleted only by :meth:`Outbox.ack`, which the publisher calls when the hub's retained
  ``ack`` covers it — never because the broker PUBACKed it.
* A bad event raises :class:`~gwcommon.exc.InvalidMessage` and stores nothing (for
  :meth:`Outbox.emit_many`: nothing of the whole batch).

Snapshots (JPEG pictures for an event) live in their own table under a total-size cap: when a new
one would exceed it, the oldest are dropped first, counted in :attr:`OutboxStats.snapshots_dropped`
and logged.  They are published best effort and deleted after the broker's PUBACK.

Thread safety: one connection guarded by a lock; sensors call :meth:`emit` from their own threads
while the publisher reads and deletes from its thread.

Example::

    outbox = Outbox(tmp / "outbox-gate-north.db", site="pingan-2", device="gate-north",
                    clock=SystemClock())
    event_id = outbox.emit("fault", {"code": "relay_fault", "active": True, "detail": "K1"})
    rows = outbox.pending(after=0, limit=100)     # [OutboxRow(seq=1, kind="fault", ...)]
    outbox.ack(1)                                  # the hub has it: the row is deleted
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from edge.envelope import make_event
from gwcommon import wire
from gwcommon.clock import Clock
from gwcommon.exc import InvalidMessage

logger = logging.getLogger(__name__)

DEFAULT_SNAPSHOT_CAP = 64 * 1024 * 1024

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS snapshots (
    n INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE, jpeg BLOB NOT NULL,
    bytes INTEGER NOT NULL);
INSERT OR IGNORE INTO meta (key, value) VALUES ('last_seq', 0), ('acked_seq', 0), ('confirmed', 0);
"""


def uuid7(unix_ms: int) -> str:
    """A UUIDv7 (RFC 9562) string: 48-bit Unix milliseconds, version 7, 74 random bits."""
    rand = int.from_bytes(os.urandom(10), "big")
    value = (unix_ms & (2**48 - 1)) << 80
    value |= 0x7 << 76 | ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62 | (rand & (2**62 - 1))
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


@dataclass(frozen=True)
class OutboxRow:
    """One stored event: ``body`` is the exact JSON payload to publish."""

    seq: int
    id: str
    kind: str
    body: bytes


@dataclass(frozen=True)
class SnapshotRow:
    """One stored picture, to be published on ``.../snapshot/<event_id>``."""

    event_id: str
    jpeg: bytes


@dataclass
class OutboxStats:
    """Counters for logs and metrics."""

    emitted: int = 0
    rejected: int = 0
    acked_rows: int = 0
    snapshots_stored: int = 0
    snapshots_dropped: int = 0
    snapshots_rejected: int = 0


class Outbox:
    """The durable outbox; implements :class:`edge.events.EventSink`.

    ``path``: the SQLite file (created with its directory).  ``site``/``device`` are for log
    messages; ``clock`` stamps events (``ts``) and their UUIDv7 ids; ``snapshot_cap`` is the most
    bytes of pictures kept.  Listeners added with :meth:`add_listener` are called (without
    arguments, from the emitting thread) after each commit: the publisher wakes up that way.
    """

    def __init__(self, path: str | Path, *, device: str, clock: Clock, site: str = "",
                 snapshot_cap: int = DEFAULT_SNAPSHOT_CAP):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.site, self.device, self.clock = site, device, clock
        self.snapshot_cap = snapshot_cap
        self.stats = OutboxStats()
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []
        self._db = sqlite3.connect(str(self.path), timeout=30, check_same_thread=False,
                                   isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        self._last_seq = self._meta("last_seq")

    # -- events ---------------------------------------------------------------------------

    def emit(self, kind: str, fields: dict[str, Any]) -> str:
        """Store one event durably and wake the publisher; returns its id (UUIDv7).

        ``fields``: the event's own fields (docs/contract.md §1) without ``id``/``seq``/``v``; a ``ts``
        in ``fields`` (a replayed recording) is kept, otherwise the clock's now is used.
        Raises InvalidMessage (and stores nothing) when the event breaks the wire contract.
        """
        return self.emit_many([(kind, fields)])[0]

    def emit_many(self, events: Iterable[tuple[str, dict[str, Any]]]) -> list[str]:
        """Store several events in one transaction (one fsync); all or nothing."""
        events = list(events)
        with self._lock:
            rows = [self._build(kind, fields, self._last_seq + n)
                    for n, (kind, fields) in enumerate(events, start=1)]
            if rows:
                self._store(rows)
        self.stats.emitted += len(rows)
        self._notify()
        return [row.id for row in rows]

    def _build(self, kind: str, fields: dict[str, Any], seq: int) -> OutboxRow:
        now = self.clock.now()
        try:
            event = make_event(kind, fields, seq=seq, event_id=uuid7(int(now.timestamp() * 1000)),
                               now=now)
        except InvalidMessage:
            self.stats.rejected += 1
            raise
        return OutboxRow(seq=seq, id=event.id, kind=kind, body=wire.encode(event))

    def _store(self, rows: list[OutboxRow]) -> None:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany("INSERT INTO events (seq, id, kind, body) VALUES (?, ?, ?, ?)",
                           [(r.seq, r.id, r.kind, r.body) for r in rows])
            db.execute("UPDATE meta SET value = ? WHERE key = 'last_seq'", (rows[-1].seq,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self._last_seq = rows[-1].seq

    def pending(self, *, after: int = 0, limit: int = 100) -> list[OutboxRow]:
        """Unacknowledged rows with ``seq > after``, in seq order, at most ``limit``."""
        with self._lock:
            cur = self._db.execute(
                "SELECT seq, id, kind, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                (after, limit))
            return [OutboxRow(s, i, k, bytes(b)) for s, i, k, b in cur.fetchall()]

    def get(self, seq: int) -> OutboxRow | None:
        """The row with this seq, or None once it is acknowledged."""
        with self._lock:
            found = self._db.execute("SELECT seq, id, kind, body FROM events WHERE seq = ?",
                                     (seq,)).fetchone()
        return OutboxRow(found[0], found[1], found[2], bytes(found[3])) if found else None

    def ack(self, seq: int) -> int:
        """The hub holds every event up to ``seq``: delete those rows (durably); returns how many."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                deleted = db.execute("DELETE FROM events WHERE seq <= ?", (seq,)).rowcount
                db.execute("UPDATE meta SET value = max(value, ?) WHERE key = 'acked_seq'", (seq,))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        self.stats.acked_rows += deleted
        return deleted

    def follow_hub(self, hub_seq: int) -> bool:
        """First contact with the hub: number on after ``hub_seq`` if the hub remembers more.

        A new outbox (a new SD card, a deleted file) starts at seq 1, but the hub's retained ack
        may say it already holds this device's events up to ``hub_seq`` from before.  Then the
        waiting rows (none of them published yet) are renumbered to follow ``hub_seq``, which
        keeps the device's seq gapless at the hub and stops the old ack from deleting new rows.
        Only the first time: afterwards :attr:`numbering_confirmed` is True and this does nothing.
        Returns True when rows or the counter moved.
        """
        with self._lock:
            if self._meta("confirmed"):
                return False
            rows = self._db.execute("SELECT seq, body FROM events ORDER BY seq DESC").fetchall()
            delta = hub_seq + 1 - rows[-1][0] if rows else hub_seq - self._last_seq
            moved = delta > 0
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if moved:
                    self._renumber(rows, delta)
                self._db.execute("UPDATE meta SET value = 1 WHERE key = 'confirmed'")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            if moved:
                self._last_seq += delta
        return moved

    def _renumber(self, rows_desc: list[tuple[int, bytes]], delta: int) -> None:
        for old, body in rows_desc:
            data = json.loads(body)
            data["seq"] = old + delta
            self._db.execute("UPDATE events SET seq = ?, body = ? WHERE seq = ?",
                             (old + delta, _dumps(data), old))
        self._db.execute("UPDATE meta SET value = value + ? WHERE key = 'last_seq'", (delta,))

    def confirm_numbering(self) -> None:
        """The numbering is settled (an event was published, or the hub's ack was seen)."""
        with self._lock:
            if not self._meta("confirmed"):
                self._db.execute("UPDATE meta SET value = 1 WHERE key = 'confirmed'")

    @property
    def numbering_confirmed(self) -> bool:
        """False until the first publish or hub ack: see :meth:`follow_hub`."""
        with self._lock:
            return bool(self._meta("confirmed"))

    @property
    def last_seq(self) -> int:
        """The newest seq issued (0 before the first event)."""
        return self._last_seq

    @property
    def acked_seq(self) -> int:
        """The highest seq the hub has acknowledged to this outbox."""
        with self._lock:
            return self._meta("acked_seq")

    def count(self) -> int:
        """Rows not yet acknowledged by the hub."""
        with self._lock:
            return self._count()

    def _count(self) -> int:
        return self._db.execute("SELECT count(*) FROM events").fetchone()[0]

    def _meta(self, key: str) -> int:
        return self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0]

    # -- snapshots ------------------------------------------------------------------------

    def snapshot(self, event_id: str, jpeg: bytes) -> None:
        """Keep the JPEG taken for ``event_id`` until it is published (best effort).

        Raises InvalidMessage for something that is not a JPEG or is too large to publish.
        When the pictures kept would exceed ``snapshot_cap`` bytes, the oldest are dropped.
        """
        try:
            wire.decode(wire.topic(self.site or "x", self.device, "snapshot", event_id), jpeg)
        except InvalidMessage:
            self.stats.snapshots_rejected += 1
            raise
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("INSERT OR REPLACE INTO snapshots (event_id, jpeg, bytes) "
                                 "VALUES (?, ?, ?)", (event_id, jpeg, len(jpeg)))
                dropped = self._enforce_cap()
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        self.stats.snapshots_stored += 1
        if dropped:
            self.stats.snapshots_dropped += len(dropped)
            logger.warning("snapshot store over its cap of %d bytes: dropped %d oldest picture(s) "
                           "(events %s); %d dropped so far", self.snapshot_cap, len(dropped),
                           ", ".join(dropped[:5]), self.stats.snapshots_dropped)
        self._notify()

    def _enforce_cap(self) -> list[str]:
        dropped: list[str] = []
        total = self._db.execute("SELECT coalesce(sum(bytes), 0) FROM snapshots").fetchone()[0]
        for n, event_id, size in self._db.execute(
                "SELECT n, event_id, bytes FROM snapshots ORDER BY n").fetchall():
            if total <= self.snapshot_cap:
                break
            self._db.execute("DELETE FROM snapshots WHERE n = ?", (n,))
            dropped.append(event_id)
            total -= size
        return dropped

    def snapshots_ready(self, *, published_through: int, limit: int = 5) -> list[SnapshotRow]:
        """Oldest pictures whose event is acknowledged or already sent (seq ≤ ``published_through``)."""
        with self._lock:
            cur = self._db.execute(
                "SELECT s.event_id, s.jpeg FROM snapshots s LEFT JOIN events e ON e.id = s.event_id "
                "WHERE e.seq IS NULL OR e.seq <= ? ORDER BY s.n LIMIT ?", (published_through, limit))
            return [SnapshotRow(event_id, bytes(jpeg)) for event_id, jpeg in cur.fetchall()]

    def delete_snapshot(self, event_id: str) -> None:
        """The broker took the picture: forget it."""
        with self._lock:
            self._db.execute("DELETE FROM snapshots WHERE event_id = ?", (event_id,))

    def snapshot_count(self) -> int:
        """Pictures waiting to be published."""
        with self._lock:
            return self._db.execute("SELECT count(*) FROM snapshots").fetchone()[0]

    # -- plumbing -------------------------------------------------------------------------

    def add_listener(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` after every stored event or snapshot (it must not block)."""
        self._listeners.append(callback)

    def _notify(self) -> None:
        for callback in list(self._listeners):
            callback()

    def close(self) -> None:
        """Close the database (a checkpoint folds the WAL back into the file)."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> "Outbox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _dumps(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

"""Ingest (入库): turn MQTT messages from the edge devices into stored events, snapshots and
device state, and decide the acks.

Each message becomes one writer job (:meth:`Ingest.process`, inside the writer's transaction):
invalid messages go to the quarantine, events are stored once by ``id`` (a repeat is counted and
changes nothing), snapshots are written as files and indexed.  Once the batch holding the job has
committed, :meth:`Ingest.apply` (the job's after-commit callback) updates the device's state; the
acks that state allows are published from the writer tick (:meth:`Ingest.tick`), coalesced per
device, only ever growing.  So an ack never covers an event that is not durably stored.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from gwcommon.exc import InvalidMessage
from gwcommon.timefmt import format_ts, parse_ts, stored_ts
from gwcommon.wire import (
    EVENT_KINDS,
    HUB_DEVICE,
    Ack,
    Envelope,
    Status,
    Topic,
    MAX_JSON_BYTES,
    decode,
    decode_payload,
    encode,
    parse_topic,
    topic,
)
from hub.core.db import is_full
from hub.core.devices import DeviceBook
from hub.core.quarantine import Quarantine, classify
from hub.core.snapshot_guard import FLOOR_BYTES, QUOTA_BYTES, Waiting, WaitRoom, free_bytes, verdict

logger = logging.getLogger(__name__)

OUTBOUND_KINDS = ("ack", "cmd", "allowlist", "violation")  # the hub's own topics, not for ingest


@dataclass(frozen=True)
class RawMessage:
    """One MQTT message as the callback saw it (the callback does nothing else)."""

    topic: str
    payload: bytes
    received_at: datetime
    retain: bool = False


@dataclass(frozen=True)
class EventContext:
    """Passed to event handlers with each newly stored event."""

    site: str
    device: str
    received_at: datetime


@dataclass(frozen=True)
class Outcome:
    """What a job did, applied to the device state after commit."""

    what: str  # event|duplicate|heartbeat|status|snapshot|snapshot_duplicate|quarantined|ignored
    device: str | None = None
    message: Any = None
    received_at: datetime | None = None
    live: bool = True
    with_snapshot: bool = False  # an event whose picture had arrived first and was stored with it


@dataclass
class IngestStats:
    """Counters for the health page and metrics."""

    received: int = 0
    events: int = 0
    duplicates: int = 0
    snapshots: int = 0
    ignored: int = 0
    handler_errors: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


class AckBoard:
    """The acks to publish: the newest allowed per device, published only when it grows."""

    def __init__(self) -> None:
        self._allowed: dict[str, int] = {}
        self._published: dict[str, int] = {}
        self._forced: set[str] = set()

    def allow(self, device: str, seq: int | None, *, force: bool = False) -> None:
        if seq is None:
            return
        self._allowed[device] = max(seq, self._allowed.get(device, 0))
        if force:
            self._forced.add(device)

    def due(self) -> list[tuple[str, int]]:
        """(device, seq) pairs to publish now; marks them published."""
        out = []
        for device, seq in self._allowed.items():
            if seq > self._published.get(device, 0) or device in self._forced:
                out.append((device, seq))
                self._published[device] = seq
        self._forced.clear()
        return out

    def published(self, device: str) -> int:
        return self._published.get(device, 0)


class Ingest:
    """Validation, storage and device state for one site."""

    def __init__(self, site: str, *, book: DeviceBook, quarantine: Quarantine, snapshots_dir: Path,
                 tz: ZoneInfo, publish: Callable[..., None]):
        self.site = site
        self.book = book
        self.quarantine = quarantine
        self.snapshots_dir = snapshots_dir
        self.tz = tz
        self.publish = publish
        self.handlers: dict[str, list[Callable]] = {kind: [] for kind in EVENT_KINDS}
        self.acks = AckBoard()
        self.stats = IngestStats()
        self.waitroom = WaitRoom()
        self.snapshot_quota = QUOTA_BYTES
        self.snapshot_floor = FLOOR_BYTES
        self.disk_low = False
        self._disk_checked: datetime | None = None
        self._recheck = False  # memory may be ahead of the committed tables (see taken_back)

    # -- on the writer thread, inside the transaction ------------------------------------------

    def taken_back(self) -> None:
        """A transaction holding ingest work was taken back (a full disk, a failed message): the
        waiting room and the quarantine counts, changed in memory as the work went, are read again
        from their tables (the truth) before the next piece of work."""
        self._recheck = True

    def _resync(self, db: Database, now: datetime) -> None:
        if not self._recheck:
            return
        self._recheck = False
        self.quarantine.load(db)
        self.waitroom.reset([Waiting(row["device"], row["event_id"], bytes(row["jpeg"]), row["topic"],
                                     parse_ts(row["received_at"]), now.timestamp())
                             for row in db.query("SELECT * FROM snapshot_waiting ORDER BY received_at")])

    def process(self, db: Database, msg: RawMessage) -> Outcome:
        """Validate and store one message; returns what to apply after commit."""
        self._resync(db, msg.received_at)
        try:
            where = parse_topic(msg.topic)
        except InvalidMessage as exc:
            return self._quarantine(db, msg, "topic", exc.reason)
        if where.site != self.site:
            return self._quarantine(db, msg, "site", f"topic site {where.site!r} is not this hub's site {self.site!r}")
        if where.device in (HUB_DEVICE, None) or where.kind in OUTBOUND_KINDS:
            return Outcome("ignored")
        try:
            body = decode(msg.topic, msg.payload)[1] if where.kind == "snapshot" else _decode_json(where.kind, msg.payload)
        except InvalidMessage as exc:
            return self._quarantine(db, msg, classify(where.kind, exc.reason), exc.reason)
        except Exception as exc:  # noqa: BLE001 — decoding untrusted bytes: any failure is a quarantine
            return self._quarantine(db, msg, "decode", f"could not decode ({type(exc).__name__}: {str(exc)[:200]})")
        if where.kind in EVENT_KINDS:
            return self._store_event(db, msg, where, body)
        if where.kind == "snapshot":
            return self._store_snapshot(db, msg, where, body)
        return Outcome(where.kind, where.device, body, msg.received_at, live=not msg.retain)

    def quarantine_failure(self, db: Database, msg: RawMessage, exc: BaseException) -> Outcome:
        """Keep a message whose processing raised a non-storage error (a bug), so it is acked."""
        return self._quarantine(db, msg, "internal", f"processing failed ({type(exc).__name__}: {str(exc)[:200]})")

    def _quarantine(self, db: Database, msg: RawMessage, code: str, reason: str, *, whole: bool = False) -> Outcome:
        self.quarantine.add(db, topic=msg.topic, payload=msg.payload, code=code, reason=reason,
                            received_at=msg.received_at, whole=whole)
        return Outcome("quarantined")

    def _store_event(self, db: Database, msg: RawMessage, where: Topic, event: Envelope) -> Outcome:
        device = where.device
        found = db.execute("SELECT id, device, seq FROM events WHERE id = ? OR (device = ? AND seq = ?)",
                           [event.id, device, event.seq]).fetchall()
        for other_id, other_device, other_seq in found:
            if other_id != event.id:
                return self._quarantine(db, msg, "seq_conflict",
                                        f"{device} seq {event.seq} is already stored with id {other_id}, not {event.id}",
                                        whole=True)
            if (other_device, other_seq) != (device, event.seq):
                return self._quarantine(db, msg, "id_conflict",
                                        f"event id {event.id} is already stored as {other_device} seq {other_seq}",
                                        whole=True)
        if found:
            return Outcome("duplicate", device, event, msg.received_at)
        db.execute(
            "INSERT INTO events (id, site, device, seq, kind, ts, received_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [event.id, self.site, device, event.seq, where.kind, stored_ts(event.ts),
             format_ts(msg.received_at), encode(event).decode("utf-8")])
        self._run_handlers(db, where.kind, event, EventContext(self.site, device, msg.received_at))
        waiting = self.waitroom.take(event.id, device)
        if waiting is not None:
            self._forget_waiting(db, waiting)
        stored = waiting is not None and self._store_snapshot(
            db, RawMessage(waiting.topic, waiting.jpeg, waiting.received_at),
            Topic(self.site, device, "snapshot", event.id), waiting.jpeg).what == "snapshot"
        return Outcome("event", device, (where.kind, event), msg.received_at, with_snapshot=stored)

    def _run_handlers(self, db: Database, kind: str, event: Envelope, ctx: EventContext) -> None:
        for handler in self.handlers[kind]:
            db.execute("SAVEPOINT handler")
            try:
                handler(db, event, ctx)
            except Exception as exc:  # an area's bug must not stop ingest or lose the event
                if is_full(exc) or not db.conn.in_transaction:
                    raise  # a full disk took back the whole transaction: the batch is retried
                db.execute("ROLLBACK TO SAVEPOINT handler")
                self.stats.handler_errors += 1
                logger.exception("event handler %s failed on %s event %s (event kept)",
                                 getattr(handler, "__qualname__", handler), kind, event.id)
            db.execute("RELEASE SAVEPOINT handler")

    def _store_snapshot(self, db: Database, msg: RawMessage, where: Topic, jpeg: bytes) -> Outcome:
        event_id = where.event_id
        if db.execute("SELECT 1 FROM snapshots WHERE event_id = ?", [event_id]).fetchone():
            return Outcome("snapshot_duplicate", where.device, None, msg.received_at)
        decision = self._snapshot_verdict(db, where, jpeg, msg.received_at)
        if decision == "wait":
            for pushed in self.waitroom.put(Waiting(where.device, event_id, jpeg, msg.topic, msg.received_at,
                                                    msg.received_at.timestamp())):
                self._orphan(db, pushed, "pushed out of the waiting room by newer pictures")
            db.execute("INSERT OR REPLACE INTO snapshot_waiting (event_id, device, topic, received_at, jpeg) "
                       "VALUES (?, ?, ?, ?, ?)", [event_id, where.device, msg.topic, format_ts(msg.received_at), jpeg])
            return Outcome("snapshot_waiting", where.device, None, msg.received_at)
        if decision != "keep":
            return self._quarantine(db, msg, decision, SNAPSHOT_REASONS[decision].format(device=where.device))
        local = msg.received_at.astimezone(self.tz)
        relative = Path(f"{local:%Y}", f"{local:%m}", f"{local:%d}", f"{event_id}.jpg")
        _write_durably(self.snapshots_dir / relative, jpeg)
        db.execute("INSERT INTO snapshots (event_id, device, path, bytes, received_at) VALUES (?, ?, ?, ?, ?)",
                   [event_id, where.device, relative.as_posix(), len(jpeg), format_ts(msg.received_at)])
        return Outcome("snapshot", where.device, None, msg.received_at)

    def _snapshot_verdict(self, db: Database, where: Topic, jpeg: bytes, at: datetime) -> str:
        has_event = db.execute("SELECT 1 FROM events WHERE id = ? AND device = ?",
                               [where.event_id, where.device]).fetchone() is not None
        used = db.execute("SELECT COALESCE(SUM(bytes), 0) FROM snapshots WHERE device = ? AND received_at >= ?",
                          [where.device, format_ts(at - timedelta(hours=24))]).fetchone()[0]
        decision = verdict(has_event=has_event, device_bytes_24h=used, size=len(jpeg),
                           free_bytes=free_bytes(self.snapshots_dir), quota_bytes=self.snapshot_quota,
                           floor_bytes=self.snapshot_floor)
        self.disk_low = decision == "snapshot_disk_low" or (self.disk_low and decision != "keep")
        return decision

    def restore_waiting(self, db: Database, now: datetime) -> int:
        """At start: pictures that were waiting for their event when the hub stopped wait again,
        for a full ``wait`` from now (their events come with the devices' backlog).  Returns how many."""
        restored = 0
        for row in db.query("SELECT * FROM snapshot_waiting ORDER BY received_at"):
            item = Waiting(row["device"], row["event_id"], bytes(row["jpeg"]), row["topic"],
                           parse_ts(row["received_at"]), now.timestamp())
            for pushed in self.waitroom.put(item):
                self._orphan(db, pushed, "pushed out of the waiting room by newer pictures")
            restored += 1
        if restored:
            logger.info("%d snapshot(s) waiting for their event before the restart wait again", restored)
        return restored

    def _forget_waiting(self, db: Database, item: Waiting) -> None:
        db.execute("DELETE FROM snapshot_waiting WHERE event_id = ?", [item.event_id])

    def _orphan(self, db: Database, item: Waiting, why: str) -> None:
        self._forget_waiting(db, item)
        self.quarantine.add(db, topic=item.topic, payload=item.jpeg, code="snapshot_orphan",
                            reason=f"snapshot of event {item.event_id}: {why}; the hub holds no such event of "
                                   f"{item.device}", received_at=item.received_at)

    # -- on the writer thread, after commit ------------------------------------------------------

    def apply(self, outcome: Outcome) -> None:
        """Update device state from a committed job and note the acks it allows."""
        what = outcome.what
        self.stats.by_kind[what] = self.stats.by_kind.get(what, 0) + 1
        if outcome.device is None:
            self.stats.ignored += what == "ignored"
            return
        dev = self.book.get(outcome.device)
        self.book.seen(dev, outcome.received_at, live=outcome.live)
        if what == "event":
            kind, event = outcome.message
            self.stats.events += 1
            self.stats.snapshots += outcome.with_snapshot
            self.book.event_stored(dev, kind, event.seq, event.ts, outcome.received_at)
        elif what == "duplicate":
            self.stats.duplicates += 1
            self.book.duplicate(dev, outcome.message.seq, outcome.message.ts, outcome.received_at)
        elif what == "snapshot":
            self.stats.snapshots += 1
        elif what == "heartbeat":
            self.book.heartbeat(dev, outcome.message, outcome.received_at)
        elif what == "status":
            self._apply_status(dev, outcome.message)
        self.acks.allow(dev.device, dev.track.ack)

    def _apply_status(self, dev, status: Status) -> None:
        was = dev.status_online
        self.book.status(dev, status)
        if status.online:
            self.acks.allow(dev.device, dev.track.ack, force=True)  # a device back online re-reads its ack
        if was is not status.online:
            logger.info("device %s says it is %s", dev.device, "online" if status.online else "offline")

    def tick(self, db: Database, now: datetime) -> None:
        """Writer tick: publish due acks, write changed devices, log online/offline changes."""
        self._resync(db, now)
        expired = self.waitroom.expired(now.timestamp())
        if expired:
            self.taken_back()  # whether this tick commits or not, the next one re-reads the table
        for item in expired:
            self._orphan(db, item, f"its event did not arrive within {self.waitroom.wait:.0f} s")
        self._check_disk(now)
        for device, seq in self.acks.due():
            self.publish(topic(self.site, device, "ack"), encode(Ack(seq=seq)), retain=True)
        for device, online in self.book.flush(db, now):
            logger.info("device %s is now %s", device, "online" if online else "offline (silent or said so)")


    def _check_disk(self, now: datetime) -> None:
        """Every 10 s: is the storage below the pictures' free-space floor? (/healthz, the alert)."""
        if self._disk_checked is not None and now - self._disk_checked < timedelta(seconds=10):
            return
        self._disk_checked = now
        low = free_bytes(self.snapshots_dir) < self.snapshot_floor
        if low and not self.disk_low:
            logger.error("free space under %s is below %d MiB: events are still stored, snapshot pictures are "
                         "dropped (quarantine code snapshot_disk_low) until space is freed",
                         self.snapshots_dir, self.snapshot_floor // (1024 * 1024))
        self.disk_low = low


SNAPSHOT_REASONS = {
    "snapshot_quota": "{device} sent more pictures in 24 hours than its quota; picture dropped",
    "snapshot_disk_low": "free disk space is below the floor kept for events; picture dropped, events still stored",
}


def _decode_json(kind: str, payload: bytes):
    if len(payload) > MAX_JSON_BYTES:
        raise InvalidMessage(f"payload is {len(payload)} bytes (at most {MAX_JSON_BYTES})")
    return decode_payload(kind, payload)


def _write_durably(path: Path, data: bytes) -> None:
    """Write a file and fsync it (and its directory), so the index never names a missing file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


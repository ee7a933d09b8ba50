"""The hub's record of each edge device (设备): status, heartbeat, sequence, watermark.

:class:`DeviceBook` is owned by the writer thread.  It changes a device only *after* the
transaction that stored the device's message has committed (from the writer's after-commit
callbacks), so an ack derived from it never covers an event a failed commit took back.  Changed
devices are written to the ``devices`` table by :meth:`DeviceBook.flush` on the next writer tick;
the table may lag by a tick but is never ahead of ``events``, and :meth:`DeviceBook.load`
rebuilds the sequence state from ``events`` at start.  Other threads read immutable
:class:`~hub.core.watermark.DeviceView` snapshots (for the site clock) through :meth:`views`.

Time (docs/contract.md §2, "decided from data"): a watermark never runs ahead of the hub's wall clock
by more than ``tolerance``; a device whose heartbeat or event ``ts`` is further ahead is flagged
``clock_ahead`` (it does not hold the site clock until a heartbeat within the tolerance clears
it), and a persisted watermark from the future is brought back to the hub's clock at
:meth:`DeviceBook.load`.  Devices that were online when the hub stopped count as heard at the
hub's start (for ``offline_after``), so a restarted hub waits for their backlog instead of
deciding on its own clock the mornings it missed.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlite_utils import Database

from gwcommon.timefmt import format_ts, parse_ts
from gwcommon.wire import Heartbeat, Status
from hub.core.watermark import DEFAULT_TOLERANCE, DeviceView, SeqTrack, bounded, is_ahead, is_online, watermark

logger = logging.getLogger(__name__)

KIND_FROM_EVENT = {"passage": "gate", "presence": "lane", "charging": "charging"}


@dataclass
class Device:
    """One device's state as the writer thread keeps it."""

    device: str
    kind: str | None = None
    version: str | None = None
    status_online: bool | None = None
    status_ts: datetime | None = None
    online: bool = False
    last_seen: datetime | None = None
    track: SeqTrack = field(default_factory=SeqTrack)
    last_seq: int = 0
    hb_ts: datetime | None = None
    hb_last_seq: int | None = None
    hb_outbox: int | None = None
    skew_ms: int | None = None
    watermark: datetime | None = None
    events: int = 0
    duplicates: int = 0
    clock_ahead: bool = False
    held_from: datetime | None = None  # the hub's start, for a device online when it stopped

    def view(self) -> DeviceView:
        seen = self.last_seen
        if self.held_from is not None and (seen is None or self.held_from > seen):
            seen = self.held_from
        skew = timedelta(milliseconds=self.skew_ms) if self.skew_ms is not None else None
        return DeviceView(self.device, self.kind, self.status_online, seen, self.watermark,
                          clock_ahead=self.clock_ahead, skew=skew)

    def row(self) -> dict:
        t = self.track
        return {
            "device": self.device, "kind": self.kind, "version": self.version,
            "status_online": self.status_online, "status_ts": _ts(self.status_ts),
            "online": self.online, "last_seen": _ts(self.last_seen), "base_seq": t.base,
            "base_confirmed": t.confirmed, "ack_seq": t.top, "top_ts": _ts(t.top_ts),
            "last_seq": self.last_seq, "hb_ts": _ts(self.hb_ts), "hb_last_seq": self.hb_last_seq,
            "hb_outbox": self.hb_outbox, "skew_ms": self.skew_ms,
            "watermark": _ts(self.watermark), "events": self.events, "duplicates": self.duplicates,
            "clock_ahead": self.clock_ahead,
        }


def _ts(moment: datetime | None) -> str | None:
    return format_ts(moment) if moment is not None else None


def _parse(text: str | None) -> datetime | None:
    return parse_ts(text) if text else None


_SKEW_LIMIT_MS = 2**62  # an SQLite integer; a heartbeat from year 9999 must not overflow the row


def _skew_ms(delta: timedelta) -> int:
    return max(-_SKEW_LIMIT_MS, min(_SKEW_LIMIT_MS, round(delta.total_seconds() * 1000)))


class DeviceBook:
    """All known devices; mutated on the writer thread only."""

    def __init__(self, *, offline_after: timedelta, tolerance: timedelta = DEFAULT_TOLERANCE):
        self.offline_after = offline_after
        self.tolerance = tolerance
        self.clock_now: datetime | None = None  # the hub's wall clock at the newest message taken
        self._devices: dict[str, Device] = {}
        self._views: dict[str, DeviceView] = {}
        self._dirty: set[str] = set()
        self._lock = threading.Lock()

    def load(self, db: Database, now: datetime | None = None) -> None:
        """Read the devices table, then replay from ``events`` what the table had not caught up with.

        With ``now`` (the hub's start): a watermark from the future is repaired (brought back to
        ``now`` + tolerance), and devices that were online count as heard at ``now``.
        """
        for row in db.query("SELECT * FROM devices"):
            dev = self._devices[row["device"]] = self._from_row(row)
            if now is not None and dev.online and dev.status_online is not False:
                dev.held_from = now
        for row in db.query("SELECT device FROM events GROUP BY device"):
            self.get(row["device"])
        for dev in self._devices.values():
            for ev in db.query("SELECT seq, ts, kind FROM events WHERE device = ? AND seq > ? ORDER BY seq",
                               [dev.device, dev.track.top]):
                dev.kind = dev.kind or KIND_FROM_EVENT.get(ev["kind"])
                dev.last_seq = max(dev.last_seq, ev["seq"])
                dev.track.add(ev["seq"], parse_ts(ev["ts"]))
            self._repair(dev, now)
            self._recompute(dev, now)

    def _repair(self, dev: Device, now: datetime | None) -> None:
        limit = now + self.tolerance if now is not None else None
        fixed = bounded(dev.watermark, limit)
        if fixed != dev.watermark:
            logger.warning("device %s: stored watermark %s is ahead of the hub's clock; brought back to %s "
                           "(its events count by their time once the hub's clock gets there)",
                           dev.device, _ts(dev.watermark), _ts(fixed))
            dev.watermark = fixed
            dev.clock_ahead = True

    @staticmethod
    def _from_row(row: dict) -> Device:
        track = SeqTrack(base=row["base_seq"], top=row["ack_seq"], top_ts=_parse(row["top_ts"]),
                         confirmed=bool(row["base_confirmed"]))
        status = row["status_online"]
        return Device(
            row["device"], kind=row["kind"], version=row["version"],
            status_online=None if status is None else bool(status), status_ts=_parse(row["status_ts"]),
            online=bool(row["online"]), last_seen=_parse(row["last_seen"]), track=track,
            last_seq=row["last_seq"], hb_ts=_parse(row["hb_ts"]), hb_last_seq=row["hb_last_seq"],
            hb_outbox=row["hb_outbox"], skew_ms=row["skew_ms"], watermark=_parse(row["watermark"]),
            events=row["events"], duplicates=row["duplicates"], clock_ahead=bool(row.get("clock_ahead")))

    def get(self, device: str) -> Device:
        if device not in self._devices:
            self._devices[device] = Device(device)
        return self._devices[device]

    def seen(self, dev: Device, received_at: datetime, *, live: bool = True) -> None:
        """A message from the device arrived (retained messages are not proof of life)."""
        if live and (dev.last_seen is None or received_at > dev.last_seen):
            dev.last_seen = received_at
            self.touch(dev)

    def duplicate(self, dev: Device, seq: int, ts: datetime, received_at: datetime | None = None) -> None:
        """A repeat of a stored event; it is committed, so the track may count it (self-healing)."""
        dev.duplicates += 1
        dev.track.add(seq, ts)
        self._recompute(dev, received_at)

    def event_stored(self, dev: Device, kind: str, seq: int, ts: datetime,
                     received_at: datetime | None = None) -> None:
        """A new event was stored (inside the writer's transaction)."""
        dev.kind = dev.kind or KIND_FROM_EVENT.get(kind)
        dev.events += 1
        dev.last_seq = max(dev.last_seq, seq)
        dev.track.add(seq, ts)
        if received_at is not None and is_ahead(ts, received_at, self.tolerance):
            self._set_ahead(dev, True, ts, received_at)
        self._recompute(dev, received_at)

    def heartbeat(self, dev: Device, beat: Heartbeat, received_at: datetime) -> None:
        """A heartbeat: clock skew, the device's own view of its outbox, the watermark."""
        stable = (dev.hb_last_seq, dev.hb_outbox) == (beat.last_seq, beat.outbox)
        dev.hb_ts, dev.hb_last_seq, dev.hb_outbox = beat.ts, beat.last_seq, beat.outbox
        dev.skew_ms = _skew_ms(beat.ts - received_at)
        self._set_ahead(dev, is_ahead(beat.ts, received_at, self.tolerance), beat.ts, received_at)
        before = dev.track.skipped
        dev.track.hint(beat.last_seq - beat.outbox + 1, stable=stable)
        if dev.track.skipped > before:
            logger.warning("device %s no longer holds %d event(s) the hub never received; "
                           "passing over them (seq up to %d)", dev.device,
                           dev.track.skipped - before, dev.track.top)
        self._recompute(dev, received_at)

    def status(self, dev: Device, status: Status) -> None:
        """A status message (retained, or the device's will saying it went away)."""
        dev.status_online = status.online
        if status.kind is not None:
            dev.kind = status.kind
        if status.version is not None:
            dev.version = status.version
        if status.ts is not None:
            dev.status_ts = status.ts
        self._recompute(dev)

    def _set_ahead(self, dev: Device, ahead: bool, ts: datetime, received_at: datetime) -> None:
        if ahead == dev.clock_ahead:
            return
        dev.clock_ahead = ahead
        if ahead:
            logger.warning("device %s: its clock says %s, %s ahead of the hub's (more than the %s allowed): "
                           "it no longer holds the site clock", dev.device, _ts(ts), ts - received_at, self.tolerance)
        else:
            logger.info("device %s: its clock agrees with the hub's again", dev.device)

    def _recompute(self, dev: Device, now: datetime | None = None) -> None:
        if now is not None:
            self.clock_now = now
        now = now if now is not None else self.clock_now
        limit = now + self.tolerance if now is not None else None
        dev.watermark = watermark(dev.track, hb_ts=dev.hb_ts, hb_last_seq=dev.hb_last_seq,
                                  previous=dev.watermark, limit=limit)
        self.touch(dev)

    def touch(self, dev: Device) -> None:
        """Mark the device changed: its row is written at the next :meth:`flush`."""
        self._dirty.add(dev.device)
        self._publish_view(dev)

    def is_online(self, dev: Device, now: datetime) -> bool:
        return is_online(status_online=dev.status_online, last_seen=dev.last_seen, now=now,
                         offline_after=self.offline_after)

    def flush(self, db: Database, now: datetime) -> list[tuple[str, bool]]:
        """Write changed devices and online/offline changes; returns the (device, online) changes.

        Runs on the writer thread in its own transaction, after the events it reflects were
        committed, so the table is never ahead of ``events`` (:meth:`load` rebuilds the rest).
        """
        changes = []
        for dev in self._devices.values():
            online = self.is_online(dev, now)
            if online != dev.online:
                dev.online = online
                changes.append((dev.device, online))
                self._dirty.add(dev.device)
        dirty, self._dirty = self._dirty, set()
        if dirty:
            db["devices"].upsert_all([self._devices[d].row() for d in sorted(dirty)], pk="device")
        return changes

    def _publish_view(self, dev: Device) -> None:
        view = dev.view()
        with self._lock:
            self._views[dev.device] = view

    def views(self) -> list[DeviceView]:
        """Snapshots of every device, safe to read from any thread."""
        with self._lock:
            return list(self._views.values())

    def online_count(self, now: datetime) -> int:
        """How many devices are online at ``now`` (any thread)."""
        return sum(1 for v in self.views() if is_online(status_online=v.status_online, last_seen=v.last_seen,
                                                         now=now, offline_after=self.offline_after))

    def acks(self) -> dict[str, int]:
        """The ack each device may have now (writer thread)."""
        return {d.device: a for d in self._devices.values() if (a := d.track.ack) is not None}

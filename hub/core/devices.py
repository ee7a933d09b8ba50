"""The hub's record of each edge device (设备): status, heartbeat, sequence, watermark.

:class:`DeviceBook` is owned by the writer thread.  It changes a device only *after* the
transaction that stored the device's message has committed (from the writer's after-commit
callbacks), so an ack derived from it never covers an event a failed commit took back.  Changed
devices are written to the ``devices`` table by :meth:`DeviceBook.flush` on the next writer tick;
the table may lag by a tick but is never ahead of ``events``, and :meth:`DeviceBook.load`
rebuilds the sequence state from ``events`` at start.  Other threads read immutable
:class:`~hub.core.watermark.DeviceView` snapshots (for the site clock) through :meth:`views`.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlite_utils import Database

from gwcommon.timefmt import format_ts, parse_ts
from gwcommon.wire import Heartbeat, Status
from hub.core.watermark import DeviceView, SeqTrack, is_online, watermark

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

    def view(self) -> DeviceView:
        return DeviceView(self.device, self.kind, self.status_online, self.last_seen, self.watermark)

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
        }


def _ts(moment: datetime | None) -> str | None:
    return format_ts(moment) if moment is not None else None


def _parse(text: str | None) -> datetime | None:
    return parse_ts(text) if text else None


class DeviceBook:
    """All known devices; mutated on the writer thread only."""

    def __init__(self, *, offline_after: timedelta):
        self.offline_after = offline_after
        self._devices: dict[str, Device] = {}
        self._views: dict[str, DeviceView] = {}
        self._dirty: set[str] = set()
        self._lock = threading.Lock()

    def load(self, db: Database) -> None:
        """Read the devices table, then replay from ``events`` what the table had not caught up with."""
        for row in db.query("SELECT * FROM devices"):
            self._devices[row["device"]] = self._from_row(row)
        for row in db.query("SELECT device FROM events GROUP BY device"):
            self.get(row["device"])
        for dev in self._devices.values():
            for ev in db.query("SELECT seq, ts, kind FROM events WHERE device = ? AND seq > ? ORDER BY seq",
                               [dev.device, dev.track.top]):
                dev.kind = dev.kind or KIND_FROM_EVENT.get(ev["kind"])
                dev.last_seq = max(dev.last_seq, ev["seq"])
                dev.track.add(ev["seq"], parse_ts(ev["ts"]))
            self._recompute(dev)

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
            events=row["events"], duplicates=row["duplicates"])

    def get(self, device: str) -> Device:
        if device not in self._devices:
            self._devices[device] = Device(device)
        return self._devices[device]

    def seen(self, dev: Device, received_at: datetime, *, live: bool = True) -> None:
        """A message from the device arrived (retained messages are not proof of life)."""
        if live and (dev.last_seen is None or received_at > dev.last_seen):
            dev.last_seen = received_at
            self.touch(dev)

    def duplicate(self, dev: Device, seq: int, ts: datetime) -> None:
        """A repeat of a stored event; it is committed, so the track may count it (self-healing)."""
        dev.duplicates += 1
        dev.track.add(seq, ts)
        self._recompute(dev)

    def event_stored(self, dev: Device, kind: str, seq: int, ts: datetime) -> None:
        """A new event was stored (inside the writer's transaction)."""
        dev.kind = dev.kind or KIND_FROM_EVENT.get(kind)
        dev.events += 1
        dev.last_seq = max(dev.last_seq, seq)
        dev.track.add(seq, ts)
        self._recompute(dev)

    def heartbeat(self, dev: Device, beat: Heartbeat, received_at: datetime) -> None:
        """A heartbeat: clock skew, the device's own view of its outbox, the watermark."""
        stable = (dev.hb_last_seq, dev.hb_outbox) == (beat.last_seq, beat.outbox)
        dev.hb_ts, dev.hb_last_seq, dev.hb_outbox = beat.ts, beat.last_seq, beat.outbox
        dev.skew_ms = round((beat.ts - received_at).total_seconds() * 1000)
        before = dev.track.skipped
        dev.track.hint(beat.last_seq - beat.outbox + 1, stable=stable)
        if dev.track.skipped > before:
            logger.warning("device %s no longer holds %d event(s) the hub never received; "
                           "passing over them (seq up to %d)", dev.device,
                           dev.track.skipped - before, dev.track.top)
        self._recompute(dev)

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

    def _recompute(self, dev: Device) -> None:
        dev.watermark = watermark(dev.track, hb_ts=dev.hb_ts, hb_last_seq=dev.hb_last_seq,
                                  previous=dev.watermark)
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

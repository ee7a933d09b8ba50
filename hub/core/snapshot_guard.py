"""Which snapshot pictures the hub keeps (抓拍图片入库把关): bounded by events, quota and disk.

A device account (or anyone on an open broker) could otherwise fill the SD card with 2 MiB
"pictures".  So a snapshot is kept only when

- the hub holds its event (same device) — or receives that event within ``wait`` seconds: a
  picture that arrives first waits (:class:`WaitRoom`, bounded per device and in bytes; the ingest
  also keeps it in the table ``snapshot_waiting`` so that a restart does not lose it);
- its device stays under ``quota_bytes`` of pictures in the last 24 hours;
- the storage directory keeps at least ``floor_bytes`` free: below that the hub keeps storing
  events and drops pictures, and says so — a quarantine row (code ``snapshot_disk_low``), the
  metric of quarantine codes, a log line, and the maintenance alert "hub snapshot_disk_low" while
  the disk stays low.

A refused picture goes to the quarantine with its reason (``snapshot_orphan``, ``snapshot_quota``,
``snapshot_disk_low``), never silently.  :func:`verdict` is the pure decision.
"""

from __future__ import annotations

import shutil
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path

WAIT_S = 60.0
QUOTA_BYTES = 256 * 1024 * 1024     # per device and 24 hours: ~2,000 ordinary gate pictures
FLOOR_BYTES = 512 * 1024 * 1024     # free space the hub keeps for its database and events
WAIT_PER_DEVICE = 16
WAIT_BYTES = 16 * 1024 * 1024


def verdict(*, has_event: bool, device_bytes_24h: int, size: int, free_bytes: int,
            quota_bytes: int = QUOTA_BYTES, floor_bytes: int = FLOOR_BYTES) -> str:
    """``keep``, ``wait`` (no event yet) or the quarantine code of a refusal."""
    if free_bytes - size < floor_bytes:
        return "snapshot_disk_low"
    if device_bytes_24h + size > quota_bytes:
        return "snapshot_quota"
    return "keep" if has_event else "wait"


@dataclass(frozen=True)
class Waiting:
    """A picture whose event has not arrived yet."""

    device: str
    event_id: str
    jpeg: bytes
    topic: str
    received_at: object
    since: float


class WaitRoom:
    """Pictures waiting for their event; bounded per device and in bytes, oldest pushed out first."""

    def __init__(self, *, wait: float = WAIT_S, per_device: int = WAIT_PER_DEVICE, max_bytes: int = WAIT_BYTES):
        self.wait, self.per_device, self.max_bytes = wait, per_device, max_bytes
        self._items: OrderedDict[str, Waiting] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def put(self, item: Waiting) -> list[Waiting]:
        """Keep ``item``; returns what was pushed out to make room (to be quarantined)."""
        with self._lock:
            pushed = []
            if item.event_id in self._items:  # a repeat of a waiting picture replaces it
                self._pop(item.event_id)
            same = [w for w in self._items.values() if w.device == item.device]
            while same and len(same) >= self.per_device:
                pushed.append(self._pop(same.pop(0).event_id))
            while self._items and self._bytes + len(item.jpeg) > self.max_bytes:
                pushed.append(self._pop(next(iter(self._items))))
            self._items[item.event_id] = item
            self._bytes += len(item.jpeg)
            return pushed

    def take(self, event_id: str, device: str) -> Waiting | None:
        """The picture waiting for this event of this device, if any."""
        with self._lock:
            found = self._items.get(event_id)
            if found is None or found.device != device:
                return None
            return self._pop(event_id)

    def expired(self, now: float) -> list[Waiting]:
        """Pictures that waited longer than ``wait``: their event never came."""
        with self._lock:
            old = [k for k, w in self._items.items() if now - w.since > self.wait]
            return [self._pop(k) for k in old]

    def reset(self, items: list[Waiting]) -> None:
        """Hold exactly ``items`` (what the table ``snapshot_waiting`` says after a taken-back
        transaction); an item already held keeps its waiting time."""
        with self._lock:
            held, self._items, self._bytes = self._items, OrderedDict(), 0
            for item in items:
                old = held.get(item.event_id)
                self._items[item.event_id] = replace(item, since=old.since) if old is not None else item
                self._bytes += len(item.jpeg)

    def __len__(self) -> int:
        return len(self._items)

    def _pop(self, event_id: str) -> Waiting:
        item = self._items.pop(event_id)
        self._bytes -= len(item.jpeg)
        return item


def free_bytes(path: Path) -> int:
    """Free bytes on the file system holding ``path`` (its nearest existing parent)."""
    path = Path(path)
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free

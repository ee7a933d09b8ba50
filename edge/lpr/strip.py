"""Plates in the night strip and the fire lanes (夜间停车带 / 消防通道): a read puts a car in its zone.

A zone camera (``zone = ...`` in ``[[lpr.cameras]]``) reads the plates of cars that stop in its
view.  Each read of a confident, readable plate means the car is present in that zone; the lane
device reports ``present`` once (tag ``plate:<plate>``, the camera's picture) and pairs the plate
with the zone's watched spot, so the spot is not also reported as an untagged car.  The car is gone
when it has not been read for the camera's ``gone_after`` *and* its spot looks empty — or, where no
camera image watches its spot, on time alone (the camera must re-read parked cars: 定时抓拍).
A different plate read in the same ``slot`` replaces the one before.

With a ``state_file`` the plates present survive a restart of the lane Pi: each is kept present
and, if it is not read again (and its spot is not seen occupied) within ``gone_after`` after the
restart, reported gone *as of the last moment the device was watching* — the car may have left
while nobody looked (the same benefit of the doubt the lane device gives its tags).

:class:`PlatePresence` decides (pure; times passed in); :class:`StripLink` carries it out on the
lane device (:meth:`edge.lane.device.LaneDevice.plate_changed`).
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable

from gwcommon.atomicfile import write_atomic
from gwcommon.clock import Clock
from gwcommon.tagid import normalize_plate
from gwcommon.timefmt import format_ts, parse_ts

from .config import PlateCamera
from .model import PlateRead
from .ocrmatch import attribute

logger = logging.getLogger(__name__)
SAVE_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Change:
    """A plate entering (``present``) or leaving a zone."""

    zone: str
    tag: str
    present: bool


@dataclass
class Seen:
    last_read: float
    gone_after: float
    slot: str | None = None


@dataclass
class PlatePresence:
    """Which plates are in which zone."""

    cars: dict[tuple[str, str], Seen] = field(default_factory=dict)

    def read(self, zone: str, tag: str, now: float, *, gone_after: float, slot: str | None) -> list[Change]:
        changes = []
        if slot is not None:  # another plate in the same spot has left it
            for (z, other), seen in list(self.cars.items()):
                if z == zone and other != tag and seen.slot == slot:
                    del self.cars[(z, other)]
                    changes.append(Change(zone, other, False))
        if (zone, tag) not in self.cars:
            changes.append(Change(zone, tag, True))
        self.cars[(zone, tag)] = Seen(now, gone_after, slot or getattr(self.cars.get((zone, tag)), "slot", None))
        return changes

    def expire(self, now: float, occupied: Callable[[str, str, str | None], bool | None]) -> list[Change]:
        """Plates not read for their ``gone_after`` whose spot is not seen occupied."""
        gone = [(zone, tag) for (zone, tag), seen in self.cars.items()
                if now - seen.last_read >= seen.gone_after and occupied(zone, tag, seen.slot) is not True]
        for key in gone:
            del self.cars[key]
        return [Change(zone, tag, False) for zone, tag in sorted(gone)]


class StripLink:
    """Zone cameras on a lane device."""

    def __init__(self, device: Any, cameras: list[PlateCamera], *, sink: Any, clock: Clock,
                 state_file: Path | None = None, registered: Callable[[], list[str]] | None = None):
        self.device, self.clock, self.state_file = device, clock, state_file
        self.registered = registered or (lambda: [])  # the allowlist's plates (OCR-tolerant zone cameras)
        self.attributed = 0  # doubtful reads taken as a registered plate (edge.lpr.ocrmatch)
        self.cameras = [c for c in cameras if c.zone is not None]
        self.presence = PlatePresence()
        self._lock = threading.Lock()
        self._restored: dict[tuple[str, str], datetime] = {}
        self._saved: tuple[datetime, list] | None = None
        if state_file is not None:
            self._restore(state_file)
        device.plates_present = self.present_in

    def present_in(self, zone: str) -> list[str]:
        """Plate tags present in ``zone`` (the lane device's roll call; no lock: a snapshot of the keys)."""
        return sorted(tag for z, tag in list(self.presence.cars) if z == zone)

    def take(self, camera: PlateCamera, read: PlateRead) -> bool:
        """A read of a zone camera; True when it counted (confident and readable, or a doubtful read
        attributed to a registered plate: :mod:`edge.lpr.ocrmatch`)."""
        band = camera.ocr_band
        text = read.plate or (normalize_plate(read.raw) if band else None)  # 浙AI2345 may be 浙A12345
        if text is None or camera.zone is None:
            return False
        verdict = attribute(text, read.confidence, self.registered() if band else (),
                            min_confidence=camera.min_confidence, band=band)
        if verdict.plate is None:
            if verdict.note:
                logger.debug("zone camera %s: %s", camera.id, verdict.note)
            return False
        tag = f"plate:{verdict.plate}"
        if verdict.plate != text:
            self.attributed += 1
        with self._lock:
            self._restored.pop((camera.zone, tag), None)
            changes = self.presence.read(camera.zone, tag, self.clock.monotonic(),
                                         gone_after=camera.gone_after.total_seconds(), slot=read.slot or camera.slot)
        if verdict.note:  # said once per arrival, not at every re-read of a parked car
            (logger.info if any(c.present for c in changes) else logger.debug)("zone camera %s: %s", camera.id, verdict.note)
        for change in changes:
            self.device.plate_changed(change.zone, change.tag, change.present,
                                      jpeg=read.jpeg if change.present else None)
        self._save()
        return True

    def tick(self) -> None:
        with self._lock:
            changes = self.presence.expire(self.clock.monotonic(), self.device.spot_occupied)
            since = {(c.zone, c.tag): self._restored.pop((c.zone, c.tag), None) for c in changes}
        for change in changes:
            self.device.plate_changed(change.zone, change.tag, False, ts=since[(change.zone, change.tag)])
        self._save()

    def _restore(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            watched, cars = parse_ts(data["watching"]), [(str(z), str(t), s) for z, t, s in data["cars"]]
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.warning("plate strip state file %s unreadable (%s): starting with no plate present", path, exc)
            return
        limits = {c.zone: c.gone_after.total_seconds() for c in self.cameras}
        now = self.clock.monotonic()
        for zone, tag, slot in cars:
            if zone in limits:
                self.presence.cars[(zone, tag)] = Seen(now, limits[zone], slot)
                self._restored[(zone, tag)] = watched
        if self._restored:
            logger.info("restarted: %d plate(s) were present when this device last watched (%s); any not read "
                        "again is reported gone as of then", len(self._restored), format_ts(watched))

    def _save(self) -> None:
        if self.state_file is None:
            return
        wall = self.clock.now()
        with self._lock:
            cars = sorted([zone, tag, seen.slot] for (zone, tag), seen in self.presence.cars.items())
        if self._saved and self._saved[1] == cars and wall - self._saved[0] < SAVE_EVERY:
            return
        try:
            write_atomic(self.state_file, json.dumps({"watching": format_ts(wall), "cars": cars}).encode("utf-8"))
        except OSError as exc:
            logger.warning("cannot write plate strip state file %s: %s", self.state_file, exc)
            return
        self._saved = (wall, cars)

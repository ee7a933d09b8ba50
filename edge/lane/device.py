"""The lane device (巡查设备): zones watched by the scanner and, optionally, a camera.

For each configured zone it keeps a :class:`~edge.ble.presence.PresenceTracker` (same hysteresis as
the gate) and reports every change as a ``presence`` event (docs/contract.md §1: zone, tag, present,
rssi).  With a camera it also

* attaches a picture to each presence event (taken on the next tick, never on the scanner's thread);
* compares the zone's marked spots with pictures of them empty (:mod:`edge.spots`) and reports
  vehicles with no tag (``tag`` null, ``slot`` = the spot) — only when no arriving tag explains the
  spot (:mod:`edge.lane.pairing`);
* at the configured local times (``photo_at``: 23:00 and the 08:00 deadline by default) holds a
  roll call (点名): one ``present`` event with a picture for every tag and untagged spot in each
  zone, so the hub has evidence from that moment.  An empty zone sends nothing.

Threads: the scanner's decode thread calls :meth:`LaneDevice.sighted`; one tick thread calls
:meth:`LaneDevice.step` (expiry, spots, roll calls, pictures).  A lock keeps them apart.

With a ``state_file`` the device remembers across a restart (a crash, a power cut) which tags were
present and until when it was watching.  A remembered tag that is not heard again after the
restart is reported away *as of the last moment the device was watching* — the car left while
nobody looked, perhaps long before the deadline, so it gets the benefit of the doubt.  Without
this a car that left while the device was down stayed "parked" at the hub for ever.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from edge.ble.model import Sighting
from edge.ble.presence import PresenceParams, PresenceTracker, TagTrack, Transition
from edge.events import EventSink
from gwcommon.atomicfile import write_atomic
from gwcommon.clock import Clock
from gwcommon.timefmt import format_ts, parse_ts

from .config import LaneDeviceConfig, ZoneWatch
from .pairing import Pairing, SlotChange
from .schedule import due

logger = logging.getLogger(__name__)

SAVE_EVERY = timedelta(minutes=1)  # how often the state file's "watching until" moves on


def presence_params(zone: ZoneWatch) -> PresenceParams:
    return PresenceParams(threshold=zone.rssi_threshold, leave_margin=zone.leave_margin, missed=zone.missed,
                          min_away=zone.min_away.total_seconds(), max_away=zone.max_away.total_seconds())


@dataclass
class _Zone:
    config: ZoneWatch
    tracker: PresenceTracker
    pairing: Pairing
    spots: Any | None  # edge.spots.SpotTracker over this zone's spots

    def watches(self, tag: str) -> bool:
        return not self.config.tags or tag in self.config.tags


class LaneDevice:
    """Presence per zone from sightings and camera spots; see the module docstring."""

    def __init__(self, config: LaneDeviceConfig, *, sink: EventSink, clock: Clock, tz: ZoneInfo,
                 camera: Any | None = None, spot_trackers: Mapping[str, Any] | None = None, tick: float = 1.0,
                 state_file: Path | None = None):
        self.config = config
        self.sink = sink
        self.clock = clock
        self.tz = tz
        self.camera = camera
        self.tick = tick
        window = config.pair_window.total_seconds()
        trackers = spot_trackers or {}
        self.zones = [_Zone(z, PresenceTracker(presence_params(z)), Pairing(window), trackers.get(z.name))
                      for z in config.zones]
        self._lock = threading.Lock()
        self._photos: list[str] = []  # event ids waiting for a picture
        self._last_wall = clock.now()
        self._last_spot_check = float("-inf")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.state_file = state_file
        self._restored: dict[tuple[str, str], datetime] = {}  # (zone, tag) → watched until, before a restart
        self._saved: tuple[datetime, dict] | None = None
        self.plates_present: Any = None  # edge.lpr.strip: zone name → plate tags present (for roll calls)
        if state_file is not None:
            self._restore(state_file)

    def start(self) -> None:
        if self.camera is not None:
            self.camera.start()
        self._thread = threading.Thread(target=self._run, name="lane-tick", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        if self.camera is not None:
            self.camera.stop()

    def sighted(self, sighting: Sighting) -> None:
        """A valid tag heard (called by the scanner's decode thread)."""
        with self._lock:
            for zone in self.zones:
                if zone.watches(sighting.tag):
                    self._restored.pop((zone.config.name, sighting.tag), None)  # still there
                    change = zone.tracker.observe(sighting)
                    if change:
                        self._tag_changed(zone, change)

    def plate_changed(self, zone_name: str, tag: str, present: bool, *, jpeg: bytes | None = None,
                      ts: datetime | None = None) -> str | None:
        """A plate camera put a car in a zone (a read) or found it gone (edge.lpr.strip): one presence
        event with the camera's picture (``ts``: when it happened, if not now); the zone's spots pair
        with the plate as with an arriving tag."""
        zone = next((z for z in self.zones if z.config.name == zone_name), None)
        if zone is None:
            return None
        fields: dict[str, Any] = {"zone": zone_name, "tag": tag, "present": present, "rssi": None}
        if ts is not None:
            fields["ts"] = ts
        with self._lock:
            event_id = self.sink.emit("presence", fields)
            logger.info("zone %s: %s %s (plate camera)", zone_name, tag, "present" if present else "away")
            now = self.clock.monotonic()
            self._slots(zone, (zone.pairing.tag_arrived if present else zone.pairing.tag_left)(tag, now))
        if jpeg:
            self.sink.snapshot(event_id, jpeg)
        return event_id

    def spot_occupied(self, zone_name: str, tag: str, slot: str | None) -> bool | None:
        """Whether the spot of a plate's car (its camera's ``slot``, or the spot paired with it) looks
        occupied; None when no camera watches that spot."""
        zone = next((z for z in self.zones if z.config.name == zone_name), None)
        if zone is None or zone.spots is None:
            return None
        with self._lock:
            spot = slot or next((s for s, owner in zone.pairing.paired.items() if owner == tag), None)
            return None if spot is None else spot in zone.pairing.occupied_at

    def present(self) -> dict[str, dict[str, int | None]]:
        """Tags present now, per zone (for status and tests)."""
        with self._lock:
            return {zone.config.name: zone.tracker.present() for zone in self.zones}

    def step(self) -> None:
        """One tick: expire tags, check spots, hold due roll calls, take waiting pictures."""
        now, wall = self.clock.monotonic(), self.clock.now()
        frame = self._frame_if_due(now)
        with self._lock:
            for zone in self.zones:
                for change in zone.tracker.expire(now):
                    self._tag_changed(zone, change)
                self._check_spots(zone, frame, now)
                self._slots(zone, zone.pairing.tick(now))
            for moment in due(self._last_wall, wall, self.config.photo_at, self.tz):
                self._roll_call(moment)
            self._last_wall = max(self._last_wall, wall)
            photos, self._photos = self._photos, []
            present = {zone.config.name: sorted(zone.tracker.present()) for zone in self.zones}
        self._save(wall, present)
        self._take_pictures(photos)

    # --- inside the lock ----------------------------------------------------------------------

    def _tag_changed(self, zone: _Zone, change: Transition) -> None:
        since = None if change.present else self._restored.pop((zone.config.name, change.tag), None)
        self._emit(zone, change.tag, change.present, change.rssi, ts=since)
        pairing = zone.pairing
        slots = (pairing.tag_arrived if change.present else pairing.tag_left)(change.tag, change.at)
        self._slots(zone, slots)

    def _check_spots(self, zone: _Zone, frame: Any, now: float) -> None:
        if frame is None or zone.spots is None:
            return
        for change in zone.spots.update(frame, now):
            pairing = zone.pairing
            filled = pairing.spot_filled if change.occupied else pairing.spot_emptied
            self._slots(zone, filled(change.spot, now))

    def _slots(self, zone: _Zone, changes: list[SlotChange]) -> None:
        for change in changes:
            self._emit(zone, None, change.present, None, slot=change.spot)

    def _roll_call(self, moment: datetime) -> None:
        for zone in self.zones:
            present, untagged = zone.tracker.present(), sorted(zone.pairing.untagged)
            logger.info("roll call %s, zone %s: %d tags, %d untagged vehicles", moment.strftime("%H:%M"),
                        zone.config.name, len(present), len(untagged))
            for tag, rssi in sorted(present.items()):
                self._emit(zone, tag, True, rssi)
            for spot in untagged:
                self._emit(zone, None, True, None, slot=spot)
            for tag in self.plates_present(zone.config.name) if self.plates_present else ():
                self._emit(zone, tag, True, None)  # cars named by a plate camera

    def _emit(self, zone: _Zone, tag: str | None, present: bool, rssi: int | None, *, slot: str | None = None,
              ts: datetime | None = None) -> None:
        fields: dict[str, Any] = {"zone": zone.config.name, "tag": tag, "present": present, "rssi": rssi}
        if slot is not None:
            fields["slot"] = slot
        if ts is not None:
            fields["ts"] = ts
        event_id = self.sink.emit("presence", fields)
        logger.info("zone %s: %s %s", zone.config.name, tag or f"untagged vehicle in {slot}",
                    "present" if present else "away")
        if self.camera is not None:
            self._photos.append(event_id)

    # --- the state file (remembered across a restart) ------------------------------------------

    def _restore(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            watched, zones = parse_ts(data["watching"]), data["zones"]
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.warning("lane state file %s unreadable (%s): starting with no tag present", path, exc)
            return
        now = self.clock.monotonic()
        for zone in self.zones:
            for tag in zones.get(zone.config.name, []):
                zone.tracker.tracks[tag] = TagTrack(present=True, last_kept=now)
                self._restored[(zone.config.name, tag)] = watched
        if self._restored:
            logger.info("restarted: %d tag(s) were present when this device last watched (%s); any not heard "
                        "again is reported away as of then", len(self._restored), format_ts(watched))

    def _save(self, wall: datetime, present: dict) -> None:
        if self.state_file is None or (self._saved and self._saved[1] == present and wall - self._saved[0] < SAVE_EVERY):
            return
        try:
            write_atomic(self.state_file, json.dumps({"watching": format_ts(wall), "zones": present}).encode("utf-8"))
        except OSError as exc:
            logger.warning("cannot write lane state file %s: %s", self.state_file, exc)
            return
        self._saved = (wall, present)

    # --- outside the lock ---------------------------------------------------------------------

    def _frame_if_due(self, now: float) -> Any:
        """A fresh frame every ``spot_check``, only when some zone has marked spots to compare."""
        if self.camera is None or all(zone.spots is None for zone in self.zones):
            return None
        if now - self._last_spot_check < self.config.spot_check.total_seconds():
            return None
        self._last_spot_check = now
        return self.camera.frame()

    def _take_pictures(self, event_ids: list[str]) -> None:
        if not event_ids:
            return
        jpeg = self.camera.snapshot()
        if jpeg is None:
            logger.warning("no camera picture for %d presence events (camera not delivering)", len(event_ids))
            return
        for event_id in event_ids:
            self.sink.snapshot(event_id, jpeg)

    def _run(self) -> None:
        while not self._stop.wait(self.tick):
            try:
                self.step()
            except Exception:  # a bad frame or a full disk must not stop presence reporting
                logger.exception("lane device step failed")

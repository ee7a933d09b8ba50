"""Plate cameras at a gate Pi: reads reach the lane logic, pictures become passage snapshots.

For a camera with ``opens = 'pi'`` and a ``plate_policy``, each confident, live read is handed to
its lane's :class:`edge.gate.plates.PlateJudge`; the gate device asks :meth:`GateLink.verdict_for`
for each lane's verdict (the hook ``GateDevice.plate_policy``), and the lane decision picks the read
up on its next tick (every 20 ms).  A lane with no video camera of its own takes the plate
camera's picture of the read as the passage snapshot.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from edge.gate.plates import AUTO, PlateJudge, plate_reason
from gwcommon.clock import Clock

from .config import PlateCamera
from .model import PlateRead

logger = logging.getLogger(__name__)
PICTURE_AGE = 15.0  # seconds a pushed picture may serve as a lane's snapshot


class LatestPicture:
    """A lane's 'camera' made of the plate camera's newest picture (the gate device's Camera seam)."""

    def __init__(self, clock: Clock, max_age: float = PICTURE_AGE):
        self.clock, self.max_age = clock, max_age
        self._jpeg: tuple[float, bytes] | None = None

    def put(self, jpeg: bytes) -> None:
        self._jpeg = (self.clock.monotonic(), jpeg)

    def snapshot(self) -> bytes | None:
        held = self._jpeg
        return held[1] if held and self.clock.monotonic() - held[0] <= self.max_age else None

    def start(self) -> None:
        """Nothing to start: pictures arrive with the pushes."""

    def stop(self) -> None:
        """Nothing to stop."""


class PlateVerdict:
    """A lane's verdict with its plate policy: ``plates`` is what :func:`edge.gate.plates.candidate` reads."""

    def __init__(self, base: Callable[[str], str], judge: PlateJudge, allowlist: Any):
        self.base, self.plates, self.allowlist = base, judge, allowlist

    def __call__(self, tag: str) -> str:
        reason = self.base(tag)
        if tag.startswith("plate:") and reason in AUTO:
            kind = getattr(self.allowlist.entry(tag), "kind", "resident")
            if plate_reason(self.plates.policy, "allowed", kind) != "allowlisted":
                return "unknown_tag"
        return reason


class GateLink:
    """Connects the gate device to its plate cameras."""

    def __init__(self, device: Any, cameras: list[PlateCamera], clock: Clock):
        self.device, self.clock = device, clock
        self.allowlist = device.allowlist
        self._lock = threading.Lock()
        self.judges = {c.lane: PlateJudge(c.plate_policy, self.same_vehicle) for c in cameras
                       if c.opens == "pi" and c.plate_policy != "off" and c.lane in device.lanes}
        self.pictures: dict[str, LatestPicture] = {}
        for camera in cameras:
            if camera.opens == "pi" and camera.lane in device.lanes and camera.lane not in device.cameras:
                self.pictures[camera.lane] = device.cameras[camera.lane] = LatestPicture(clock)
        device.plate_policy = self.verdict_for

    def verdict_for(self, lane: str, base: Callable[[str], str]) -> Callable[[str], str]:
        judge = self.judges.get(lane)
        return base if judge is None else PlateVerdict(base, judge, self.allowlist)

    def same_vehicle(self, tag: str, plate_tag: str) -> bool:
        vehicle = self.allowlist.vehicle_of(tag)
        return vehicle is not None and f"plate:{vehicle}" == plate_tag

    def take(self, camera: PlateCamera, read: PlateRead) -> bool:
        """Hand a read to its lane; True when it may count for opening (confident, live, readable)."""
        if read.jpeg and camera.lane in self.pictures:
            self.pictures[camera.lane].put(read.jpeg)
        judge = self.judges.get(camera.lane or "")
        if judge is None or read.tag is None or read.offline or read.confidence < camera.min_confidence:
            return False
        with self._lock:
            judge.add(read.tag, self.clock.monotonic())
        return True

"""The lane scanner over the night strip and the fire lane: which tags are in the air, when."""

from __future__ import annotations

from datetime import datetime, timedelta

from edge.ble.model import Sighting
from edge.lane.device import LaneDevice

from .device import Actor
from .night import Park
from .scenecam import SceneCamera

STEP = timedelta(seconds=10)  # a parked car's tag is heard about this often


class LaneActor(Actor):
    """Feeds the lane device the sightings of every tag parked in its zones."""

    def __init__(self, config, daemon, clock, night):
        super().__init__(config, daemon, clock, night)
        self.parked: dict[str, dict[str, str]] = {zone.name: {} for zone in config.lane.zones}
        camera = SceneCamera(config.device.id, clock=clock, scene=self._scene)
        self.device = LaneDevice(config.lane, sink=daemon.outbox, clock=clock, tz=config.site.tz, camera=camera,
                                 state_file=config.storage.dir / f"lane-state-{config.device.id}.json")
        self.pending = [p for p in night.of(Park) if p.zone in self.parked]

    def _scene(self) -> list[str]:
        return [plate for zone in self.parked.values() for plate in zone.values()]

    def until(self, moment: datetime) -> None:
        at = self.clock.now()
        while at < moment:
            at = min(at + STEP, moment)
            self._apply(at)
            self.advance_to(at)
            self._hear()
            self.device.step()

    def _apply(self, moment: datetime) -> None:
        while self.pending and self.pending[0].at <= moment:
            park = self.pending.pop(0)
            zone = self.parked[park.zone]
            if park.present and park.tag:
                zone[park.tag] = park.plate
            else:
                zone.pop(park.tag, None)

    def _hear(self) -> None:
        now = self.clock.monotonic()
        for tags in self.parked.values():
            for tag in tags:
                self.device.sighted(Sighting(tag, -62, now, True))

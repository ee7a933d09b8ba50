"""The lane scanner over the night strip and the fire lane: which tags are in the air, when."""

from __future__ import annotations

from datetime import datetime, timedelta

from edge.ble.model import Sighting
from edge.lane.device import LaneDevice
from edge.lpr.model import plate_of

from . import platecam
from .device import Actor
from .night import Park
from .scenecam import SceneCamera

STEP = timedelta(seconds=10)  # a parked car's tag is heard about this often
REREAD = timedelta(minutes=5)  # the strip's plate camera re-reads parked cars this often (定时抓拍)


class LaneActor(Actor):
    """Feeds the lane device the sightings of every tag parked in its zones."""

    def __init__(self, config, daemon, clock, night, stamps=None):
        super().__init__(config, daemon, clock, night, stamps)
        clock = self.stamps  # the lane's own parts stamp with the device's wall clock
        self.parked: dict[str, dict[str, str]] = {zone.name: {} for zone in config.lane.zones}
        self.plates: dict[str, str] = {}  # plate-only cars in view of the plate camera → zone
        camera = SceneCamera(config.device.id, clock=clock, scene=self._scene)
        self.device = LaneDevice(config.lane, sink=daemon.outbox, clock=clock, tz=config.site.tz, camera=camera,
                                 state_file=config.storage.dir / f"lane-state-{config.device.id}.json")
        self.pending = [p for p in night.of(Park) if p.zone in self.parked]
        self.camera, self.lpr, self.last_read = camera, None, None
        if getattr(config, "lpr", None) is not None:  # a plate camera over the zone, pushing over real HTTP
            from edge.lpr.daemon import start as start_lpr

            self.lpr = start_lpr(config, daemon.outbox, clock, lane_device=self.device)
            self.plate_camera = next(c.id for c in config.lpr.cameras)

    def _scene(self) -> list[str]:
        return [plate for zone in self.parked.values() for plate in zone.values()] + sorted(self.plates)

    def until(self, moment: datetime) -> None:
        at = self.clock.now()
        while at < moment:
            at = min(at + STEP, moment)
            self._apply(at)
            self.advance_to(at)
            self._hear()
            self._read_plates(at)
            self.device.step()

    def _apply(self, moment: datetime) -> None:
        while self.pending and self.pending[0].at <= moment:
            park = self.pending.pop(0)
            if park.tag is None and self.lpr is not None and plate_of(park.plate):
                (self.plates.__setitem__(park.plate, park.zone) if park.present else self.plates.pop(park.plate, None))
                self.last_read = None  # read the new car at once
                continue
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

    def _read_plates(self, moment: datetime) -> None:
        """The plate camera reads the plates of the cars parked in view, every :data:`REREAD`."""
        if self.lpr is None:
            return
        if self.plates and (self.last_read is None or moment - self.last_read >= REREAD):
            self.last_read = moment
            for plate in self.plates:
                platecam.push(self.lpr.server.port, self.plate_camera, plate, jpeg=self.camera.snapshot())
        self.lpr.receiver.tick()  # gone on this device's clock, however fast the night runs

    def stop(self) -> None:
        if self.lpr is not None:
            self.lpr.stop()

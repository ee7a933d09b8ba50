"""The north gate's two lanes in the simulator: residents' cars, tags and loops; the real gate code."""

from __future__ import annotations

from datetime import datetime, timedelta

from gpiozero.pins.mock import MockFactory

from edge.allowlist import Allowlist
from edge.ble.model import Sighting
from edge.gate.device import GateDevice
from edge.gate.sim import SimulatedGate

from edge.lpr.model import plate_of

from . import platecam
from .device import Actor
from .night import Drive
from .scenecam import SceneCamera

LEAD = timedelta(seconds=6)  # a car reaches the loop this long before its scripted time
DT = 0.1  # seconds of simulated time per step during a barrier cycle


class GateActor(Actor):
    """Drives the gate device's mock pins and feeds it the tags a Bluetooth scanner would hear."""

    def __init__(self, config, daemon, clock, night, stamps=None):
        super().__init__(config, daemon, clock, night, stamps)
        clock = self.stamps  # the gate's own parts stamp with the device's wall clock
        self.factory = MockFactory()
        self.current: dict[str, str] = {}
        cameras = {lane.name: SceneCamera(lane.name, clock=clock, scene=self._scene(lane.name))
                   for lane in config.gate.lanes}
        self.allowlist = allowlist = Allowlist.in_storage(config.storage.dir, clock=clock)
        self.device = GateDevice(config.gate, sink=daemon.outbox, allowlist=allowlist, clock=clock,
                                 pin_factory=self.factory, cameras=cameras)
        self.sim = SimulatedGate(config.gate, self.factory, travel=3.0, auto_close=3.0)
        self._radios = {lane.name: lane.radio for lane in config.gate.lanes if lane.radio}
        daemon.publisher.on_allowlist(self.device.handle_allowlist)
        daemon.publisher.on_command(self.device.handle_command)
        self.device.start(thread=False)
        self.cameras, self.lpr = cameras, None
        if getattr(config, "lpr", None) is not None:  # a plate camera per lane, pushing over real HTTP
            from edge.lpr.daemon import start as start_lpr

            self.lpr = start_lpr(config, daemon.outbox, clock, gate_device=self.device)
        # after a restart, the drives that came while the device was down are not played: a car
        # at a dead gate is let through by hand and leaves no passage
        self.pending = [d for d in night.of(Drive) if d.at - LEAD >= self.clock.now()]

    def _scene(self, lane: str):
        return lambda: [self.current[lane]] if lane in self.current else []

    def until(self, moment: datetime) -> None:
        if len(self.allowlist) == 0:  # not yet heard from the hub: hold this device's clock back
            return
        while self.pending and self.pending[0].at - LEAD <= moment:
            drive = self.pending.pop(0)
            self.advance_to(drive.at - LEAD)
            self.play(drive)
        self.advance_to(moment)
        self.cycle(DT)

    def cycle(self, seconds: float, tag: str | None = None, lane: str | None = None) -> None:
        radio = self._radios.get(lane or "")
        for step in range(max(1, round(seconds / DT))):
            if tag and step % 5 == 0:  # heard by that lane's own radio (docs/gate.md)
                self.device.sighted(Sighting(tag, -55, self.clock.monotonic(), True), radio=radio)
            self.device.pump()
            self.sim.step(self.clock.monotonic())
            self.device.pump()
            self.clock.advance(DT)

    def play(self, drive: Drive) -> None:
        """One car at one lane: onto the loop, through the opened arm (or back out), gone."""
        lane = self.sim[drive.lane]
        self.current[drive.lane] = drive.plate
        if self.lpr is not None and plate_of(drive.plate):  # the lane's camera reads the plate as it comes
            platecam.push(self.lpr.server.port, drive.lane, drive.plate, jpeg=self.cameras[drive.lane].snapshot())
        self.cycle(1.0, drive.tag, drive.lane)
        lane.set("arming_loop", True)
        for _ in range(40):
            self.cycle(0.3, drive.tag, drive.lane)
            if lane.position == "open":
                break
        if lane.position == "open":
            self._pass(lane)
        else:
            self.cycle(2.0)
            lane.set("arming_loop", False)
            self.cycle(6.0)
        self.current.pop(drive.lane, None)

    def _pass(self, lane) -> None:
        self.cycle(0.5)
        lane.block_eye(True)
        self.cycle(0.8)
        lane.set("arming_loop", False)
        self.cycle(0.8)
        lane.block_eye(False)
        self.cycle(8.0)

    def stop(self) -> None:
        if self.lpr is not None:
            self.lpr.stop()
        self.device.stop()

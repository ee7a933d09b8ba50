"""Shared by the tests of tests/edge/gate/ (moved out of test_device.py, so no test module imports another)."""

from __future__ import annotations

from datetime import timedelta

from edge.allowlist import Allowlist
from edge.ble.model import Sighting
from edge.events import ListSink
from edge.gate.config import GateConfig
from edge.gate.device import GateDevice
from edge.gate.sim import SimulatedGate
from gwcommon import wire
from gwcommon.clock import FakeClock
from gwcommon.config import validate

LANE_PINS = {"open_relay": 5, "photo_eye": 6, "arming_loop": 13, "open_limit": 19, "closed_limit": 26, "button": 12}
SECOND_LANE = {"open_relay": 7, "photo_eye": 8, "arming_loop": 9, "open_limit": 10, "closed_limit": 11, "button": 23}
PI_PINS = [{"close_relay": 20, "eye_test": 21, "safety_loop": 22}, {"close_relay": 24, "eye_test": 25, "safety_loop": 27}]


def gate_config(*, pi_close: bool = False, active_high: bool = True, lanes: int = 1,
                shared_radio: bool = False) -> GateConfig:
    made = []
    for n in range(lanes):
        pins = (LANE_PINS, SECOND_LANE)[n]
        lane = {"name": f"lane-{n}", "direction": "in" if n == 0 else "out", "relay_active_high": active_high, **pins}
        if lanes > 1 and not shared_radio:
            lane["radio"] = f"hci{n}"  # each lane's own antenna
        if pi_close:
            lane.update(close_mode="pi", **PI_PINS[n])
        made.append(lane)
    return validate({"lanes": made, "fire_input": 16, "reset_input": 17}, GateConfig)


class FakeCamera:
    """A camera that always has a picture (the real one is tested in test_camera_grabber)."""

    name = "fake"

    def __init__(self):
        self.shots = 0

    def start(self): ...
    def stop(self): ...

    def snapshot(self):
        self.shots += 1
        return b"\xff\xd8fake-jpeg-%d" % self.shots


RESIDENT, OUTSIDER, VISITOR = "eid:car-1", "eid:stranger", "eid:visitor"


class Rig:
    """A gate device, its simulated hardware, a fake clock and an in-memory sink."""

    def __init__(self, factory, tmp_path, config=None, *, camera: bool = True):
        self.config = config or gate_config()
        self.clock = FakeClock()
        self.sink = ListSink()
        self.allowlist = Allowlist(tmp_path / "allowlist.json", clock=self.clock)
        self.allowlist.update(wire.Allowlist(version=1, entries=[
            wire.AllowEntry(tag=RESIDENT, vehicle="浙A12345"),
            wire.AllowEntry(tag=VISITOR, vehicle="浙B00001", expires=self.clock.now() + timedelta(hours=1))]))
        self.camera = FakeCamera()
        cameras = {lane.name: self.camera for lane in self.config.lanes} if camera else {}
        self.device = GateDevice(self.config, sink=self.sink, allowlist=self.allowlist, clock=self.clock,
                                 pin_factory=factory, cameras=cameras)
        self.sim = SimulatedGate(self.config, factory, travel=1.0, auto_close=3.0)
        self.factory = factory
        self.device.start(thread=False)
        self.run(0.5)

    def run(self, seconds: float, dt: float = 0.05, check=None) -> None:
        for _ in range(round(seconds / dt)):
            self.device.pump()
            self.sim.step(self.clock.monotonic())
            self.device.pump()
            if check:
                check()
            self.clock.advance(dt)
        self.device._shooter.submit(lambda: None).result()  # let queued snapshots land
        self.device.pump()

    def hear(self, tag: str, rssi: int = -55, lane: str | None = None, radio: str | None = None) -> None:
        self.device.sighted(Sighting(tag, rssi, self.clock.monotonic(), False), lane, radio=radio)

    def lane(self, n: int = 0):
        return self.sim[f"lane-{n}"]

    def drive_through(self, n: int = 0) -> None:
        lane = self.lane(n)
        lane.block_eye(True)
        self.run(0.5)
        lane.set("arming_loop", False)
        self.run(0.5)
        lane.block_eye(False)
        self.run(1.0)

    def passages(self):
        return [(p["lane"], p["tag"], p["decision"], p["reason"], p["passed"]) for p in self.sink.of("passage")]

    def faults(self):
        return [(f["code"], f["active"]) for f in self.sink.of("fault")]

    def open_pulses(self, n: int = 0) -> int:
        return self.device._relays[f"lane-{n}"].pulses["open_relay"]

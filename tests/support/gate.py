"""Shared by the tests of tests/edge/gate/ (moved out of test_device.py, so no test module imports another)."""

from __future__ import annotations

from edge.gate.config import GateConfig
from gwcommon.config import validate

LANE_PINS = {"open_relay": 5, "photo_eye": 6, "arming_loop": 13, "open_limit": 19, "closed_limit": 26, "button": 12}
SECOND_LANE = {"open_relay": 7, "photo_eye": 8, "arming_loop": 9, "open_limit": 10, "closed_limit": 11, "button": 23}
PI_PINS = [{"close_relay": 20, "eye_test": 21, "safety_loop": 22}, {"close_relay": 24, "eye_test": 25, "safety_loop": 27}]


def gate_config(*, pi_close: bool = False, active_high: bool = True, lanes: int = 1) -> GateConfig:
    made = []
    for n in range(lanes):
        pins = (LANE_PINS, SECOND_LANE)[n]
        lane = {"name": f"lane-{n}", "direction": "in" if n == 0 else "out", "relay_active_high": active_high, **pins}
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

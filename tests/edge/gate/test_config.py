"""The [gate] section: shorthand pins, defaults, and one clear line for each mistake."""

from __future__ import annotations

import pytest

from edge.config import EdgeConfig
from edge.gate.barrier import active_high
from edge.gate.config import GateConfig, lane_rules
from gwcommon.config import validate
from gwcommon.exc import ConfigError

LANE = {"name": "north-in", "direction": "in", "open_relay": 5, "photo_eye": 6, "arming_loop": 13}


def edge(gate: dict) -> dict:
    return {"site": {"id": "pingan-2"}, "device": {"id": "gate-north", "kind": "gate"}, "gate": gate}


def test_shorthand_pins_and_rules():
    config = validate(edge({"lanes": [LANE]}), EdgeConfig).gate
    lane = config.lanes[0]
    assert lane.arming_loop.pin == 13 and lane.arming_loop.pull_up is True
    rules = lane_rules(lane, config)
    assert rules.wired == frozenset({"photo_eye", "arming_loop"}) and rules.vehicle_input == "arming_loop"
    assert (rules.tag_wait, rules.cooldown, rules.eye_test_timeout, rules.close_mode) == (2.0, 20.0, 0.2, "controller")


@pytest.mark.parametrize("role,setting,high", [
    ("arming_loop", None, False), ("photo_eye", None, True), ("fire_input", None, True),
    ("button", None, False), ("photo_eye", "low", False), ("arming_loop", "high", True),
])
def test_active_levels(role, setting, high):
    pin = validate({"lanes": [{**LANE, "button": {"pin": 12, "active_when": setting}}]}, GateConfig).lanes[0].button
    assert active_high(role, pin) is high


@pytest.mark.parametrize("change,message", [
    ({"lanes": []}, "gate.lanes: List should have at least 1 item"),
    ({"lanes": [{**LANE, "close_mode": "pi"}]}, "close_mode 'pi' needs close_relay and eye_test"),
    ({"lanes": [{**LANE, "close_relay": 20}]}, "close_relay is only used with close_mode 'pi'"),
    ({"lanes": [{**LANE, "photo_eye": 5}]}, "pin 5 is used twice"),
    ({"lanes": [LANE, {**LANE, "open_relay": 7, "photo_eye": 8, "arming_loop": 9}]}, "lane names must be unique"),
    ({"lanes": [{**LANE, "rssi_threshold": -5}]}, "gate.lanes.0.rssi_threshold"),
    ({"lanes": [{**LANE, "direction": "both"}]}, "gate.lanes.0.direction"),
    ({"lanes": [{**LANE, "pulse": "10s"}]}, "gate.lanes.0.pulse"),
    ({"lanes": [{**LANE, "colour": "red"}]}, "gate.lanes.0.colour: unknown key"),
    ({"lanes": [{k: v for k, v in LANE.items() if k != "photo_eye"}]}, "gate.lanes.0.photo_eye: required but missing"),
])
def test_mistakes_are_one_clear_line(change, message):
    with pytest.raises(ConfigError) as caught:
        validate(edge(change), EdgeConfig)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_gate_source_refuses_a_device_of_another_kind(tmp_path):
    from edge.gate import daemon

    data = edge({"lanes": [LANE]})
    data["device"]["kind"] = "lane"
    data["storage"] = {"dir": str(tmp_path)}
    with pytest.raises(ConfigError, match="device.kind is 'lane'"):
        daemon.start(validate(data, EdgeConfig), None, None, None, None)

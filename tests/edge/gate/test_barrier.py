"""Barrier defects of issue 17: the relay-fault trap, FAULT recovery, the photo-eye self-test."""

from __future__ import annotations

from edge.gate.fsm import Arm, BarrierState, step
from edge.gate.model import InputChanged, LaneRules, OpenRequest, RaiseFault, Retest, Tick

from tests.support.gate import RESIDENT, Rig, gate_config

PI = LaneRules(name="l", direction="in", close_mode="pi", has_eye_test=True,
               wired=frozenset({"arming_loop", "photo_eye", "safety_loop", "open_limit", "closed_limit"}))


def run(events, state=None, rules=PI):
    state = state or BarrierState()
    out = []
    for now, event in events:
        state, actions = step(state, event, now, rules)
        out += [a for a in actions]
    return state, out


def faults(actions):
    return [(a.code, a.active) for a in actions if isinstance(a, RaiseFault)]


def opened_and_cleared():
    """Closed, opened for a car, the car went through; the Pi is about to test the eye and close."""
    levels = [(0.0, InputChanged(role, role == "closed_limit")) for role in sorted(PI.wired)]
    return levels + [
        (1.0, OpenRequest("allowlisted")), (1.5, InputChanged("closed_limit", False)),
        (3.0, InputChanged("open_limit", True)),
        (4.0, InputChanged("photo_eye", True)), (5.0, InputChanged("photo_eye", False)), (7.1, Tick())]


def test_close_pulse_then_a_car_at_once_the_arm_never_moved_is_open_not_a_relay_fault():
    events = opened_and_cleared() + [
        (7.15, InputChanged("photo_eye", True)), (7.2, InputChanged("photo_eye", False)),  # test passed: close pulse
        (7.25, InputChanged("safety_loop", True)),  # a car, 50 ms later: the controller never moved
    ]
    state, actions = run(events)
    assert state.arm is Arm.OPEN  # the open limit never went away
    state, actions = run([(7.25 + t / 10, Tick()) for t in range(1, 200)], state=state)
    assert faults(actions) == [] and state.arm is Arm.OPEN


def test_fault_recovers_by_the_limit_level_without_an_edge():
    # The state the old code reached in that trap: FAULT while the open limit reads active all along.
    stuck = BarrierState(arm=Arm.FAULT, inputs={"open_limit": True, "closed_limit": False},
                         faults=frozenset({"relay_fault"}), fault_limits=(True, False), fault_target="open_limit")
    state, actions = run([(20.0, Tick())], state=stuck)
    assert state.arm is Arm.OPEN and faults(actions) == [("relay_fault", False)]


def test_fault_stays_while_the_arm_is_jammed_then_the_reset_key_clears_it():
    levels = [(0.0, InputChanged(role, role == "closed_limit")) for role in sorted(PI.wired)]
    state, actions = run(levels + [(1.0, OpenRequest("allowlisted")), (1.5, InputChanged("closed_limit", False))]
                         + [(t, Tick()) for t in range(2, 60)])
    assert state.arm is Arm.FAULT and faults(actions) == [("relay_fault", True)]
    state, actions = run([(61.0, Retest())], state=state)
    assert state.arm is Arm.UNKNOWN and faults(actions) == [("relay_fault", False)]
    state, actions = run([(t, Tick()) for t in range(62, 200)], state=state)
    assert "PulseClose" not in [type(a).__name__ for a in actions]  # position unknown: nothing closes


def test_eye_edge_that_began_before_the_test_pulse_is_not_the_test_answer():
    state, actions = run(opened_and_cleared())
    assert state.test == "asserted" and state.test_at == 7.1
    # Someone walked into the beam at 7.05; the change reaches the machine after the test began.
    state, more = run([(7.12, InputChanged("photo_eye", True, at=7.05)),
                       (7.3, InputChanged("photo_eye", False, at=7.3))] + [(7.3 + t / 10, Tick()) for t in range(1, 15)],
                      state=state)
    kinds = [type(a).__name__ for a in more]
    assert kinds[0] == "EyeTest" and "PulseClose" not in kinds[:2]  # the test is cancelled, not passed
    assert state.arm is not Arm.CLOSING or kinds.count("EyeTest") >= 3  # any close comes after a fresh test


def test_device_relay_fault_trap_on_mock_pins(mock_factory, tmp_path):
    rig = Rig(mock_factory, tmp_path, gate_config(pi_close=True))
    lane = rig.lane()
    car = {"done": False}

    def car_right_after_the_close_pulse():
        if lane.relay("close_relay") and not car["done"]:
            lane.set("safety_loop", True)  # before the controller saw the pulse: it never moves
            car["done"] = True

    try:
        lane.set("arming_loop", True)
        rig.hear(RESIDENT)
        rig.run(1.5)
        rig.drive_through()
        rig.run(6, check=car_right_after_the_close_pulse)
        assert car["done"] and lane.position == "open"
        rig.run(15)
        assert ("relay_fault", True) not in rig.faults()
        assert rig.device.arm_states() == {"lane-0": "open"}
        lane.set("safety_loop", False)
        rig.run(10)
        assert lane.position == "closed" and rig.device.arm_states() == {"lane-0": "closed"}
    finally:
        rig.device.stop()


def test_device_reset_key_clears_a_relay_fault(mock_factory, tmp_path):
    rig = Rig(mock_factory, tmp_path, gate_config(pi_close=True))
    lane = rig.lane()
    try:
        lane.travel = 1000.0  # the arm jams on its way up
        lane.set("arming_loop", True)
        rig.hear(RESIDENT)
        rig.run(10)
        assert ("relay_fault", True) in rig.faults() and rig.device.arm_states() == {"lane-0": "fault"}
        rig.sim.set_site("reset_input", True)
        rig.run(0.5)
        rig.sim.set_site("reset_input", False)
        rig.run(0.5)
        assert rig.faults()[-1] == ("relay_fault", False)
        assert rig.device.arm_states() == {"lane-0": "unknown"}
    finally:
        rig.device.stop()

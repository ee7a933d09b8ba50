"""The barrier state machine (edge.gate.fsm): transitions, watchdogs, tests, fire — pure."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.gate.fsm import Arm, BarrierState, step
from edge.gate.model import (
    EyeTest,
    FireOn,
    FireReset,
    InputChanged,
    LaneRules,
    OpenRefused,
    OpenRequest,
    PulseClose,
    PulseOpen,
    RaiseFault,
    Retest,
    Tick,
)

PI = LaneRules(name="l", direction="in", close_mode="pi", has_eye_test=True,
               wired=frozenset({"arming_loop", "photo_eye", "safety_loop", "open_limit", "closed_limit"}))
CONTROLLER = LaneRules(name="l", direction="in",
                       wired=frozenset({"arming_loop", "photo_eye", "open_limit", "closed_limit"}))


def run(events, rules=PI, state=None):
    """Feed (time, event) pairs; returns the final state and all actions with their times."""
    state = state or BarrierState()
    out = []
    for now, event in events:
        state, actions = step(state, event, now, rules)
        out += [(now, a) for a in actions]
    return state, out


def read(rules=PI, **levels):
    base = {role: False for role in rules.wired}
    base.update(levels)
    return [(0.0, InputChanged(role, value)) for role, value in sorted(base.items())]


def kinds(actions):
    return [type(a).__name__ for _, a in actions]


@pytest.mark.parametrize("levels,arm", [
    ({"closed_limit": True}, Arm.CLOSED),
    ({"open_limit": True}, Arm.OPEN),
    ({}, Arm.UNKNOWN),
])
def test_power_up_follows_the_limits_and_never_closes(levels, arm):
    state, actions = run(read(**levels) + [(t, Tick()) for t in range(1, 200)])
    assert state.arm is arm
    assert "PulseClose" not in kinds(actions) and "EyeTest" not in kinds(actions)


def test_power_up_with_nothing_read_is_unknown():
    assert BarrierState().arm is Arm.UNKNOWN


def cycle_to_open(rules=PI):
    return read(rules, closed_limit=True) + [
        (1.0, OpenRequest("allowlisted")),
        (1.5, InputChanged("closed_limit", False)),
        (3.0, InputChanged("open_limit", True)),
    ]


def test_open_request_pulses_and_follows_the_arm():
    state, actions = run(cycle_to_open())
    assert state.arm is Arm.OPEN and kinds(actions) == ["PulseOpen"]


def test_pi_close_waits_for_the_vehicle_tests_the_eye_then_closes():
    events = cycle_to_open() + [
        (4.0, InputChanged("photo_eye", True)), (6.0, InputChanged("photo_eye", False)),
        (7.0, Tick()), (8.1, Tick()),  # close_delay 2 s after the trailing edge
    ]
    state, actions = run(events)
    assert state.test == "asserted" and kinds(actions)[-1] == "EyeTest"
    state, more = run([(8.15, InputChanged("photo_eye", True)), (8.2, InputChanged("photo_eye", False))], state=state)
    assert kinds(more) == ["EyeTest", "PulseClose"] and state.arm is Arm.CLOSING
    state, _ = run([(10.0, InputChanged("open_limit", False)), (11.0, InputChanged("closed_limit", True))], state=state)
    assert state.arm is Arm.CLOSED


def test_presence_during_close_reopens():
    events = cycle_to_open() + [
        (4.0, InputChanged("photo_eye", True)), (5.0, InputChanged("photo_eye", False)), (7.1, Tick()),
        (7.15, InputChanged("photo_eye", True)), (7.2, InputChanged("photo_eye", False)),
        (7.3, InputChanged("open_limit", False)),  # the arm started down
        (7.5, InputChanged("safety_loop", True)),
    ]
    state, actions = run(events)
    assert kinds(actions)[-3:] == ["PulseClose", "CloseRelayOff", "PulseOpen"]
    assert state.arm is Arm.OPENING


def test_dead_photo_eye_fails_its_test_and_the_lane_goes_attended():
    events = cycle_to_open() + [
        (4.0, InputChanged("photo_eye", True)), (5.0, InputChanged("photo_eye", False)), (7.1, Tick()),
        (7.5, Tick()),  # no answer to the test within 200 ms
    ]
    state, actions = run(events)
    assert state.arm is Arm.ATTENDED
    assert "PulseClose" not in kinds(actions)
    faults = [a for _, a in actions if isinstance(a, RaiseFault)]
    assert [(f.code, f.active) for f in faults] == [("safety_input_stuck", True)]
    assert actions[-1][1] == EyeTest(False) or EyeTest(False) in [a for _, a in actions[-3:]]
    state, refused = run([(8.0, OpenRequest("allowlisted"))], state=state)
    assert kinds(refused) == ["OpenRefused"]
    state, manual = run([(9.0, OpenRequest("manual")), (10.0, OpenRequest("remote"))], state=state)
    assert kinds(manual) == ["PulseOpen", "PulseOpen"] and state.arm is Arm.ATTENDED


def test_attended_lane_recovers_after_a_good_retest():
    state, _ = run(read(closed_limit=True) + [(1.0, InputChanged("photo_eye", True))])
    state, actions = run([(t, Tick()) for t in range(2, 700, 10)], state=state)
    assert state.arm is Arm.ATTENDED and ("safety_input_stuck", True) in [
        (a.code, a.active) for _, a in actions if isinstance(a, RaiseFault)]
    state, _ = run([(700.0, InputChanged("photo_eye", False)), (701.0, Retest())], state=state)
    assert state.test == "asserted"
    state, actions = run([(701.05, InputChanged("photo_eye", True)), (701.1, InputChanged("photo_eye", False))], state=state)
    assert state.arm is Arm.CLOSED
    assert [(a.code, a.active) for _, a in actions if isinstance(a, RaiseFault)] == [("safety_input_stuck", False)]


def test_travel_watchdog_faults_and_recovers_at_a_limit():
    state, actions = run(read(closed_limit=True) + [(1.0, OpenRequest("allowlisted")), (1.5, InputChanged("closed_limit", False)),
                                                    (8.0, Tick())])
    assert state.arm is Arm.FAULT and ("relay_fault", True) in [(a.code, a.active) for _, a in actions if isinstance(a, RaiseFault)]
    state, actions = run([(9.0, InputChanged("open_limit", True))], state=state)
    assert state.arm is Arm.OPEN and [(a.code, a.active) for _, a in actions] == [("relay_fault", False)]


def test_fire_latches_until_reset():
    state, actions = run(cycle_to_open() + [(5.0, FireOn("panel"))])
    assert state.arm is Arm.EMERGENCY_OPEN and kinds(actions)[-2:] == ["CloseRelayOff", "PulseOpen"]
    state, actions = run([(t, Tick()) for t in range(6, 3600, 30)], state=state)
    assert state.arm is Arm.EMERGENCY_OPEN and "PulseClose" not in kinds(actions)
    state, _ = run([(3600.0, FireReset("key"))], state=state)
    assert state.arm is Arm.OPEN and not state.close_armed  # after a fire nothing closes by itself
    state, actions = run([(t, Tick()) for t in range(3601, 3700)], state=state)
    assert "PulseClose" not in kinds(actions)


def test_fire_repulses_while_the_arm_is_not_seen_open():
    state, actions = run(read(closed_limit=True) + [(1.0, FireOn("panel"))] + [(t, Tick()) for t in range(2, 40)])
    assert kinds(actions).count("PulseOpen") == 1 + 3  # at 1, then every 10 s


def test_controller_mode_never_commands_a_close():
    events = cycle_to_open(CONTROLLER) + [
        (4.0, InputChanged("photo_eye", True)), (5.0, InputChanged("photo_eye", False))] + [(t, Tick()) for t in range(6, 100)]
    state, actions = run(events, CONTROLLER)
    assert "PulseClose" not in kinds(actions) and "EyeTest" not in kinds(actions)


def test_open_request_refused_reasons():
    state, _ = run(read() + [(1.0, InputChanged("photo_eye", True))] + [(t, Tick()) for t in range(2, 700, 50)])
    assert state.arm is Arm.ATTENDED
    _, actions = run([(800.0, OpenRequest("passback"))], state=state)
    assert actions == [(800.0, OpenRefused("passback", "attended"))]


# ---- the safety invariant: never close while anything is in the lane or unknown ----------------

PRESENCE = ["arming_loop", "photo_eye", "safety_loop"]


class Plant:
    """The lane's hardware for the pure machine: a photo-eye that answers its test line, an arm that moves."""

    def __init__(self):
        self.state, self.now = BarrierState(), 0.0
        self.physical = {"arming_loop": False, "safety_loop": False, "photo_eye": False}
        self.test_line, self.arm, self.arm_at = False, "closed", 0.0
        self.feed([InputChanged(role, False) for role in PRESENCE])
        self.feed([InputChanged("open_limit", False), InputChanged("closed_limit", True)])

    def feed(self, events):
        queue = list(events)
        while queue:
            event = queue.pop(0)
            self.state, actions = step(self.state, event, self.now, PI)
            for action in actions:
                if isinstance(action, PulseClose):
                    assert not any(self.physical.values()), f"close pulse with {self.physical}"
                    assert self.state.arm is Arm.CLOSING
                queue += self.react(action)
            if isinstance(event, InputChanged) and event.role in PRESENCE and event.active:
                assert self.state.arm is not Arm.CLOSING  # presence during a close reopens at once

    def react(self, action):
        if isinstance(action, EyeTest):
            self.test_line = action.on
            return [InputChanged("photo_eye", self.physical["photo_eye"] or action.on)]
        if isinstance(action, PulseOpen) and self.arm != "open":
            self.arm, self.arm_at = "opening", self.now
            return [InputChanged("closed_limit", False)]
        if isinstance(action, PulseClose) and self.arm == "open":
            self.arm, self.arm_at = "closing", self.now
            return [InputChanged("open_limit", False)]
        return []

    def put(self, role, active):
        self.physical[role] = active
        level = active or (role == "photo_eye" and self.test_line)
        self.feed([InputChanged(role, level)])

    def wait(self, seconds):
        end = self.now + seconds
        while self.now < end:
            self.now = round(self.now + 0.05, 6)
            if self.arm in ("opening", "closing") and self.now - self.arm_at >= 1.0:
                self.arm = "open" if self.arm == "opening" else "closed"
                self.feed([InputChanged(f"{self.arm}_limit", True)])
            self.feed([Tick()])


STEPS = st.lists(st.one_of(
    st.tuples(st.just("put"), st.sampled_from(PRESENCE), st.booleans()),
    st.tuples(st.just("open"), st.sampled_from(["allowlisted", "manual", "remote"])),
    st.tuples(st.just("wait"), st.sampled_from([0.1, 0.3, 1.0, 2.5, 5.0, 35.0])),
    st.tuples(st.just("fire"), st.sampled_from(["on", "reset"])),
), max_size=40)


@settings(max_examples=300, deadline=None)
@given(STEPS)
def test_never_a_close_pulse_while_presence_is_active(steps):
    plant = Plant()
    for what, *args in steps:
        if what == "put":
            plant.put(*args)
        elif what == "open":
            plant.feed([OpenRequest(args[0])])
        elif what == "wait":
            plant.wait(args[0])
        else:
            plant.feed([FireOn("x") if args[0] == "on" else FireReset("y")])
    plant.wait(40)


def test_the_plant_does_close_a_clear_lane():
    """The invariant above is not empty: with a clear lane the Pi does close."""
    plant = Plant()
    plant.feed([OpenRequest("allowlisted")])
    plant.wait(2)
    plant.put("photo_eye", True)
    plant.put("photo_eye", False)
    plant.wait(5)
    assert plant.arm == "closed" and plant.state.arm is Arm.CLOSED


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PRESENCE), st.booleans()), max_size=30))
def test_nothing_ever_closes_before_a_vehicle_cycle(changes):
    """Power-up (and after fire) is UNKNOWN or resting: without an open by the Pi nothing closes."""
    state, _ = run(read(open_limit=True))
    actions: list = []
    now = 1.0
    for role, active in changes:
        state, more = step(state, InputChanged(role, active), now, PI)
        actions += more
        state, more = step(state, Tick(), now + 100, PI)
        actions += more
        now += 200
    assert not any(isinstance(a, (PulseClose, PulseOpen)) for a in actions)

"""The lane decision (edge.gate.decide, edge.gate.lane): pure tables and invariants."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.ble.model import Sighting
from edge.gate import decide
from edge.gate.lane import Lane, step
from edge.gate.model import FireOn, InputChanged, LaneRules, OpenCommand, OpenRequest, RecordPassage, TakeSnapshot, Tick

RESIDENT, VISITOR, OUTSIDER, GONE = "eid:car-1", "eid:visitor", "eid:stranger", "eid:sold"
STATUS = {RESIDENT: "allowed", VISITOR: "expired", GONE: "revoked"}
RULES = LaneRules(name="north-in", direction="in",
                  wired=frozenset({"arming_loop", "photo_eye", "open_limit", "closed_limit"}))


def verdict_for(last: dict[str, str] | None = None, direction: str = "in"):
    last = last or {}
    return lambda tag: decide.judge(STATUS.get(tag, "unknown_tag"), direction, last.get(tag))


class Driver:
    """Steps a pure lane through time and keeps every action."""

    def __init__(self, rules: LaneRules = RULES, last: dict[str, str] | None = None):
        self.lane, self.now, self.actions = Lane(rules), 0.0, []
        self.verdict = verdict_for(last, rules.direction)
        for role in sorted(rules.wired):
            self.send(InputChanged(role, role == "closed_limit"))

    def send(self, event) -> list:
        self.lane, actions = step(self.lane, event, self.now, self.verdict)
        self.actions += actions
        return list(actions)

    def wait(self, seconds: float, dt: float = 0.1) -> None:
        end = self.now + seconds
        while self.now < end - 1e-9:
            self.now = round(self.now + dt, 6)
            self.send(Tick())

    def hear(self, tag: str, rssi: int = -55) -> list:
        return self.send(Sighting(tag, rssi, self.now, False))

    def arrive(self) -> list:
        return self.send(InputChanged("arming_loop", True))

    def drive_through(self) -> None:
        self.send(InputChanged("photo_eye", True))
        self.wait(0.5)
        self.send(InputChanged("arming_loop", False))
        self.wait(0.5)
        self.send(InputChanged("photo_eye", False))
        self.wait(1.0)

    def opened(self) -> int:
        return sum(1 for a in self.actions if type(a).__name__ == "PulseOpen")

    def passages(self) -> list[RecordPassage]:
        return [a for a in self.actions if isinstance(a, RecordPassage)]


@pytest.mark.parametrize("status,direction,last,reason", [
    ("allowed", "in", None, "allowlisted"),
    ("allowed", "in", "out", "allowlisted"),
    ("allowed", "in", "in", "passback"),
    ("allowed", "out", "out", "allowlisted"),
    ("allowed", "out", "in", "allowlisted"),
    ("unknown_tag", "in", None, "unknown_tag"),
    ("revoked", "in", "in", "revoked"),
    ("expired", "out", None, "expired"),
])
def test_judge(status, direction, last, reason):
    assert decide.judge(status, direction, last) == reason


@pytest.mark.parametrize("tag,rssi,decision,reason", [
    (RESIDENT, -55, "open", "allowlisted"),
    (OUTSIDER, -55, "deny", "unknown_tag"),
    (VISITOR, -55, "deny", "expired"),
    (GONE, -55, "deny", "revoked"),
    (RESIDENT, -90, "deny", "no_tag"),  # too weak for this lane: another lane's car
    (None, None, "deny", "no_tag"),
])
def test_one_vehicle(tag, rssi, decision, reason):
    lane = Driver()
    if tag:
        lane.hear(tag, rssi)
    lane.arrive()
    lane.wait(3)
    if decision == "deny":
        lane.send(InputChanged("arming_loop", False))
        lane.wait(2)
    else:
        lane.drive_through()
    [passage] = lane.passages()
    assert (passage.decision, passage.reason, passage.passed) == (decision, reason, decision == "open")
    assert passage.tag == (tag if reason != "no_tag" else None)
    assert lane.opened() == (1 if decision == "open" else 0)
    assert sum(isinstance(a, TakeSnapshot) for a in lane.actions) == 1


def test_resident_opens_at_once_without_waiting():
    lane = Driver()
    lane.hear(RESIDENT)
    actions = lane.arrive()
    assert [type(a).__name__ for a in actions] == ["PulseOpen", "TakeSnapshot"]


def test_strong_tag_with_empty_loop_never_opens():
    lane = Driver()
    for _ in range(50):
        lane.hear(RESIDENT, -40)
        lane.wait(1)
    assert lane.opened() == 0 and lane.passages() == []


def test_tag_first_heard_just_after_the_loop_still_opens():
    lane = Driver()
    lane.arrive()
    lane.wait(0.3)  # a slow advertiser: its first advertisement comes just after the loop
    lane.hear(RESIDENT)
    assert lane.opened() == 1
    lane.drive_through()
    assert [(p.decision, p.reason, p.passed) for p in lane.passages()] == [("open", "allowlisted", True)]


def test_tag_first_heard_long_after_the_vehicle_arrived_is_another_car():
    lane = Driver()
    lane.arrive()
    lane.wait(5)  # denied for now (no tag), snapshot taken
    lane.hear(RESIDENT)  # a resident pulling in behind the waiting stranger
    lane.wait(1)
    assert lane.opened() == 0
    lane.send(InputChanged("arming_loop", False))
    lane.wait(2)
    [passage] = lane.passages()
    assert (passage.decision, passage.reason, passage.tag) == ("deny", "no_tag", None)
    assert str(passage.evidence).startswith("ambiguous: eid:car-1") and "(late)" in str(passage.evidence)


def test_strongest_tag_decides():
    lane = Driver()
    lane.hear(RESIDENT, -70)
    lane.hear(OUTSIDER, -50)
    lane.arrive()
    assert lane.opened() == 0
    lane.wait(3)
    lane.send(InputChanged("arming_loop", False))
    lane.wait(2)
    assert [(p.tag, p.reason) for p in lane.passages()] == [(OUTSIDER, "unknown_tag")]


def test_second_entry_without_exit_is_passback_and_let_in():
    lane = Driver(last={RESIDENT: "in"})
    lane.hear(RESIDENT)
    lane.arrive()
    lane.drive_through()
    assert [(p.decision, p.reason) for p in lane.passages()] == [("open", "passback")]


def test_cooldown_car_behind_cannot_use_the_tag_of_the_car_in_front():
    lane = Driver()
    lane.hear(RESIDENT)
    lane.arrive()
    lane.drive_through()
    lane.hear(RESIDENT, -50)  # still heard: the resident's car is just past the arm
    lane.arrive()  # an outside car follows
    lane.wait(3)
    lane.send(InputChanged("arming_loop", False))
    lane.wait(2)
    assert [(p.decision, p.reason) for p in lane.passages()] == [("open", "allowlisted"), ("deny", "no_tag")]
    assert lane.opened() == 1


def test_two_residents_queued_both_open():
    lane = Driver()
    lane.hear(RESIDENT)
    lane.arrive()
    lane.send(InputChanged("photo_eye", True))
    lane.send(InputChanged("arming_loop", False))
    lane.wait(0.3)
    STATUS["eid:car-2"] = "allowed"
    try:
        lane.hear("eid:car-2", -50)
        lane.arrive()  # second car on the loop while the first is under the arm
        lane.send(InputChanged("photo_eye", False))
        lane.wait(1)
        lane.drive_through()
    finally:
        del STATUS["eid:car-2"]
    assert [(p.tag, p.decision, p.passed) for p in lane.passages()] == [
        (RESIDENT, "open", True), ("eid:car-2", "open", True)]


def test_tailgater_is_recorded_as_denied_but_passed():
    lane = Driver()
    lane.hear(RESIDENT)
    lane.arrive()
    lane.send(InputChanged("photo_eye", True))
    lane.wait(0.2)
    lane.send(InputChanged("photo_eye", False))  # first car through, the loop never cleared:
    lane.wait(0.7)
    lane.send(InputChanged("photo_eye", True))  # the second car is right behind, bumper to bumper
    lane.send(InputChanged("arming_loop", False))
    lane.wait(0.5)
    lane.send(InputChanged("photo_eye", False))
    lane.wait(1)
    records = [(p.tag, p.decision, p.reason, p.passed, p.tailgating) for p in lane.passages()]
    assert records == [(RESIDENT, "open", "allowlisted", True, False), (None, "deny", "no_tag", True, True)]


def test_vehicle_that_backs_away_is_not_passed():
    lane = Driver()
    lane.hear(RESIDENT)
    lane.arrive()
    lane.wait(1)
    lane.send(InputChanged("arming_loop", False))
    lane.wait(2)
    assert [(p.decision, p.passed) for p in lane.passages()] == [("open", False)]


@pytest.mark.parametrize("reason", ["manual", "remote"])
def test_person_opens_for_a_denied_vehicle(reason):
    lane = Driver()
    lane.hear(OUTSIDER)
    lane.arrive()
    lane.wait(3)
    lane.send(OpenCommand(reason, by="王阿姨"))
    lane.drive_through()
    assert [(p.tag, p.decision, p.reason) for p in lane.passages()] == [(OUTSIDER, "open", reason)]


def test_booth_button_is_a_manual_open():
    lane = Driver(LaneRules(name="x", direction="out", wired=frozenset({"arming_loop", "photo_eye", "button"})))
    lane.arrive()
    lane.send(InputChanged("button", True))
    lane.send(InputChanged("button", False))
    lane.drive_through()
    assert [(p.decision, p.reason) for p in lane.passages()] == [("open", "manual")]


def test_remote_open_with_nobody_there_ends_not_passed():
    lane = Driver()
    lane.send(OpenCommand("remote", by="warden"))
    lane.wait(RULES.open_hold + 1)
    assert [(p.decision, p.reason, p.passed) for p in lane.passages()] == [("open", "remote", False)]


def test_fire_mode_opens_for_everyone():
    lane = Driver()
    lane.send(FireOn("test"))
    lane.hear(OUTSIDER)
    lane.arrive()
    lane.drive_through()
    assert [(p.decision, p.reason, p.tag) for p in lane.passages()] == [("open", "fire_mode", OUTSIDER)]


def test_lane_without_arming_loop_uses_the_photo_eye():
    lane = Driver(LaneRules(name="x", direction="in", wired=frozenset({"photo_eye"})))
    lane.hear(RESIDENT)
    lane.send(InputChanged("photo_eye", True))
    assert lane.opened() == 1
    lane.wait(2)
    lane.send(InputChanged("photo_eye", False))
    assert [(p.decision, p.passed) for p in lane.passages()] == [("open", True)]


# ---- invariants -----------------------------------------------------------------------------

EVENTS = st.one_of(
    st.builds(lambda tag, rssi: ("hear", tag, rssi), st.sampled_from([RESIDENT, OUTSIDER, VISITOR, GONE]),
              st.integers(-100, -30)),
    st.builds(lambda role, active: ("input", role, active), st.sampled_from(["arming_loop", "photo_eye"]),
              st.booleans()),
    st.builds(lambda dt: ("wait", dt), st.floats(0.05, 5.0)),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(EVENTS, max_size=60))
def test_opens_only_for_a_vehicle_with_an_allowed_tag(events):
    lane = Driver()
    for event in events:
        if event[0] == "hear":
            before = len(lane.actions)
            lane.hear(event[1], event[2])
            new = lane.actions[before:]
        elif event[0] == "input":
            before = len(lane.actions)
            lane.send(InputChanged(event[1], event[2]))
            new = lane.actions[before:]
        else:
            lane.wait(event[1], dt=0.25)
            continue
        if any(type(a).__name__ == "PulseOpen" for a in new):
            assert lane.lane.traffic.loop, "opened with no vehicle on the loop"
            [opened] = [v for v in lane.lane.traffic.queue if v.on_loop]
            assert opened.decision == "open" and STATUS.get(opened.tag) == "allowed"
            assert opened.rssi >= RULES.rssi_threshold
    for passage in lane.passages():
        assert (passage.decision == "open") == (passage.reason in ("allowlisted", "passback"))
    opened = lane.opened()
    assert opened == sum(p.decision == "open" for p in lane.passages()) + sum(
        v.decision == "open" for v in lane.lane.traffic.queue)


def test_open_request_goes_to_the_barrier_not_out():
    lane = Driver()
    lane.hear(RESIDENT)
    lane.arrive()
    assert not any(isinstance(a, OpenRequest) for a in lane.actions)

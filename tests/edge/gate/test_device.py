"""The gate device end to end on gpiozero mock pins, a simulated barrier controller and a fake clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gwcommon import wire
from tests.support.gate import LANE_PINS, FakeCamera, gate_config

from tests.support.gate import OUTSIDER, RESIDENT, VISITOR, Rig  # noqa: E402,F401


@pytest.fixture
def rig(mock_factory, tmp_path):
    made = Rig(mock_factory, tmp_path)
    yield made
    made.device.stop()


def test_power_up_reads_the_arm_and_stays_put(rig):
    assert rig.device.arm_states() == {"lane-0": "closed"}
    rig.run(60)
    assert rig.open_pulses() == 0 and rig.sink.events == []


def test_resident_opens_and_passes(rig):
    rig.lane().set("arming_loop", True)
    rig.hear(RESIDENT)
    rig.run(0.05)
    assert rig.open_pulses() == 1 and rig.lane().relay("open_relay")
    rig.run(1.5)
    assert not rig.lane().relay("open_relay")  # a short pulse, not a hold
    assert rig.lane().position == "open"
    rig.drive_through()
    rig.run(5)
    assert rig.passages() == [("lane-0", RESIDENT, "open", "allowlisted", True)]
    assert rig.lane().position == "closed"  # the controller closed behind it
    [(event_id, jpeg)] = rig.sink.snapshots
    assert event_id == "test-1" and jpeg.startswith(b"\xff\xd8")


@pytest.mark.parametrize("tag,reason", [(OUTSIDER, "unknown_tag"), (None, "no_tag")])
def test_outside_car_is_denied_with_a_picture(rig, tag, reason):
    rig.lane().set("arming_loop", True)
    if tag:
        rig.hear(tag)
    rig.run(4)
    assert rig.open_pulses() == 0
    rig.lane().set("arming_loop", False)
    rig.run(3)
    assert rig.passages() == [("lane-0", tag, "deny", reason, False)]
    assert len(rig.sink.snapshots) == 1


def test_expired_visitor_is_denied(rig):
    rig.clock.advance(timedelta(hours=2))
    rig.lane().set("arming_loop", True)
    rig.hear(VISITOR)
    rig.run(3)
    rig.lane().set("arming_loop", False)
    rig.run(3)
    assert rig.passages() == [("lane-0", VISITOR, "deny", "expired", False)]


def test_car_parked_near_the_gate_never_opens_it(rig):
    for _ in range(120):
        rig.hear(RESIDENT, -40)
        rig.run(1, dt=0.25)
    assert rig.open_pulses() == 0 and rig.passages() == []


def test_two_cars_queued_both_open(rig):
    rig.lane().set("arming_loop", True)
    rig.hear(RESIDENT)
    rig.run(1.5)
    rig.drive_through()
    rig.allowlist.update(wire.Allowlist(version=2, entries=[
        wire.AllowEntry(tag=RESIDENT, vehicle="浙A12345"), wire.AllowEntry(tag="eid:car-2", vehicle="浙A55555")]))
    rig.lane().set("arming_loop", True)
    rig.hear("eid:car-2")
    rig.hear(RESIDENT, -50)  # the first car is still close by: its tag cools down, it opens nothing
    rig.run(0.5)
    rig.drive_through()
    rig.run(5)
    assert rig.passages() == [("lane-0", RESIDENT, "open", "allowlisted", True),
                              ("lane-0", "eid:car-2", "open", "allowlisted", True)]
    assert rig.open_pulses() == 2


def test_tailgater_is_reported(rig):
    rig.lane().set("arming_loop", True)
    rig.hear(RESIDENT)
    rig.run(1.5)
    rig.lane().block_eye(True)
    rig.run(0.3)
    rig.lane().block_eye(False)  # the first car is through; the loop never cleared: a second car
    rig.run(0.8)
    rig.lane().block_eye(True)
    rig.lane().set("arming_loop", False)
    rig.run(0.5)
    rig.lane().block_eye(False)
    rig.run(2)
    assert rig.passages() == [("lane-0", RESIDENT, "open", "allowlisted", True),
                              ("lane-0", None, "deny", "no_tag", True)]
    assert rig.device.counters["tailgating"] == 1


def test_fire_mode_latches_every_lane_open_until_a_person_resets(mock_factory, tmp_path):
    rig = Rig(mock_factory, tmp_path, gate_config(lanes=2))
    try:
        rig.sim.set_site("fire_input", True)
        rig.run(2)
        assert rig.device.arm_states() == {"lane-0": "emergency_open", "lane-1": "emergency_open"}
        assert rig.open_pulses(0) >= 1 and rig.open_pulses(1) >= 1
        assert rig.faults() == [("fire_mode", True)]
        rig.sim.set_site("fire_input", False)  # the panel is quiet again: still latched
        rig.run(30)
        assert rig.device.fire_mode and all(lane.position == "open" for lane in rig.sim.lanes.values())
        rig.lane(1).set("arming_loop", True)
        rig.hear(OUTSIDER, radio="hci1")
        rig.run(0.5)
        rig.drive_through(1)
        assert rig.passages() == [("lane-1", OUTSIDER, "open", "fire_mode", True)]
        rig.sim.set_site("reset_input", True)
        rig.run(0.5)
        assert not rig.device.fire_mode and rig.faults()[-1] == ("fire_mode", False)
    finally:
        rig.device.stop()


def test_fire_reset_refused_while_the_panel_still_signals(rig):
    rig.device.handle_command(wire.Command(id="c1", ts=rig.clock.now(), op="fire_mode_on", by="warden-li", reason="drill"))
    rig.run(1)
    assert rig.device.fire_mode
    rig.sim.set_site("fire_input", True)
    rig.run(0.5)
    rig.device.handle_command(wire.Command(id="c2", ts=rig.clock.now(), op="fire_mode_off", by="warden-li", reason="done"))
    rig.run(0.5)
    assert rig.device.fire_mode
    assert "refused" in rig.sink.of("fault")[-1]["detail"]
    rig.sim.set_site("fire_input", False)
    rig.run(0.5)
    rig.device.handle_command(wire.Command(id="c3", ts=rig.clock.now(), op="fire_mode_off", by="warden-li", reason="done"))
    rig.run(0.5)
    assert not rig.device.fire_mode
    details = [f["detail"] for f in rig.sink.of("fault") if f["code"] == "fire_mode"]
    assert "warden-li: drill" in details[0] and "warden-li: done" in details[-1]


def test_stuck_photo_eye_drops_the_lane_to_attended(mock_factory, tmp_path):
    rig = Rig(mock_factory, tmp_path, gate_config(pi_close=True))
    try:
        rig.lane().eye_dead = True  # the eye no longer reacts to its test line
        rig.lane().set("arming_loop", True)
        rig.hear(RESIDENT)
        rig.run(1.5)
        rig.lane().set("arming_loop", False)
        rig.run(5)
        assert rig.device.arm_states() == {"lane-0": "attended"}
        assert ("safety_input_stuck", True) in rig.faults()
        assert rig.device._relays["lane-0"].pulses["close_relay"] == 0
        # Attended: a resident's tag no longer opens; the booth button and a warden still do.
        pulses = rig.open_pulses()
        rig.lane().set("arming_loop", True)
        rig.hear(RESIDENT, -50)
        rig.run(3)
        assert rig.open_pulses() == pulses
        rig.lane().set("button", True)
        rig.run(0.1)
        rig.lane().set("button", False)
        rig.run(0.5)
        assert rig.open_pulses() == pulses + 1
    finally:
        rig.device.stop()


def test_pi_close_mode_closes_after_the_car_cleared(mock_factory, tmp_path):
    rig = Rig(mock_factory, tmp_path, gate_config(pi_close=True))
    try:
        rig.lane().set("arming_loop", True)
        rig.hear(RESIDENT)
        rig.run(1.5)
        rig.drive_through()
        rig.run(4)
        assert rig.lane().position == "closed" and rig.device.arm_states() == {"lane-0": "closed"}
        assert rig.device._relays["lane-0"].pulses["close_relay"] == 1
        assert rig.passages() == [("lane-0", RESIDENT, "open", "allowlisted", True)]
    finally:
        rig.device.stop()


def test_active_low_relay_board(mock_factory, tmp_path):
    rig = Rig(mock_factory, tmp_path, gate_config(active_high=False))
    try:
        pin = mock_factory.pin(LANE_PINS["open_relay"])
        # Off on an active-low board is a high pin: from the moment it became an output it was never low.
        assert [state.state for state in pin.states] == [False, True]  # (floating input, then output off)
        rig.lane().set("arming_loop", True)
        rig.hear(RESIDENT)
        rig.run(0.05)
        assert pin.state is False
        rig.run(1)
        assert pin.state is True and rig.lane().position in ("opening", "open")
    finally:
        rig.device.stop()


@pytest.mark.parametrize("lane,expected", [("lane-0", "remote"), (None, "remote"), ("nope", None)])
def test_remote_open_is_recorded_with_who_and_why(rig, lane, expected):
    rig.device.handle_command(wire.Command(id="c9", ts=rig.clock.now(), op="open", lane=lane, by="warden-wang",
                                           reason="delivery van"))
    rig.run(1.5)
    notice = rig.sink.of("fault")[-1]
    assert notice["code"] == "remote_command" and notice["active"] is False
    assert "warden-wang: delivery van" in notice["detail"] and "c9" in notice["detail"]
    if expected is None:
        assert "refused" in notice["detail"] and rig.open_pulses() == 0
        return
    assert rig.open_pulses() == 1
    rig.lane().set("arming_loop", True)
    rig.run(0.5)
    rig.drive_through()
    assert rig.passages() == [("lane-0", None, "open", "remote", True)]


def test_sync_command_is_recorded(rig):
    synced = []
    rig.device._on_sync = lambda: synced.append(1)
    rig.device.handle_command(wire.Command(id="s1", ts=rig.clock.now(), op="sync", by="admin", reason="new list"))
    rig.run(0.1)
    assert synced == [1]
    assert "allowlist version 1, 2 entries" in rig.sink.of("fault")[-1]["detail"]


def test_failing_camera_never_blocks_the_gate(mock_factory, tmp_path):
    class DeadCamera(FakeCamera):
        def snapshot(self):
            return None

    rig = Rig(mock_factory, tmp_path)
    rig.device.cameras = {"lane-0": DeadCamera()}
    try:
        rig.lane().set("arming_loop", True)
        rig.hear(RESIDENT)
        rig.run(1.5)
        rig.drive_through()
        assert rig.passages() == [("lane-0", RESIDENT, "open", "allowlisted", True)]
        assert rig.sink.snapshots == [] and rig.device.counters["snapshot_missing"] == 1
    finally:
        rig.device.stop()


# ---- the relay invariant over random input sequences ------------------------------------------

STEPS = st.lists(st.one_of(
    st.tuples(st.sampled_from(["arming_loop", "safety_loop"]), st.booleans()),
    st.tuples(st.just("eye"), st.booleans()),
    st.tuples(st.just("tag"), st.sampled_from([RESIDENT, OUTSIDER])),
    st.tuples(st.just("resident"), st.just(True)),
    st.tuples(st.just("wait"), st.sampled_from([0.1, 0.5, 2.0, 5.0, 33.0])),
), max_size=30)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_close_relay_never_active_while_a_safety_input_is_active(mock_factory, tmp_path, steps):
    mock_factory.reset()
    rig = Rig(mock_factory, tmp_path, gate_config(pi_close=True), camera=False)
    lane = rig.lane()

    def check():
        if lane.eye_blocked or lane._active("safety_loop") or lane._active("arming_loop"):
            assert not lane.relay("close_relay"), "close relay active while the lane is occupied"

    try:
        for what, value in steps:
            if what == "eye":
                lane.block_eye(value)
            elif what == "tag":
                rig.hear(value)
            elif what == "resident":
                lane.set("arming_loop", True)
                rig.hear(RESIDENT)
            elif what == "wait":
                rig.run(value, check=check)
                continue
            else:
                lane.set(what, value)
            rig.run(0.05, check=check)
        lane.block_eye(False)
        lane.set("arming_loop", False)
        lane.set("safety_loop", False)
        rig.run(10, check=check)
    finally:
        rig.device.stop()
        (tmp_path / "allowlist.json").unlink()

"""The cut-off rules (pure): when a circuit is cut, commanded again, and switched on."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from edge.charging.cutoff import Command, CutState, Policy, View, decide, inside, restore, result

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 5, 1, 20, 0, tzinfo=SH)  # 20:00 local
BASE = Policy(circuit="shed-a", switchable=True, alarm_a=12.8, tz=SH)


def run(policy, views, *, start=T0, step_s=1.0, state=None, ok=True):
    """Feed views one per step; every command is answered ``ok``; returns (state, commands, events)."""
    state = state or CutState()
    commands, events = [], []
    for i, view in enumerate(views):
        now = start + timedelta(seconds=i * step_s)
        state, cmds = decide(state, view, now, policy)
        for cmd in cmds:
            commands.append(cmd)
            state, evs = result(state, cmd, ok, "" if ok else "timed out", now)
            events.extend(evs)
    return state, commands, events


IDLE = View(0.0, 0.0, 0)
CHARGING = View(220.0, 1.0, 2)
OVER = View(2900.0, 13.2, 12)
TRICKLE = View(8.0, 0.04, 0)
ONE_CHARGER = View(150.0, 0.7, 1)
KETTLE = View(1800.0, 8.2, 1)


@pytest.mark.parametrize("policy, views, at, reason", [
    (BASE, [CHARGING, CHARGING, OVER], 2, "overload"),
    (BASE, [OVER], 0, "overload"),
    (BASE, [View(2800.0, 12.79, 12)] * 5, None, None),                       # just under the alarm level
    (Policy("s", True, alarm_a=None), [OVER] * 5, None, None),                # no breaker set: no overload cut
    (Policy("s", False, alarm_a=12.8), [OVER] * 5, None, None),               # not switchable: never cut
    (Policy("s", True, no_charging=True, no_charging_after_s=30), [ONE_CHARGER] * 40, 30, "no_charging"),
    (Policy("s", True, no_charging=True, no_charging_after_s=30), [ONE_CHARGER] * 29, None, None),
    (Policy("s", True, no_charging=True, no_charging_after_s=0), [KETTLE] * 5, None, None),  # a kettle is no charger
    (Policy("s", True, no_charging=True, no_charging_after_s=0, baseline_w=20),
     [View(20.0, 0.1, 0)] * 5, None, None),                                                     # the stair lights
    (Policy("s", True, full_after_s=600), [TRICKLE] * 700, 600, "full"),
    (Policy("s", True, full_after_s=600), [TRICKLE] * 300 + [CHARGING] + [TRICKLE] * 300, None, None),
    (Policy("s", True, full_after_s=600), [View(1.0, 0.0, 0)] * 700, None, None),   # unplugged / standby
    (Policy("s", True, allowed=(time(6), time(23)), tz=SH), [CHARGING] * 3, None, None),
])
def test_when_a_circuit_is_cut(policy, views, at, reason):
    state, commands, events = run(policy, views)
    if at is None:
        assert commands == [] and events == [] and state.reason is None
        return
    assert commands[0] == Command(policy.circuit, False, reason, commands[0].detail)
    cut = [e for _, e in events if e["code"] == "power_cut"]
    assert len(cut) == 1 and cut[0]["active"] is True and cut[0]["circuit"] == policy.circuit
    assert cut[0]["detail"].startswith(f"{policy.circuit}: {reason}: ")
    assert state.reason == reason


def test_overload_detail_names_the_limit():
    _, commands, _ = run(Policy("s", True, alarm_a=12.8, alarm_text="12.8 A (16 A × 80 %)"), [OVER])
    assert commands[0].detail == "13.2 A ≥ 12.8 A (16 A × 80 %)"


HOURS = Policy("s", True, allowed=(time(6), time(23)), tz=SH)


def test_outside_hours_cut_and_restored_when_hours_begin():
    late = datetime(2026, 5, 1, 23, 0, 5, tzinfo=SH)
    state, commands, events = run(HOURS, [CHARGING], start=late)
    assert [c.reason for c in commands] == ["outside_hours"]
    state, commands, events = run(HOURS, [IDLE] * 3, start=datetime(2026, 5, 2, 5, 59, 58, tzinfo=SH), state=state)
    assert [(c.on, c.reason) for c in commands] == [(True, "hours_began")]
    assert [(e["code"], e["active"]) for _, e in events] == [("power_cut", False)]
    assert state == CutState()


def test_outside_hours_ignores_an_idle_circuit_and_wraps_midnight():
    assert run(HOURS, [IDLE] * 3, start=datetime(2026, 5, 1, 2, 0, tzinfo=SH))[1] == []
    night = Policy("s", True, allowed=(time(22), time(6)), tz=SH)
    assert run(night, [CHARGING], start=datetime(2026, 5, 1, 1, 0, tzinfo=SH))[1] == []
    assert run(night, [CHARGING], start=datetime(2026, 5, 1, 12, 0, tzinfo=SH))[1][0].reason == "outside_hours"


@pytest.mark.parametrize("local, allowed, expected", [
    (time(5, 59), (time(6), time(23)), False), (time(6), (time(6), time(23)), True),
    (time(23), (time(6), time(23)), False), (time(23, 30), (time(22), time(6)), True),
    (time(5, 59), (time(22), time(6)), True), (time(6), (time(22), time(6)), False),
])
def test_inside(local, allowed, expected):
    assert inside(local, allowed) is expected


def test_overload_latches_until_a_warden_restores():
    state, commands, _ = run(BASE, [OVER] + [IDLE] * 100)
    assert len(commands) == 1 and state.reason == "overload"
    now = T0 + timedelta(seconds=200)
    state, command = restore(state, "shed-a", "warden-li", "chargers unplugged", now)
    assert command == Command("shed-a", True, "warden", "warden-li: chargers unplugged")
    state, events = result(state, command, True, "", now)
    assert events == [("fault", {"code": "power_cut", "active": False, "circuit": "shed-a",
                                 "detail": "shed-a: warden: warden-li: chargers unplugged"})]
    # the overload comes back: cut again at once (a warden never excuses safety)
    state, commands, events = run(BASE, [OVER], start=now + timedelta(seconds=1), state=state)
    assert [c.reason for c in commands] == ["overload"]


def test_a_warden_restore_excuses_hours_and_full_until_idle():
    late = datetime(2026, 5, 1, 23, 30, tzinfo=SH)
    state, _, _ = run(HOURS, [CHARGING], start=late)
    state, command = restore(state, "s", "warden-li", "", late)
    state, _ = result(state, command, True, "", late)
    state, commands, _ = run(HOURS, [CHARGING] * 60, start=late + timedelta(seconds=1), state=state)
    assert commands == []                                   # the warden allowed this charge
    state, commands, _ = run(HOURS, [IDLE, CHARGING], start=late + timedelta(minutes=5), state=state)
    assert [c.reason for c in commands] == ["outside_hours"]  # a new charge after idle is cut again


def test_a_failed_switch_raises_relay_fault_and_is_retried():
    policy = Policy("s", True, alarm_a=12.8, retry_after_s=5)
    state, commands, events = run(policy, [OVER] * 11, ok=False)
    assert [c.on for c in commands] == [False, False, False]  # at 0, 5 and 10 s
    assert [(e["code"], e["active"]) for _, e in events] == [("relay_fault", True)]
    assert state.reason == "overload" and not state.switched
    state, commands, events = run(policy, [OVER], start=T0 + timedelta(seconds=15), state=state)
    assert [(e["code"], e["active"]) for _, e in events] == [("relay_fault", False), ("power_cut", True)]


def test_power_after_a_cut_commands_again_without_a_new_event():
    policy = Policy("s", True, alarm_a=12.8, retry_after_s=5)
    state, commands, events = run(policy, [OVER] + [CHARGING] * 12)  # someone pressed the plug's button
    assert [c.on for c in commands] == [False, False, False]
    assert [e["code"] for _, e in events] == ["power_cut"]
    state, commands, _ = run(policy, [IDLE] * 20, start=T0 + timedelta(seconds=13), state=state)
    assert commands == []


def test_full_cut_is_restored_after_the_set_time():
    policy = Policy("s", True, full_after_s=60, restore_full_after_s=1800)
    state, commands, _ = run(policy, [TRICKLE] * 61)
    assert [c.reason for c in commands] == ["full"]
    state, commands, events = run(policy, [IDLE] * 2, start=T0 + timedelta(seconds=60 + 1800), state=state)
    assert [(c.on, c.reason) for c in commands] == [(True, "full_restore_after")]
    assert events[0][1]["active"] is False


def test_a_restore_for_a_circuit_that_is_on_still_reports():
    state, command = restore(CutState(), "s", "warden-li", "", T0)
    state, events = result(state, command, True, "", T0)
    assert [(e["code"], e["active"]) for _, e in events] == [("power_cut", False)]

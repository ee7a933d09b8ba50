"""Every charging rule of the hub, on event time and an injected wall clock (pure: hub/charging/rules.py)."""

from datetime import datetime, time, timedelta, timezone

import pytest

from hub.charging.rules import (CircuitState, Limits, Observation, allowed_now, on_charging, on_fault, on_silence)

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)        # 20:00 in Shanghai
LIM = Limits(circuit="shed-a", label="充电棚A路", breaker_a=16.0)


def feed(steps, limits=LIM, state=None):
    """steps: [(seconds after T0, power_w, current_a, loads)] → (state, [(rule, action, level)...])."""
    state = state or CircuitState(limits.circuit)
    seen = []
    for seconds, watts, amps, loads in steps:
        state, changes = on_charging(state, Observation(T0 + timedelta(seconds=seconds), watts, amps, loads), limits)
        seen += [(c.rule, c.action, c.level) for c in changes]
    return state, seen


@pytest.mark.parametrize("amps,expected", [
    (11.0, []),
    (11.2, [("overload", "open", "warn")]),           # 70 % of 16 A
    (12.8, [("overload", "open", "alarm")]),          # 80 %
    (16.0, [("overload", "open", "critical")]),       # 100 %
])
def test_load_levels(amps, expected):
    _, seen = feed([(0, amps * 200, amps, 3)])
    assert seen == expected


def test_load_escalates_never_lowers_and_closes_after_two_quiet_minutes():
    _, seen = feed([(0, 2300, 11.5, 5), (10, 2600, 13.0, 6), (20, 2300, 11.5, 5), (30, 1000, 5.0, 2),
                    (100, 1000, 5.0, 2), (151, 1000, 5.0, 2)])
    assert seen == [("overload", "open", "warn"), ("overload", "raise", "alarm"), ("overload", "close", "alarm")]


def test_load_near_the_warning_level_does_not_flap():
    _, seen = feed([(0, 2300, 11.3, 5)] + [(t, 2200, 10.9, 5) for t in range(10, 400, 10)])
    assert seen == [("overload", "open", "warn")]


@pytest.mark.parametrize("hours,expected", [
    (7.9, []),
    (8.0, [("long_charge", "open", "warn")]),
    (12.0, [("long_charge", "open", "warn"), ("long_charge", "raise", "alarm")]),
])
def test_long_charge(hours, expected):
    steps = [(0, 110, 0.6, 1)] + [(h * 3600, 110, 0.6, 1) for h in (1, 2, 4, 6, 7.9, 8.0, 12.0) if h <= hours]
    _, seen = feed(steps)
    assert seen == expected


def test_sessions_end_first_in_first_out():
    # A from 0 h, B from 3 h; one ends at 5 h → the oldest (A) is taken as ended: B is only 8 h at 11 h.
    _, seen = feed([(0, 110, 0.6, 1), (3 * 3600, 220, 1.2, 2), (5 * 3600, 110, 0.6, 1),
                    (10 * 3600, 110, 0.6, 1), (11 * 3600, 110, 0.6, 1)])
    assert seen == [("long_charge", "open", "warn")]


@pytest.mark.parametrize("ports,steps,expected", [
    (1, [(0, 380, 1.8, 1)], []),
    (1, [(0, 420, 1.9, 1)], [("port_overpower", "open", "warn")]),
    (1, [(0, 1200, 5.5, 1)], [("port_overpower", "open", "alarm")]),
    (0, [(0, 300, 1.5, 2), (5, 820, 3.9, 3)], [("port_overpower", "open", "warn")]),      # +520 W for one load
    (0, [(0, 300, 1.5, 2), (5, 520, 2.5, 4)], []),                                          # +220 W for two
    (0, [(0, 300, 1.5, 2), (5, 820, 3.9, 3), (50, 300, 1.5, 2)],
     [("port_overpower", "open", "warn"), ("port_overpower", "close", "warn")]),           # it left
])
def test_port_overpower(ports, steps, expected):
    _, seen = feed(steps, Limits(circuit="p", ports=ports))
    assert seen == expected


@pytest.mark.parametrize("watts,loads,minutes,expected", [
    (8, 0, 119, []),
    (8, 0, 120, [("full_plugged", "open", "warn")]),
    (2, 0, 180, []),                                   # standby: nothing plugged in that we can see
    (8, 1, 180, []),                                   # still charging
    (30, 0, 180, []),
])
def test_full_but_still_plugged(watts, loads, minutes, expected):
    steps = [(m * 60, watts, watts / 220, loads) for m in range(0, minutes + 1, 10)] + [(minutes * 60, watts, 0.04, loads)]
    _, seen = feed(steps)
    assert seen == expected


WINDOW = Limits(circuit="shed-a", allowed=(time(6, 0), time(23, 0)))


@pytest.mark.parametrize("local_hour,expected", [(5.5, False), (6.0, True), (22.99, True), (23.0, False), (2.0, False)])
def test_allowed_window(local_hour, expected):
    moment = datetime(2026, 3, 2, tzinfo=WINDOW.tz) + timedelta(hours=local_hour)
    assert allowed_now(WINDOW, moment) is expected


def test_overnight_window_wraps_midnight():
    night = Limits(circuit="x", allowed=(time(20, 0), time(6, 0)))
    base = datetime(2026, 3, 2, tzinfo=night.tz)
    assert [allowed_now(night, base + timedelta(hours=h)) for h in (19, 21, 3, 7)] == [False, True, True, False]


@pytest.mark.parametrize("start_local,minutes,loads,expected", [
    ("22:50", 14, 1, []),                                       # only 4 min past 23:00
    ("22:50", 15, 1, [("outside_hours", "open", "warn")]),
    ("22:50", 30, 0, []),                                       # nothing charging
    ("12:00", 60, 2, []),
])
def test_charging_outside_allowed_hours(start_local, minutes, loads, expected):
    h, m = map(int, start_local.split(":"))
    start = datetime(2026, 3, 2, h, m, tzinfo=WINDOW.tz)
    state, seen = CircuitState("shed-a"), []
    for k in range(minutes + 1):
        state, changes = on_charging(state, Observation(start + timedelta(minutes=k), 110.0 * loads, 0.6 * loads, loads), WINDOW)
        seen += [(c.rule, c.action, c.level) for c in changes]
    assert seen == expected


STAIRS = Limits(circuit="b3-stairs", label="3号楼楼道", no_charging=True, baseline_w=20)


@pytest.mark.parametrize("watts,loads,seconds,expected", [
    (150, 1, 170, []),
    (150, 1, 180, [("flying_wire", "open", "alarm")]),
    (1520, 1, 600, []),                                 # 1.5 kW: a heater or a kettle, not a charger
    (20, 0, 600, []),                                   # the lights only
])
def test_flying_wire_on_a_no_charging_circuit(watts, loads, seconds, expected):
    _, seen = feed([(s, watts, watts / 220, loads) for s in range(0, seconds + 1, 10)], STAIRS)
    assert seen == expected


def test_flying_wire_ends_when_the_charger_is_gone():
    _, seen = feed([(s, 150, 0.7, 1) for s in range(0, 200, 10)] + [(300, 20, 0.1, 0)], STAIRS)
    assert seen == [("flying_wire", "open", "alarm"), ("flying_wire", "close", "alarm")]


def test_silence_then_an_event_closes_it():
    state = CircuitState("shed-a")
    state, changes = on_silence(state, T0, T0 + timedelta(minutes=4, seconds=59), LIM)
    assert changes == []
    state, changes = on_silence(state, T0, T0 + timedelta(minutes=5), LIM)
    assert [(c.rule, c.action) for c in changes] == [("meter_silent", "open")]
    state, changes = on_silence(state, T0, T0 + timedelta(minutes=9), LIM)
    assert changes == []
    state, seen = feed([(600, 100, 0.5, 1)], state=state)
    assert ("meter_silent", "close", "warn") in seen


def test_unreadable_fault_opens_and_clears():
    state, changes = on_fault(CircuitState("shed-a"), True, T0, LIM)
    assert [(c.rule, c.action, c.level) for c in changes] == [("meter_unreadable", "open", "warn")]
    state, changes = on_fault(state, True, T0, LIM)
    assert changes == []
    _, changes = on_fault(state, False, T0 + timedelta(minutes=1), LIM)
    assert [(c.rule, c.action) for c in changes] == [("meter_unreadable", "close")]


def test_an_older_event_changes_nothing():
    state, _ = feed([(100, 3000, 15.0, 8)])
    state2, changes = on_charging(state, Observation(T0, 100, 0.5, 1), LIM)
    assert changes == [] and state2.stale == 1 and state2.last == state.last


def test_messages_are_chinese_and_name_the_circuit():
    state, _ = feed([(0, 2700, 13.0, 7)])
    _, changes = on_charging(CircuitState("shed-a"), Observation(T0, 2700, 13.0, 7), LIM)
    assert changes[0].message == "[告警] 充电棚A路：电流 13.0 A，达到空开额定 16 A 的 81%"


def test_the_same_incident_in_english_from_its_facts():
    from gwcommon import catalogue
    from hub.charging.rules import incident_text

    _, changes = on_charging(CircuitState("shed-a"), Observation(T0, 2700, 13.0, 7), LIM)
    assert catalogue.say(changes[0].words, "en") == "[alarm] 充电棚A路: current 13.0 A, 81% of the 16 A breaker"
    row = {"circuit": "shed-a", "rule": "overload", "level": "alarm", "value": 13.0, "message": changes[0].message,
           "since": "2026-03-02T13:00:00.000+00:00", "opened_at": "2026-03-02T13:00:00.000+00:00"}
    assert incident_text(row, LIM, "en") == "[alarm] 充电棚A路: current 13.0 A, 81% of the 16 A breaker"
    assert incident_text(row, LIM, "zh") == changes[0].message
    # a rule this hub does not know, or a row without its value, keeps the stored sentence
    assert incident_text({**row, "rule": "from_the_future"}, LIM, "en") == changes[0].message
    assert incident_text({**row, "value": None}, LIM, "en") == changes[0].message


def test_a_closed_incident_says_how_long_it_lasted_in_both_languages():
    from gwcommon import catalogue

    state, _ = feed([(0, 2700, 13.0, 7), (60, 500, 2.0, 2)])
    _, changes = on_charging(state, Observation(T0 + timedelta(seconds=240), 500, 2.0, 2), LIM)
    closed = [c for c in changes if c.action == "close"][0]
    assert closed.message == "充电棚A路：充电过载已解除（持续4分钟）"
    assert catalogue.say(closed.words, "en") == "充电棚A路: Charging overload is over (lasted 4 min)"

"""The pure overnight and fire-lane rules (hub.rules.overnight): tables and invariants."""

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.overnight.rules import (Create, Existing, KeyState, Mark, Transition, apply, fire_deadlines, fire_stays, fold, next_fire_due, parked_at, reconcile, reminder_due)

T0 = datetime(2026, 3, 9, 14, 0, tzinfo=timezone.utc)  # 22:00 in Shanghai
D = datetime(2026, 3, 10, 0, 0, tzinfo=timezone.utc)  # 08:00 next morning
MS = timedelta(milliseconds=1)


def m(at, op, zone="east-strip", kind="night", source="eid:car-1", order=None):
    return Mark(at, order or f"e{at.timestamp()}{op}{zone}{source}", op, zone, kind, source)


def present(at, **kw):
    return m(at, "present", **kw)


def absent(at, **kw):
    return m(at, "absent", **kw)


def out(at):
    return m(at, "out", zone="", kind="", source="out-1")


@pytest.mark.parametrize("marks,parked", [
    ([], False),
    ([present(T0)], True),
    ([present(T0), out(D - MS)], False),             # left at 07:59:59.999: in time
    ([present(T0), out(D)], True),                   # left at 08:00:00.000: too late
    ([present(T0), absent(D - MS)], False),
    ([present(T0), absent(D)], True),
    ([present(T0), absent(D - 10 * MS), present(D - 5 * MS)], True),          # flicker before the deadline
    ([present(T0), absent(D - 2 * MS), present(D + 2 * MS)], False),          # gone across the deadline
    ([present(T0), m(T0, "present", zone="west-strip"), absent(D - MS)], True),  # still in another night zone
    ([present(T0), out(T0 + timedelta(hours=1)), m(T0 + timedelta(hours=2), "in", zone="", kind="", source="in-1"),
      present(T0 + timedelta(hours=2, minutes=5))], True),                    # re-entry during the night
    ([m(T0, "register", zone="", kind="", source="warden")], True),
    ([m(T0, "register", zone="", kind="", source="warden"), m(D - MS, "clear", zone="", kind="", source="warden")], False),
    ([present(T0, zone="fire-lane", kind="never")], False),                   # a fire lane is not a night zone
    ([present(T0, zone="gate-lane", kind="")], False),                        # nor is an unconfigured zone
])
def test_parked_at_the_deadline(marks, parked):
    assert parked_at(marks, D) is parked


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.sampled_from(["present", "absent", "out", "in", "register", "clear"]),
                          st.sampled_from(["east-strip", "west-strip"])), max_size=12), st.randoms())
def test_the_fold_does_not_depend_on_order_or_repeats(steps, rnd):
    marks = [m(T0 + timedelta(minutes=t), op, zone=z, order=f"id{i}") for i, (t, op, z) in enumerate(steps)]
    shuffled = marks + marks[: len(marks) // 2]
    rnd.shuffle(shuffled)
    assert fold(shuffled) == fold(marks)
    state = KeyState()
    for mark in sorted(marks):
        state = apply(state, mark)
    assert state == fold(marks)


def test_night_since_is_when_the_stay_began():
    state = fold([present(T0), m(T0 + timedelta(hours=1), "present", zone="west-strip"), absent(T0 + timedelta(hours=2))])
    assert state.parked and state.night_since == T0


GRACE = {"fire-lane": timedelta(minutes=10)}
F0 = datetime(2026, 3, 10, 7, 0, tzinfo=timezone.utc)  # 15:00 in Shanghai


def fire(at, op="present", source="eid:car-1"):
    return m(at, op, zone="fire-lane", kind="never", source=source)


@pytest.mark.parametrize("marks,now,expected", [
    ([fire(F0)], F0 + timedelta(minutes=9), set()),                                    # grace not over yet
    ([fire(F0)], F0 + timedelta(minutes=10), {("fire-lane", F0 + timedelta(minutes=10))}),
    ([fire(F0), fire(F0 + timedelta(minutes=9), "absent")], F0 + timedelta(hours=1), set()),
    ([fire(F0), fire(F0 + timedelta(minutes=10), "absent")], F0 + timedelta(hours=1),
     {("fire-lane", F0 + timedelta(minutes=10))}),
    ([fire(F0), out(F0 + timedelta(minutes=5))], F0 + timedelta(hours=1), set()),      # drove out of the gate
    ([fire(F0), fire(F0 + timedelta(minutes=5), "absent"), fire(F0 + timedelta(minutes=6))],
     F0 + timedelta(hours=1), {("fire-lane", F0 + timedelta(minutes=16))}),            # a second stay, its own grace
    ([fire(F0), fire(F0, source="slot:2")], F0 + timedelta(hours=1), {("fire-lane", F0 + timedelta(minutes=10))}),
])
def test_fire_lane_deadlines(marks, now, expected):
    assert fire_deadlines(marks, GRACE, now) == expected


def test_fire_stays_and_next_due():
    marks = [fire(F0), fire(F0 + timedelta(minutes=3), "absent"), fire(F0 + timedelta(minutes=4))]
    stays = fire_stays(marks)
    assert [(s.start, s.end) for s in stays] == [(F0, F0 + timedelta(minutes=3)), (F0 + timedelta(minutes=4), None)]
    assert next_fire_due(fold(marks), GRACE, F0) == F0 + timedelta(minutes=14)
    assert next_fire_due(fold(marks), GRACE, F0 + timedelta(minutes=14)) is None


def ex(state="open", provisional=False, deadline=D, rule="overnight"):
    return Existing("v1", rule, deadline, state, provisional)


C = ("overnight", D)


@pytest.mark.parametrize("existing,want,provisional,expected", [
    ([], True, False, [Create("overnight", D, False, "east-strip")]),
    ([], True, True, [Create("overnight", D, True, "east-strip")]),
    ([], False, False, []),
    ([ex()], True, False, []),                                             # already there: nothing twice
    ([ex()], False, False, [Transition("v1", "retracted", False, "")]),    # late events: it left in time
    ([ex(provisional=True)], True, False, [Transition("v1", "open", False, "")]),  # confirmed
    ([ex(provisional=True)], True, True, []),                              # still provisional: wait
    ([ex("retracted")], True, False, [Transition("v1", "open", False, "")]),     # reopened
    ([ex("retracted")], False, False, []),
    ([ex("resolved")], True, False, []),                                   # the warden's decision stands
    ([ex("excused")], False, False, [Transition("v1", "retracted", False, "")]),  # ...unless it left in time
    # a retraction is not announced again when confirmed (the area clears its flag silently)
    ([ex("retracted", provisional=True)], False, False, []),
])
def test_reconcile(existing, want, provisional, expected):
    actions = reconcile(existing, {C: "east-strip"} if want else {}, [C], provisional=provisional)
    strip = [Transition(a.violation_id, a.state, a.provisional, "") if isinstance(a, Transition) else a for a in actions]
    assert strip == expected


def test_reconcile_leaves_what_is_out_of_scope_alone():
    other = ("overnight", D - timedelta(days=1))
    assert reconcile([ex(deadline=other[1])], {}, [C], provisional=False) == []


@pytest.mark.parametrize("now,sent,due", [
    (D - timedelta(minutes=31), False, False),
    (D - timedelta(minutes=30), False, True),
    (D - MS, False, True),
    (D, False, False),                # never after the deadline
    (D - timedelta(minutes=10), True, False),
])
def test_reminder_due(now, sent, due):
    assert reminder_due(now, D, timedelta(minutes=30), sent) is due


def test_a_fire_stay_that_ended_before_the_site_clock_got_there_is_still_due():
    """Found by `gatewarden simulate --outages`: a lagging lane device delivered a 25-minute fire-lane
    stay (in and out) while the site clock was still inside the grace; the recheck then cleared the
    key's due time because no stay was open, and the fire-lane violation was never raised."""
    from hub.overnight.rules import fire_due_after

    marks = [fire(F0), fire(F0 + timedelta(minutes=25), "absent")]
    assert next_fire_due(fold(marks), GRACE, F0 + timedelta(minutes=2)) is None  # open stays only
    assert fire_due_after(marks, GRACE, F0 + timedelta(minutes=2)) == F0 + timedelta(minutes=10)
    assert fire_due_after(marks, GRACE, F0 + timedelta(minutes=10)) is None
    short = [fire(F0), fire(F0 + timedelta(minutes=4), "absent")]
    assert fire_due_after(short, GRACE, F0) is None  # left within its grace: nothing due

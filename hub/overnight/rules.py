"""The overnight rule and the fire-lane rule, as pure functions (docs/contract.md §2, §2a).

Everything the hub knows about one vehicle is a list of :class:`Mark` — a presence in a watched
zone, a gate passage, a warden's registration or clearance — each with the event time it happened
(``ts``) and a tie-breaker (``order``, the event id).  The vehicle's situation at any instant is
the fold of its marks *sorted by (ts, order)* up to that instant, so it does not depend on the
order or the number of times the marks arrived: that is what makes late and repeated delivery
harmless and lets a recorded night be replayed at any speed.

* A vehicle is **parked off-space overnight** (夜间临时停放) while its ``night`` set is not empty:
  its tag (or an untagged car's camera spot) is present in a ``night`` zone, or a warden
  registered it.  Driving out through a gate, leaving every night zone, or a warden's clearance
  empties it.
* At a deadline D it is in violation when it is parked according to the marks with ``ts < D``
  ("leave before 08:00" means strictly before).  One violation per vehicle and deadline.
* A stay in a ``never`` zone (消防通道) that lasts until ``start + grace`` is a fire-lane violation
  whose deadline is ``start + grace``, at any hour.

:func:`reconcile` compares what should exist with what does and returns the actions (create,
retract, reopen, confirm); the hub's glue carries them out.  No I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Iterable, Literal, Mapping

Op = Literal["present", "absent", "in", "out", "register", "clear"]
Rule = Literal["overnight", "fire_lane"]
State = Literal["open", "resolved", "retracted", "excused"]
WARDEN = "warden"


@dataclass(frozen=True, order=True)
class Mark:
    """One thing that happened to a vehicle, at event time ``ts`` (aware UTC)."""

    ts: datetime
    order: str
    op: Op = field(compare=False)
    zone: str = field(default="", compare=False)
    zone_kind: str = field(default="", compare=False)
    source: str = field(default="", compare=False)


@dataclass(frozen=True)
class FireStay:
    """One uninterrupted stay in a fire lane (``end`` None while it lasts)."""

    zone: str
    start: datetime
    end: datetime | None = None


@dataclass(frozen=True)
class KeyState:
    """A vehicle's situation after some marks: where it is present and since when."""

    night: frozenset[str] = frozenset()
    night_since: datetime | None = None
    never: tuple[tuple[str, datetime, frozenset[str]], ...] = ()
    last: tuple[datetime, str] | None = None

    @property
    def parked(self) -> bool:
        return bool(self.night)

    def fire_open(self) -> dict[str, datetime]:
        return {zone: since for zone, since, _ in self.never}


def apply(state: KeyState, mark: Mark) -> KeyState:
    """The state after ``mark`` (marks must be applied in (ts, order) order)."""
    state = replace(state, last=(mark.ts, mark.order))
    if mark.op in ("out", "clear"):
        return replace(state, night=frozenset(), night_since=None, never=())
    if mark.op == "register":
        return _night(state, state.night | {WARDEN}, mark.ts)
    if mark.op not in ("present", "absent"):
        return state
    if mark.zone_kind == "night":
        item = f"{mark.zone}|{mark.source}"
        night = state.night | {item} if mark.op == "present" else state.night - {item}
        return _night(state, night, mark.ts)
    if mark.zone_kind == "never":
        return replace(state, never=_never(state.never, mark))
    return state


def _night(state: KeyState, night: frozenset[str], ts: datetime) -> KeyState:
    since = state.night_since if state.night and night else (ts if night else None)
    return replace(state, night=frozenset(night), night_since=since)


def _never(stays: tuple, mark: Mark) -> tuple:
    current = {zone: (since, sources) for zone, since, sources in stays}
    since, sources = current.get(mark.zone, (mark.ts, frozenset()))
    sources = sources | {mark.source} if mark.op == "present" else sources - {mark.source}
    if sources:
        current[mark.zone] = (since, sources)
    else:
        current.pop(mark.zone, None)
    return tuple(sorted((z, s, src) for z, (s, src) in current.items()))


def fold(marks: Iterable[Mark], state: KeyState | None = None) -> KeyState:
    """The state after every mark, whatever order they are given in."""
    state = state or KeyState()
    for mark in sorted(set(marks)):
        state = apply(state, mark)
    return state


def parked_at(marks: Iterable[Mark], deadline: datetime) -> bool:
    """Whether the vehicle is still parked off-space at ``deadline`` (marks with ts < deadline)."""
    return fold(m for m in marks if m.ts < deadline).parked


def fire_stays(marks: Iterable[Mark]) -> list[FireStay]:
    """Every stay in a fire lane, oldest first."""
    state, stays = KeyState(), []
    for mark in sorted(set(marks)):
        before = state.fire_open()
        state = apply(state, mark)
        after = state.fire_open()
        for zone, since in before.items():
            if after.get(zone) != since:
                stays.append(FireStay(zone, since, mark.ts))
    stays.extend(FireStay(zone, since) for zone, since in state.fire_open().items())
    return sorted(stays, key=lambda s: (s.start, s.zone))


def fire_deadlines(marks: Iterable[Mark], grace: Mapping[str, timedelta], now: datetime) -> set[tuple[str, datetime]]:
    """(zone, start + grace) of every fire-lane stay that was still there at start + grace <= now."""
    due = set()
    for stay in fire_stays(marks):
        limit = stay.start + grace.get(stay.zone, timedelta(0))
        if limit <= now and (stay.end is None or stay.end >= limit):
            due.add((stay.zone, limit))
    return due


def next_fire_due(state: KeyState, grace: Mapping[str, timedelta], now: datetime) -> datetime | None:
    """When the earliest fire-lane stay still open runs out of grace, if after ``now``."""
    limits = [since + grace.get(zone, timedelta(0)) for zone, since in state.fire_open().items()]
    later = [limit for limit in limits if limit > now]
    return min(later) if later else None


def fire_due_after(marks: Iterable[Mark], grace: Mapping[str, timedelta], now: datetime) -> datetime | None:
    """When the next fire-lane stay that outlasts its grace runs out of it, if after ``now``.

    Unlike :func:`next_fire_due` this also counts stays that have already ended: their marks can
    all arrive while the site clock is still before ``start + grace`` (a lane device catching up
    after an outage), and the violation is due only when the clock gets there.
    """
    later = []
    for stay in fire_stays(marks):
        limit = stay.start + grace.get(stay.zone, timedelta(0))
        if limit > now and (stay.end is None or stay.end >= limit):
            later.append(limit)
    return min(later) if later else None


@dataclass(frozen=True)
class Existing:
    """A violation already recorded for the vehicle."""

    id: str
    rule: Rule
    deadline: datetime
    state: State
    provisional: bool
    zone: str = ""


@dataclass(frozen=True)
class Create:
    """Record a new violation (state ``open``)."""

    rule: Rule
    deadline: datetime
    provisional: bool
    zone: str = ""


@dataclass(frozen=True)
class Transition:
    """Move an existing violation to ``state`` (the same state with provisional False: confirmed)."""

    violation_id: str
    state: State
    provisional: bool
    reason: str


Action = Create | Transition
Candidate = tuple[str, datetime]  # (rule, deadline)


def reconcile(existing: Iterable[Existing], desired: Mapping[Candidate, str], scope: Iterable[Candidate],
              *, provisional: bool) -> list[Action]:
    """What to do so that, within ``scope``, the violations are exactly ``desired`` (→ zone).

    A retracted violation that is wanted again reopens; one a warden resolved or excused keeps
    the warden's state while wanted and is retracted when the events show the vehicle left in
    time.  A decision made with every device online confirms a provisional one.
    """
    by_key = {(e.rule, e.deadline): e for e in existing}
    actions: list[Action] = []
    for cand in sorted(set(scope), key=lambda c: (c[1], c[0])):
        want, ex = cand in desired, by_key.get(cand)
        if ex is None:
            if want:
                actions.append(Create(cand[0], cand[1], provisional, desired[cand]))  # type: ignore[arg-type]
            continue
        if want and ex.state == "retracted":
            actions.append(Transition(ex.id, "open", provisional, "迟到的记录表明车辆截止时仍在（late events show the vehicle was still there）"))
        elif not want and ex.state != "retracted":
            actions.append(Transition(ex.id, "retracted", provisional, "迟到的记录表明车辆已按时离开（late events show the vehicle left in time）"))
        elif ex.provisional and not provisional and ex.state != "retracted":
            actions.append(Transition(ex.id, ex.state, False, "各道闸与车道设备均已上报，确认（confirmed: every gate and lane device reported）"))
    return actions


def reminder_due(now: datetime, deadline: datetime, before: timedelta, already_sent: bool) -> bool:
    """Whether the reminder for ``deadline`` should go out now (never after the deadline)."""
    return not already_sent and deadline - before <= now < deadline


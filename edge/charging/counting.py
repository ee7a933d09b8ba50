"""Counting e-bike chargers (充电器计数) on one circuit from its total power, at ≥ 1 Hz (pure).

Hart's steady-state method adapted to chargers, which taper and so have no clean OFF edge:

* a median filter (default 3 samples) removes plug-in inrush and single bad readings;
* a **step** is a change of at least ``step_w`` (40 W) from the steady level that then holds
  steady (within ``stable_band_w``) for ``stable_samples`` (3) samples;
* an ON step opens a **session** (one charger, whatever its size: two plug-ins less than a
  couple of seconds apart merge into one — the known limit of the method);
* an OFF step closes the session(s) whose present power best matches the drop; a drop that
  matches none is a charger changing stage (lead-acid CC → CV) and stays as taper;
* slow decline (taper) is a **deficit**: the expected power (background + every session's
  step) minus the steady level.  The deficit is laid on the oldest sessions first — the
  charger plugged in first is the one most likely to be finishing — and a session whose
  remaining power falls below ``active_w`` (15 W: float, trickle, full) has ended: its residue
  joins the background;
* the level falling to within ``active_w`` of the baseline ends every session (a reset).

The estimated number of active chargers is the number of open sessions, never more than the
level allows (each draws at least ``active_w``).  :func:`observe` is a pure function of
``(state, sample)``; :func:`should_emit` decides when a charging event goes out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from itertools import combinations


@dataclass(frozen=True)
class CountingParams:
    """Thresholds of the counter (see docs/charging.md for their basis)."""

    median_window: int = 3
    step_w: float = 40.0
    stable_samples: int = 3
    stable_band_w: float = 15.0
    stable_band_pct: float = 0.02
    active_w: float = 15.0
    baseline_w: float = 0.0
    typical_charger_w: float = 110.0
    unplug_tolerance_w: float = 20.0
    unplug_tolerance_pct: float = 0.15
    level_smoothing: float = 0.2
    attribution_s: float = 30.0
    taper_tau_s: float = 1000.0
    full_w: float = 8.0


@dataclass(frozen=True)
class Session:
    """One charger believed plugged in and drawing: when its ON step was seen, its size, and
    how much of it has tapered away since (its stage changes and its share of the deficit)."""

    start: float
    step_w: float
    taken_w: float = 0.0

    @property
    def power_w(self) -> float:
        return self.step_w - self.taken_w


@dataclass(frozen=True)
class CounterState:
    """Everything the counter remembers about one circuit."""

    recent: tuple[float, ...] = ()
    level: float | None = None
    background_w: float = 0.0
    sessions: tuple[Session, ...] = ()
    candidate: tuple[float, ...] = ()
    steps_on: int = 0
    steps_off: int = 0
    resets: int = 0
    attributed_at: float | None = None


@dataclass(frozen=True)
class Count:
    """The counter's output for one sample."""

    ts: float
    power_w: float
    loads: int
    level_w: float
    step_w: float = 0.0
    oldest_start: float | None = None


def initial_state(params: CountingParams) -> CounterState:
    return CounterState(background_w=params.baseline_w)


def median(values: tuple[float, ...]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def observe(state: CounterState, ts: float, power_w: float,
            params: CountingParams) -> tuple[CounterState, Count]:
    """Take one sample (``ts`` in seconds, any epoch) and return the new state and the count."""
    recent = (state.recent + (max(0.0, power_w),))[-params.median_window:]
    filtered = median(recent)
    state = replace(state, recent=recent)
    step = 0.0
    if state.level is None:
        state = _start(state, filtered, ts, params)
    elif abs(filtered - state.level) >= params.step_w:
        state, step = _candidate(state, filtered, ts, params)
    else:
        level = state.level + params.level_smoothing * (filtered - state.level)
        state = replace(state, level=level, candidate=())
    state = _settle(state, ts, params)
    return state, _count(state, ts, filtered, step, params)


def _stable(values: tuple[float, ...], params: CountingParams) -> bool:
    mid = median(values)
    band = max(params.stable_band_w, params.stable_band_pct * mid)
    return max(values) - min(values) <= band


def _start(state: CounterState, filtered: float, ts: float,
           params: CountingParams) -> CounterState:
    candidate = (state.candidate + (filtered,))[-params.stable_samples:]
    if len(candidate) < params.stable_samples or not _stable(candidate, params):
        return replace(state, candidate=candidate)
    return replace(state, level=median(candidate), candidate=())


def _candidate(state: CounterState, filtered: float, ts: float,
               params: CountingParams) -> tuple[CounterState, float]:
    candidate = (state.candidate + (filtered,))[-params.stable_samples:]
    if len(candidate) < params.stable_samples or not _stable(candidate, params):
        return replace(state, candidate=candidate), 0.0
    new_level = median(candidate)
    delta = new_level - state.level
    if delta > 0:
        state = replace(attribute(state, ts, params), level=new_level, candidate=())
        sessions = state.sessions + (Session(ts, delta),)
        return replace(state, sessions=sessions, steps_on=state.steps_on + 1), delta
    state = replace(state, level=new_level, candidate=())
    return _drop(state, -delta, ts, params), delta


def remaining(state: CounterState) -> list[float]:
    """Each session's present power, as last attributed."""
    return [s.power_w for s in state.sessions]


def free_deficit(state: CounterState) -> float:
    """Power lost (taper) that no session carries yet: expected power minus the level."""
    expected = state.background_w + sum(s.power_w for s in state.sessions)
    return expected - state.level


def attribute(state: CounterState, ts: float, params: CountingParams) -> CounterState:
    """Lay the free deficit on the sessions that can plausibly have tapered that much.

    A taper declines at most ``(power − full) / tau`` per second: the deficit goes first to
    sessions already tapering, oldest first, each up to that rate; what is left starts the
    taper of the oldest sessions still at full power, and only a remainder beyond every
    session's rate is forced onto the oldest.  Power that came back is returned to the
    sessions that tapered most recently.
    """
    elapsed = ts - (state.attributed_at if state.attributed_at is not None else ts)
    state = replace(state, attributed_at=ts)
    deficit = free_deficit(state)
    if not state.sessions or deficit == 0:
        return state
    if deficit < 0:
        return replace(state, sessions=_give_back(state.sessions, -deficit))
    order = sorted(range(len(state.sessions)), key=lambda i: (state.sessions[i].taken_w == 0, i))
    taken = [s.taken_w for s in state.sessions]
    for capped in (True, False):
        for i in order:
            session = state.sessions[i]
            room = session.step_w - taken[i]
            if capped:
                room = min(room, max(0.0, room - params.full_w) / params.taper_tau_s * elapsed)
            share = min(deficit, max(0.0, room))
            taken[i] += share
            deficit -= share
    sessions = tuple(replace(s, taken_w=t) for s, t in zip(state.sessions, taken))
    return replace(state, sessions=sessions)


def _give_back(sessions: tuple[Session, ...], surplus: float) -> tuple[Session, ...]:
    result = list(sessions)
    for i in reversed(range(len(result))):
        back = min(surplus, result[i].taken_w)
        result[i] = replace(result[i], taken_w=result[i].taken_w - back)
        surplus -= back
    return tuple(result)


def _drop(state: CounterState, drop: float, ts: float, params: CountingParams) -> CounterState:
    state = replace(state, steps_off=state.steps_off + 1)
    if state.level < params.baseline_w + params.active_w:
        return replace(state, sessions=(), background_w=max(0.0, state.level),
                       resets=state.resets + 1)
    level = state.level
    state = replace(attribute(replace(state, level=level + drop), ts, params), level=level)
    before = remaining(state)
    gone = _best_match(before, drop, params)
    if gone:
        return replace(state, sessions=tuple(s for i, s in enumerate(state.sessions) if i not in gone))
    return replace(state, sessions=_stage_change(state.sessions, before, drop, params))


def _stage_change(sessions: tuple[Session, ...], powers: list[float], drop: float,
                  params: CountingParams) -> tuple[Session, ...]:
    """Lay a partial drop on the charger most likely to have changed stage (CC → CV ≈ −45 %)."""
    fits = [i for i, s in enumerate(sessions)
            if s.taken_w < 0.1 * s.step_w and 0.25 * s.step_w <= drop <= 0.7 * s.step_w]
    if not fits:
        fits = [i for i, p in enumerate(powers) if p - drop >= params.active_w]
    if not fits:
        return sessions
    best = min(fits, key=lambda i: abs(drop / sessions[i].step_w - 0.45))
    chosen = sessions[best]
    return sessions[:best] + (replace(chosen, taken_w=chosen.taken_w + drop),) + sessions[best + 1:]


def _best_match(powers: list[float], drop: float, params: CountingParams) -> tuple[int, ...]:
    """The fewest sessions whose powers add up to ``drop`` within tolerance, or ()."""
    tolerance = max(params.unplug_tolerance_w, params.unplug_tolerance_pct * drop)
    live = [i for i, p in enumerate(powers) if p >= params.active_w]
    for size in range(1, min(3, len(live)) + 1):
        best = min(combinations(live, size), key=lambda c: abs(sum(powers[i] for i in c) - drop))
        if abs(sum(powers[i] for i in best) - drop) <= tolerance:
            return best
    return ()


def _settle(state: CounterState, ts: float, params: CountingParams) -> CounterState:
    """Attribute the taper now and then; close sessions that have tapered out."""
    if state.level is None or state.candidate:
        return state
    if state.level < params.baseline_w + params.active_w and state.sessions:
        return replace(state, sessions=(), background_w=max(0.0, state.level),
                       resets=state.resets + 1)
    if state.attributed_at is None or ts - state.attributed_at >= params.attribution_s:
        state = attribute(state, ts, params)
        surplus = -free_deficit(state)
        if surplus >= params.step_w:
            state = _adopt(state, surplus, ts, params)
        elif surplus > 0:
            state = replace(state, background_w=state.background_w + surplus)
    if all(s.power_w >= params.active_w for s in state.sessions):
        return state
    kept = tuple(s for s in state.sessions if s.power_w >= params.active_w)
    residue = sum(max(0.0, s.power_w) for s in state.sessions if s.power_w < params.active_w)
    return replace(state, sessions=kept, background_w=state.background_w + residue)


def _adopt(state: CounterState, surplus: float, ts: float, params: CountingParams) -> CounterState:
    """Power nobody accounts for — the counter started while chargers were on, or a charger
    ramped up too slowly to make a step — becomes new sessions (split by typical size at start)."""
    n = 1 if state.sessions else max(1, round(surplus / params.typical_charger_w))
    sessions = state.sessions + tuple(Session(ts, surplus / n) for _ in range(n))
    return replace(state, sessions=sessions, steps_on=state.steps_on + 1)


def _count(state: CounterState, ts: float, filtered: float, step: float,
           params: CountingParams) -> Count:
    level = state.level if state.level is not None else filtered
    cap = max(0, math.floor((level - params.baseline_w) / params.active_w))
    loads = min(len(state.sessions), cap)
    oldest = state.sessions[0].start if state.sessions else None
    return Count(ts, filtered, loads, level, step, oldest)


@dataclass(frozen=True)
class EmitPolicy:
    """When a charging event goes out: on change, and at least every ``max_interval_s``."""

    max_interval_s: float = 60.0
    power_delta_w: float = 20.0
    current_delta_a: float = 0.1


@dataclass(frozen=True)
class Emitted:
    """What the last charging event of a circuit said, and when."""

    ts: float
    power_w: float
    current_a: float
    loads: int


def should_emit(last: Emitted | None, now: Emitted, policy: EmitPolicy) -> bool:
    """True when the loads changed, power or current moved enough, or the heartbeat is due."""
    if last is None or now.loads != last.loads:
        return True
    if now.ts - last.ts >= policy.max_interval_s or now.ts < last.ts:
        return True
    return (abs(now.power_w - last.power_w) >= policy.power_delta_w
            or abs(now.current_a - last.current_a) >= policy.current_delta_a)

"""Counting e-bike chargers (充电器计数) on one circuit from its total power, at ≥ 1 Hz (pure).

Two layers:

* **steps** (Hart's steady-state method): a median filter (default 3 samples) removes plug-in
  inrush and single bad readings; a step is a change of at least ``step_w`` (40 W) from the
  steady level that then holds steady (within ``stable_band_w``) for ``stable_samples`` (3)
  samples.  Between steps the level follows the power slowly (``level_smoothing``).
* **chargers** (:mod:`edge.charging.particles`): chargers taper, so they have no clean OFF edge,
  and which of several is finishing is hidden in the shape of the total.  A bank of guesses
  (particles) follows every charger seen plugged in: an ON step adds one, an OFF step is
  explained by each guess (an unplug or a lead-acid CC → CV drop), and every ``update_s`` the
  guesses are weighed against the level.  The count is what most of the weight agrees on.
  ``banks`` (3) such banks run side by side, each with its own random draws, and the count is
  their median: one bank that drew a wrong story for a charger unlike its priors is outvoted.

Power that no guess explains for ``adopt_after_s`` (the counter started while chargers were on,
or a charger ramped up too slowly to make a step) becomes new chargers; the level falling to
within ``active_w`` of the baseline ends every charger (a reset).  The count is never more than
the level allows (each charger counted draws at least ``active_w``).  :func:`observe` is a pure
function of ``(state, sample)``; :func:`should_emit` decides when a charging event goes out.
Accuracy over 400 simulated evenings is in docs/performance.md (bench/charging_count.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Callable

from . import particles


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
    level_smoothing: float = 0.2
    adopt_after_s: float = 60.0
    priors: particles.Priors = field(default_factory=particles.Priors)
    banks: int = 3  # independent banks of guesses (their own random draws); the count is their median

    def __post_init__(self) -> None:
        if self.banks < 1 or self.banks % 2 == 0:
            raise ValueError(f"banks must be an odd number ≥ 1 (a median of them), not {self.banks}")

    @cached_property
    def bank_priors(self) -> tuple[particles.Priors, ...]:
        """Each bank's priors: the same, with its own seed (bank 0 keeps the configured one)."""
        return tuple(self.priors if k == 0 else replace(self.priors, seed=self.priors.seed + 7919 * k)
                     for k in range(self.banks))


@dataclass(frozen=True)
class CounterState:
    """Everything the counter remembers about one circuit (start from :func:`initial_state`)."""

    recent: tuple[float, ...] = ()
    level: float | None = None
    background_w: float = 0.0
    banks: tuple[particles.Bank, ...] = field(default_factory=lambda: (particles.empty(particles.Priors()),))
    loads: int = 0
    candidate: tuple[float, ...] = ()
    unexplained_since: float | None = None
    steps_on: int = 0
    steps_off: int = 0
    resets: int = 0

    @property
    def bank(self) -> particles.Bank:
        """The first bank (its guesses are the ones with the configured seed)."""
        return self.banks[0]


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
    return CounterState(background_w=params.baseline_w,
                        banks=tuple(particles.empty(priors) for priors in params.bank_priors))


def _each(state: CounterState, params: CountingParams,
          act: Callable[[particles.Bank, particles.Priors], particles.Bank]) -> tuple[particles.Bank, ...]:
    """``act(bank, its priors)`` on every bank of the vote."""
    return tuple(act(bank, priors) for bank, priors in zip(state.banks, params.bank_priors))


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
        state = _steady(replace(state, level=level, candidate=()), ts, params)
    return state, _count(state, ts, filtered, step, params)


def _stable(values: tuple[float, ...], params: CountingParams) -> bool:
    mid = median(values)
    band = max(params.stable_band_w, params.stable_band_pct * mid)
    return max(values) - min(values) <= band


def _start(state: CounterState, filtered: float, ts: float, params: CountingParams) -> CounterState:
    """The first steady level: chargers already drawing are split by the typical size."""
    candidate = (state.candidate + (filtered,))[-params.stable_samples:]
    if len(candidate) < params.stable_samples or not _stable(candidate, params):
        return replace(state, candidate=candidate)
    state = replace(state, level=median(candidate), candidate=())
    found = state.level - state.background_w
    if found >= params.active_w:
        state = _adopt(state, found, ts, params, split=True)
    return _reweigh(state, ts, params)


def _candidate(state: CounterState, filtered: float, ts: float,
               params: CountingParams) -> tuple[CounterState, float]:
    candidate = (state.candidate + (filtered,))[-params.stable_samples:]
    if len(candidate) < params.stable_samples or not _stable(candidate, params):
        return replace(state, candidate=candidate), 0.0
    new_level = median(candidate)
    delta = new_level - state.level
    state = replace(state, level=new_level, candidate=())
    if delta > 0:
        state = replace(state, banks=_each(state, params, lambda bank, priors: particles.add_session(
            bank, ts, delta, priors)), steps_on=state.steps_on + 1)
    elif new_level < params.baseline_w + params.active_w:
        state = replace(_reset(state), steps_off=state.steps_off + 1)
    else:
        state = replace(state, banks=_each(state, params, lambda bank, priors: particles.drop(
            bank, ts, -delta, priors)), steps_off=state.steps_off + 1)
    return _reweigh(state, ts, params), delta


def _reset(state: CounterState) -> CounterState:
    """The level fell to the baseline: every charger is unplugged or full."""
    return replace(state, banks=tuple(particles.empty_like(bank) for bank in state.banks),
                   background_w=max(0.0, state.level),
                   resets=state.resets + 1, unexplained_since=None)


def _steady(state: CounterState, ts: float, params: CountingParams) -> CounterState:
    if state.level < params.baseline_w + params.active_w and any(bank.sessions for bank in state.banks):
        return _reweigh(_reset(state), ts, params)
    updated = state.bank.updated_at
    if updated is not None and ts - updated < params.priors.update_s:
        return state
    state = _reweigh(state, ts, params)
    surplus = state.level - state.background_w - median(tuple(bank.expected_w for bank in state.banks))
    if surplus < params.step_w:
        return replace(state, unexplained_since=None)
    if state.unexplained_since is None:
        return replace(state, unexplained_since=ts)
    if ts - state.unexplained_since < params.adopt_after_s:
        return state
    return _reweigh(_adopt(state, surplus, ts, params, split=False), ts, params)


def _adopt(state: CounterState, power_w: float, ts: float, params: CountingParams, *,
           split: bool) -> CounterState:
    """Power nobody accounts for becomes chargers (split by the typical size at start-up)."""
    n = max(1, round(power_w / params.typical_charger_w)) if split else 1
    def add(bank: particles.Bank, priors: particles.Priors) -> particles.Bank:
        for _ in range(n):
            bank = particles.add_session(bank, ts, power_w / n, priors)
        return bank

    return replace(state, banks=_each(state, params, add), steps_on=state.steps_on + 1, unexplained_since=None)


def _reweigh(state: CounterState, ts: float, params: CountingParams) -> CounterState:
    banks = _each(state, params, lambda bank, priors: particles.update(
        bank, ts, state.level, state.background_w, priors, active_w=params.active_w))
    return replace(state, banks=banks, loads=int(median(tuple(bank.count for bank in banks))))  # ``banks`` is odd


def _count(state: CounterState, ts: float, filtered: float, step: float,
           params: CountingParams) -> Count:
    if state.level is None:
        return Count(ts, filtered, 0, filtered, step, None)
    cap = max(0, int((state.level - params.baseline_w) // params.active_w))
    return Count(ts, filtered, min(state.loads, cap), state.level, step,
                 _oldest_start(state))


def _oldest_start(state: CounterState) -> float | None:
    """The earliest start any bank still follows (None: no charger)."""
    return min((s for bank in state.banks if (s := particles.oldest_start(bank)) is not None), default=None)


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

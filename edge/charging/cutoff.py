"""When the charging device cuts a circuit (断电) and switches it on again — pure decisions.

:func:`decide` is ``(state, view, now, policy) → (state, actions)`` at every reading;
:func:`result` folds a switch's answer into the state and says which events go out;
:func:`restore` is a warden's order from the hub.  Reasons, strongest first:

* ``overload``: the current of a reading reaches ``alarm_pct`` of the breaker — cut at that
  reading (no filter: the device reads every ``watch_interval`` while a circuit is near), latched
  until a warden restores;
* ``no_charging``: a charger-like load on a stairwell/corridor circuit for ``no_charging_after`` —
  latched until a warden restores;
* ``outside_hours``: a load drawing outside the allowed hours — switched on again when they begin;
* ``full``: a battery trickling (full, still on its charger) for ``cut_when_full_after`` — switched
  on again after ``restore_full_after`` when set, else by a warden.

A warden's restore excuses the circuit from the hours and full rules until its power falls back to
idle (the warden allowed this charge); the safety rules are never excused.  A circuit not marked
``switchable`` is never cut.  Power still drawn after a cut commands the switch again (someone
pressed the plug's button, or the command was lost) every ``retry_after``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, tzinfo
from typing import Any

CUT_CODE = "power_cut"
RELAY_CODE = "relay_fault"
LATCHED = ("overload", "no_charging")
SETTLE_S = 3.0  # a meter may still show the old power this long after the relay opened


@dataclass(frozen=True)
class Policy:
    """One circuit's rules, from its ``[[switches]]`` entry and the counter's parameters."""

    circuit: str
    switchable: bool
    alarm_a: float | None = None
    alarm_text: str = ""
    allowed: tuple[time, time] | None = None
    tz: tzinfo | None = None
    full_after_s: float | None = None
    restore_full_after_s: float | None = None
    trickle_w: tuple[float, float] = (3.0, 15.0)
    no_charging: bool = False
    no_charging_after_s: float = 30.0
    charger_w: tuple[float, float] = (40.0, 450.0)
    baseline_w: float = 0.0
    active_w: float = 15.0
    retry_after_s: float = 5.0


@dataclass(frozen=True)
class View:
    """The circuit at this reading: the counter's power and loads, and the reading's own current
    (unfiltered, so the overload rule acts on the first reading above the alarm level)."""

    power_w: float
    current_a: float
    loads: int


@dataclass(frozen=True)
class CutState:
    """One circuit's cut: ``reason`` while cut (or being cut), None while on."""

    reason: str | None = None
    since: float | None = None      # when the cut was decided (epoch s)
    switched: bool = False          # the switch confirmed the last command
    next_try: float = 0.0           # when to command the switch again
    relay_fault: bool = False       # the relay_fault fault is raised
    full_since: float | None = None
    no_charging_since: float | None = None
    excused: bool = False           # a warden restored: hours and full rules wait for idle
    pending: str | None = None      # "off" or "on": the command being sent
    announced: bool = False         # the power_cut event (active) went out
    why_on: tuple[str, str] | None = None  # reason and detail of a pending switch-on


@dataclass(frozen=True)
class Command:
    """Switch the circuit ``on`` or ``off``; ``detail`` says why, for the event."""

    circuit: str
    on: bool
    reason: str
    detail: str


Event = tuple[str, dict[str, Any]]


def inside(local: time, allowed: tuple[time, time]) -> bool:
    """Is ``local`` within the allowed window (which may wrap midnight)?"""
    start, end = allowed
    return start <= local < end if start < end else local >= start or local < end


def decide(state: CutState, view: View, now: datetime, policy: Policy) -> tuple[CutState, list[Command]]:
    """Track the slow conditions and say whether to cut, command again, or switch on."""
    if not policy.switchable:
        return state, []
    t = now.timestamp()
    state = _track(state, view, t, policy)
    if state.reason is None:
        why = _why(state, view, now, policy)
        if why is None:
            return state, []
        reason, detail = why
        return replace(state, reason=reason, since=t, switched=False, pending="off", why_on=None,
                       next_try=t + policy.retry_after_s), [Command(policy.circuit, False, reason, detail)]
    back = _restore_due(state, now, policy)
    if back is not None:
        return _switch_on(state, policy.circuit, back, t + policy.retry_after_s)
    if t >= state.next_try and _command_again(state, view, t, policy):
        again = replace(state, next_try=t + policy.retry_after_s)
        if state.pending == "on" and state.why_on is not None:
            return again, [Command(policy.circuit, True, *state.why_on)]
        return again, [Command(policy.circuit, False, state.reason or "retry", "command repeated")]
    return state, []


def _switch_on(state: CutState, circuit: str, why: tuple[str, str], next_try: float) -> tuple[CutState, list[Command]]:
    return replace(state, pending="on", switched=False, why_on=why, next_try=next_try), [Command(circuit, True, *why)]


def _track(state: CutState, view: View, t: float, policy: Policy) -> CutState:
    extra = view.power_w - policy.baseline_w
    lo, hi = policy.trickle_w
    trickling = view.loads == 0 and lo <= extra < hi
    full_since = (state.full_since if state.full_since is not None else t) if trickling else None
    per_load = extra / view.loads if view.loads else 0.0
    charger_like = view.loads >= 1 and policy.charger_w[0] <= per_load <= policy.charger_w[1]
    nc_since = (state.no_charging_since if state.no_charging_since is not None else t) if charger_like else None
    excused = state.excused and extra >= lo
    return replace(state, full_since=full_since, no_charging_since=nc_since, excused=excused)


def _why(state: CutState, view: View, now: datetime, policy: Policy) -> tuple[str, str] | None:
    t = now.timestamp()
    if policy.alarm_a is not None and view.current_a >= policy.alarm_a:
        return "overload", f"{view.current_a:.1f} A ≥ {policy.alarm_text or f'{policy.alarm_a:.1f} A'}"
    if policy.no_charging and state.no_charging_since is not None \
            and t - state.no_charging_since >= policy.no_charging_after_s:
        return "no_charging", f"{view.power_w:.0f} W, loads={view.loads}"
    if state.excused:
        return None
    drawing = view.loads >= 1 or view.power_w - policy.baseline_w >= policy.active_w
    if policy.allowed is not None and drawing and not inside(_local(now, policy), policy.allowed):
        start, end = policy.allowed
        return "outside_hours", f"{view.power_w:.0f} W, {start:%H:%M}–{end:%H:%M}"
    if policy.full_after_s is not None and state.full_since is not None \
            and t - state.full_since >= policy.full_after_s:
        minutes = (t - state.full_since) / 60
        return "full", f"{view.power_w:.0f} W, {minutes:.0f} min"
    return None


def _restore_due(state: CutState, now: datetime, policy: Policy) -> tuple[str, str] | None:
    if state.pending == "on" or not state.switched:
        return None  # already switching on, or the cut itself is not confirmed yet
    if state.reason == "outside_hours" and policy.allowed is not None and inside(_local(now, policy), policy.allowed):
        return "hours_began", f"{policy.allowed[0]:%H:%M}"
    if state.reason == "full" and policy.restore_full_after_s is not None and state.since is not None \
            and now.timestamp() - state.since >= policy.restore_full_after_s:
        return "full_restore_after", f"{policy.restore_full_after_s / 60:.0f} min"
    return None


def _command_again(state: CutState, view: View, t: float, policy: Policy) -> bool:
    if not state.switched:
        return True  # the last command failed
    if state.pending == "off" and state.since is not None and t - state.since >= SETTLE_S:
        return view.power_w - policy.baseline_w >= policy.active_w  # still drawing: the relay is on
    return False


def _local(now: datetime, policy: Policy) -> time:
    return (now.astimezone(policy.tz) if policy.tz is not None else now).time()


def result(state: CutState, command: Command, ok: bool, error: str, now: datetime) -> tuple[CutState, list[Event]]:
    """Fold the switch's answer in: the power_cut event on a confirmed change, relay_fault on failure."""
    events: list[Event] = []
    c = command.circuit
    if not ok:
        if not state.relay_fault:
            events.append(_fault(RELAY_CODE, True, c, f"{'on' if command.on else 'off'}: {error}"))
        return replace(state, switched=False, relay_fault=True), events
    if state.relay_fault:
        events.append(_fault(RELAY_CODE, False, c, "the switch answers again"))
    if command.on:
        if state.announced or command.reason == "warden":
            events.append(_fault(CUT_CODE, False, c, f"{command.reason}: {command.detail}"))
        return CutState(excused=command.reason == "warden"), events
    if not state.announced:
        events.append(_fault(CUT_CODE, True, c, f"{command.reason}: {command.detail}"))
    return replace(state, switched=True, relay_fault=False, announced=True), events


def restore(state: CutState, circuit: str, by: str, note: str, now: datetime) -> tuple[CutState, Command]:
    """A warden's restore (from the hub): switch on, whatever the state."""
    detail = f"{by}" + (f": {note}" if note else "")
    state, commands = _switch_on(state, circuit, ("warden", detail), now.timestamp() + 5.0)
    return state, commands[0]


def _fault(code: str, active: bool, circuit: str, text: str) -> Event:
    return "fault", {"code": code, "active": active, "circuit": circuit, "detail": f"{circuit}: {text}"[:1000]}

"""The barrier (道闸) state machine: a pure function of (state, event, now) → (state, actions).

Safety lives in the barrier controller and its own loop/photo-eye (research rule R1); this machine
only asks for short open pulses and, where configured, a close pulse — and it keeps to the rules:

* R2 never close while any presence input is active or unknown; presence during a close → open;
* R3 test the photo-eye before every close the Pi commands; a failed test → ATTENDED;
* R4 close on the vehicle's trailing edge; the ``open_hold`` timer is only a fallback and restarts
  on any detector activity;
* R5 a travel watchdog (1.5 × the expected time) → FAULT; power-up is UNKNOWN and never closes;
* R7 fire mode opens and latches until a person resets it.

ATTENDED (值守) and FAULT open only for a person (booth button or a warden's remote command).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from types import MappingProxyType
from typing import Any, Mapping

from .model import (
    PERSON_REASONS,
    CloseRelayOff,
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

_EMPTY: Mapping[str, Any] = MappingProxyType({})


class Arm(str, Enum):
    """Where the barrier arm is, as far as the Pi knows."""

    UNKNOWN = "unknown"
    CLOSED = "closed"
    OPENING = "opening"
    OPEN = "open"
    CLOSING = "closing"
    FAULT = "fault"
    ATTENDED = "attended"
    EMERGENCY_OPEN = "emergency_open"


@dataclass(frozen=True)
class BarrierState:
    """One lane's barrier as the Pi sees it; never mutated, always replaced."""

    arm: Arm = Arm.UNKNOWN
    since: float = 0.0
    inputs: Mapping[str, bool | None] = field(default_factory=lambda: _EMPTY)
    active_since: Mapping[str, float] = field(default_factory=lambda: _EMPTY)
    close_armed: bool = False      # the Pi opened this cycle, so (Pi close mode) it may close it
    cleared_at: float | None = None  # the vehicle's trailing edge after the open
    activity_at: float = 0.0
    test: str | None = None        # None, "asserted" (waiting for blocked) or "releasing" (waiting for clear)
    test_for: str = ""             # "close" or "retest"
    test_at: float = 0.0
    faults: frozenset[str] = frozenset()
    stuck: frozenset[str] = frozenset()
    last_pulse: float = float("-inf")
    last_retest: float = float("-inf")
    fault_limits: tuple[bool, bool] | None = None  # (open, closed) limit levels when relay_fault was raised
    fault_target: str | None = None  # the limit the arm failed to reach


Result = tuple[BarrierState, tuple[Any, ...]]


def mode_of(state: BarrierState) -> str:
    """``fire``, ``attended`` (only a person may open) or ``auto``."""
    if state.arm is Arm.EMERGENCY_OPEN:
        return "fire"
    return "attended" if state.arm in (Arm.ATTENDED, Arm.FAULT) else "auto"


def occupied(state: BarrierState, rules: LaneRules) -> bool:
    return any(state.inputs.get(role) for role in rules.presence)


def all_clear(state: BarrierState, rules: LaneRules) -> bool:
    """Every presence input read, inactive, and not under suspicion."""
    return all(state.inputs.get(role) is False and role not in state.stuck for role in rules.presence)


def step(state: BarrierState, event: Any, now: float, rules: LaneRules) -> Result:
    """Advance the barrier by one event."""
    if isinstance(event, InputChanged):
        return _on_input(state, event, now, rules)
    if isinstance(event, Tick):
        return _on_tick(state, now, rules)
    if isinstance(event, OpenRequest):
        return _on_open(state, event.reason, now, rules)
    if isinstance(event, FireOn):
        return _fire_on(state, now)
    if isinstance(event, FireReset):
        return _fire_reset(state, now)
    if isinstance(event, Retest) and state.arm is Arm.ATTENDED:
        return _on_tick(replace(state, last_retest=float("-inf")), now, rules)
    if isinstance(event, Retest) and state.arm is Arm.FAULT:
        return _fault_cleared(state, _resting(state), now, "reset key at the gate")
    return state, ()


def _go(state: BarrierState, arm: Arm, now: float, **changes: Any) -> BarrierState:
    # Moving towards a position the arm is already at (its limit reads active, e.g. an open pulse
    # the controller ignored because the arm never left the top): it is there.
    if arm is Arm.OPENING and state.inputs.get("open_limit"):
        arm = Arm.OPEN
    elif arm is Arm.CLOSING and state.inputs.get("closed_limit"):
        arm, changes = Arm.CLOSED, {**changes, "close_armed": False, "cleared_at": None}
    return replace(state, arm=arm, since=now, **changes)


def _limits(state: BarrierState) -> tuple[bool, bool]:
    return bool(state.inputs.get("open_limit")), bool(state.inputs.get("closed_limit"))


def _fault_cleared(state: BarrierState, arm: Arm, now: float, why: str) -> Result:
    state = _go(state, arm, now, faults=state.faults - {"relay_fault"}, fault_limits=None, fault_target=None,
                close_armed=False, cleared_at=None)
    return state, (RaiseFault("relay_fault", False, why),)


def _resting(state: BarrierState) -> Arm:
    if state.inputs.get("closed_limit"):
        return Arm.CLOSED
    return Arm.OPEN if state.inputs.get("open_limit") else Arm.UNKNOWN


# ---- inputs -------------------------------------------------------------------------------

def _on_input(state: BarrierState, event: InputChanged, now: float, rules: LaneRules) -> Result:
    before = state.inputs.get(event.role)
    state = replace(state, inputs=MappingProxyType({**state.inputs, event.role: event.active}))
    if event.role in rules.presence:
        state = _presence_changed(state, event, before, now, rules)
        early = event.at is not None and event.at < state.test_at
        if state.test is not None and event.role == "photo_eye" and not (early and event.active):
            return _test_answer(state, bool(event.active), now, rules)
        if event.active or event.active is None:
            return _presence_appeared(state, now, rules)
        return state, ()
    if event.role in ("open_limit", "closed_limit"):
        return _limit(state, event, bool(before), now)
    return state, ()


def _presence_changed(state: BarrierState, event: InputChanged, before: bool | None,
                      now: float, rules: LaneRules) -> BarrierState:
    since = dict(state.active_since)
    if event.active:
        since.setdefault(event.role, now)
    else:
        since.pop(event.role, None)
    early = event.active and event.at is not None and event.at < state.test_at  # began before the test pulse
    testing_eye = state.test is not None and event.role == "photo_eye" and not early
    # The vehicle's trailing edge (R4): the last presence input (closing loop, safety loop or
    # photo-eye, whichever it crossed last) goes clear.
    trailing = before and event.active is False and not occupied(state, rules)
    return replace(state, active_since=MappingProxyType(since),
                   activity_at=state.activity_at if testing_eye else now,
                   cleared_at=now if trailing and not testing_eye else state.cleared_at)


def _presence_appeared(state: BarrierState, now: float, rules: LaneRules) -> Result:
    """R2: anything in the lane cancels a close and a pending test."""
    actions: list[Any] = []
    if state.test is not None:
        actions.append(EyeTest(False))
        state = replace(state, test=None)
    if state.arm is Arm.CLOSING:
        actions += [CloseRelayOff(), PulseOpen()]
        # Reopened for whatever appeared: once it has cleared, the Pi closes again (after a test).
        state = _go(state, Arm.OPENING, now, last_pulse=now, cleared_at=None, close_armed=rules.close_mode == "pi")
    return state, tuple(actions)


def _limit(state: BarrierState, event: InputChanged, before: bool, now: float) -> Result:
    arm, actions = state.arm, ()
    if arm is Arm.FAULT and event.active:
        target = Arm.OPEN if event.role == "open_limit" else Arm.CLOSED
        return _fault_cleared(state, target, now, f"arm reached the {target.value} position again")
    if arm in (Arm.ATTENDED, Arm.EMERGENCY_OPEN, Arm.FAULT):
        return state, actions
    if event.role == "open_limit" and event.active and arm is not Arm.OPEN:
        return _go(state, Arm.OPEN, now, activity_at=now), actions
    if event.role == "open_limit" and event.active is False and arm is Arm.OPEN:
        return _go(state, Arm.CLOSING, now), actions
    if event.role == "closed_limit" and event.active and arm is not Arm.OPENING:
        return _go(state, Arm.CLOSED, now, close_armed=False, cleared_at=None), actions
    if event.role == "closed_limit" and before and event.active is False and arm is Arm.CLOSED:
        return _go(state, Arm.OPENING, now), actions  # the controller opened by itself (its own button)
    return state, actions


# ---- opening ------------------------------------------------------------------------------

def _on_open(state: BarrierState, reason: str, now: float, rules: LaneRules) -> Result:
    arm = state.arm
    if arm is Arm.EMERGENCY_OPEN:
        return replace(state, last_pulse=now), (PulseOpen(),)
    if arm in (Arm.ATTENDED, Arm.FAULT):
        if reason not in PERSON_REASONS:
            return state, (OpenRefused(reason, arm.value),)
        return replace(state, last_pulse=now, activity_at=now), (PulseOpen(),)
    actions: tuple[Any, ...] = (EyeTest(False),) if state.test is not None else ()
    state = replace(state, test=None, close_armed=True, cleared_at=None, activity_at=now)
    if arm is Arm.OPENING:
        return state, actions
    if arm is Arm.CLOSING:
        actions += (CloseRelayOff(),)
    if arm is Arm.OPEN:
        return replace(state, last_pulse=now), actions + (PulseOpen(),)
    return _go(state, Arm.OPENING, now, last_pulse=now), actions + (PulseOpen(),)


# ---- fire ---------------------------------------------------------------------------------

def _fire_on(state: BarrierState, now: float) -> Result:
    actions: tuple[Any, ...] = (CloseRelayOff(),) + ((EyeTest(False),) if state.test else ()) + (PulseOpen(),)
    if state.arm is Arm.EMERGENCY_OPEN:
        return state, ()
    return _go(state, Arm.EMERGENCY_OPEN, now, test=None, close_armed=False, last_pulse=now), actions


def _fire_reset(state: BarrierState, now: float) -> Result:
    if state.arm is not Arm.EMERGENCY_OPEN:
        return state, ()
    # After a fire the arm is where it is: nothing closes until a new vehicle cycle (like power-up).
    arm = Arm.ATTENDED if state.stuck else _resting(state)
    return _go(state, arm, now, close_armed=False, cleared_at=None, activity_at=now, last_retest=now), ()


# ---- time ---------------------------------------------------------------------------------

def _on_tick(state: BarrierState, now: float, rules: LaneRules) -> Result:
    actions: tuple[Any, ...] = ()
    for check in (_check_stuck, _test_timeout, _travel, _fault_level, _fire_repulse, _pi_close, _retest):
        state, more = check(state, now, rules)
        actions += more
    return state, actions


def _check_stuck(state: BarrierState, now: float, rules: LaneRules) -> Result:
    for role, since in state.active_since.items():
        if role not in state.stuck and now - since >= rules.stuck_after:
            detail = f"{role} of lane {rules.name} active for {now - since:.0f} s"
            return _attended(state, "safety_input_stuck", detail, now, stuck=role)
    return state, ()


def _attended(state: BarrierState, code: str, detail: str, now: float, *, stuck: str) -> Result:
    actions: list[Any] = [RaiseFault(code, True, detail)]
    if state.test is not None:
        actions.append(EyeTest(False))
    arm = Arm.EMERGENCY_OPEN if state.arm is Arm.EMERGENCY_OPEN else Arm.ATTENDED
    if state.arm is Arm.CLOSING:
        actions += [CloseRelayOff(), PulseOpen()]
    state = _go(state, arm, now, test=None, close_armed=False, faults=state.faults | {code},
                stuck=state.stuck | {stuck}, last_retest=now)
    return state, tuple(actions)


def _travel(state: BarrierState, now: float, rules: LaneRules) -> Result:
    if state.arm is Arm.OPENING:
        return _watch(state, now, "open_limit", rules.open_travel, Arm.OPEN, rules)
    if state.arm is Arm.CLOSING:
        return _watch(state, now, "closed_limit", rules.close_travel, Arm.CLOSED, rules)
    if state.arm is Arm.OPEN and rules.close_mode == "controller" and "open_limit" not in rules.wired:
        return _controller_closing(state, now, rules)
    return state, ()


def _watch(state: BarrierState, now: float, limit: str, travel: float, target: Arm, rules: LaneRules) -> Result:
    elapsed = now - state.since
    if limit not in rules.wired:
        if elapsed >= travel:  # no limit switch: assume the arm got there in its travel time
            return _go(state, target, now, **({"close_armed": False} if target is Arm.CLOSED else {})), ()
        return state, ()
    if elapsed > travel * rules.watchdog_factor:
        detail = f"lane {rules.name}: arm did not reach {limit} within {elapsed:.1f} s"
        return _go(state, Arm.FAULT, now, close_armed=False, faults=state.faults | {"relay_fault"},
                   fault_limits=_limits(state), fault_target=limit), (RaiseFault("relay_fault", True, detail),)
    return state, ()


def _fault_level(state: BarrierState, now: float, rules: LaneRules) -> Result:
    """FAULT ends by level, not only on a limit's edge: the arm is at the limit it failed to reach,
    or a limit reads active that did not when the fault was raised (the arm moved)."""
    if state.arm is not Arm.FAULT or state.fault_limits is None:
        return state, ()
    levels = _limits(state)
    reached = state.fault_target is not None and state.inputs.get(state.fault_target)
    moved = any(now_ and not then for now_, then in zip(levels, state.fault_limits))
    if reached or moved:
        arm = _resting(state)
        return _fault_cleared(state, arm, now, f"arm reads {arm.value} (limit switch level)")
    return state, ()


def _controller_closing(state: BarrierState, now: float, rules: LaneRules) -> Result:
    """No open limit: the controller closes by itself after the vehicle cleared; follow it by time."""
    if state.cleared_at is not None and all_clear(state, rules) and now - state.cleared_at >= rules.close_delay:
        return _go(state, Arm.CLOSING, now, cleared_at=None), ()
    return state, ()


def _fire_repulse(state: BarrierState, now: float, rules: LaneRules) -> Result:
    if state.arm is not Arm.EMERGENCY_OPEN or state.inputs.get("open_limit"):
        return state, ()
    if now - state.last_pulse >= rules.fire_repulse:
        return replace(state, last_pulse=now), (PulseOpen(),)
    return state, ()


def _pi_close(state: BarrierState, now: float, rules: LaneRules) -> Result:
    """R3/R4: after the vehicle cleared (or the fallback timer), test the photo-eye, then close."""
    if rules.close_mode != "pi" or state.arm is not Arm.OPEN or not state.close_armed or state.test:
        return state, ()
    if not all_clear(state, rules):
        return state, ()
    trailing = state.cleared_at is not None and now - state.cleared_at >= rules.close_delay
    if trailing or now - state.activity_at >= rules.open_hold:
        return replace(state, test="asserted", test_for="close", test_at=now), (EyeTest(True),)
    return state, ()


def _retest(state: BarrierState, now: float, rules: LaneRules) -> Result:
    if state.arm is not Arm.ATTENDED or now - state.last_retest < rules.retest_every or state.test:
        return state, ()
    state = replace(state, last_retest=now)
    if any(state.inputs.get(role) is not False for role in rules.presence):
        return state, ()
    if rules.has_eye_test:
        return replace(state, test="asserted", test_for="retest", test_at=now), (EyeTest(True),)
    return _recovered(state, now)


def _recovered(state: BarrierState, now: float) -> Result:
    cleared = tuple(RaiseFault(code, False, "sensors tested good again") for code in sorted(state.faults))
    return _go(state, _resting(state), now, faults=frozenset(), stuck=frozenset(), test=None,
               close_armed=False, activity_at=now), cleared


# ---- the photo-eye test (R3) --------------------------------------------------------------

def _test_answer(state: BarrierState, blocked: bool, now: float, rules: LaneRules) -> Result:
    if state.test == "asserted" and blocked:
        return replace(state, test="releasing", test_at=now), (EyeTest(False),)
    if state.test == "releasing" and not blocked:
        if state.test_for == "retest":
            return _recovered(state, now)
        if not all_clear(replace(state, test=None), rules):
            return replace(state, test=None, activity_at=now), ()
        return _go(state, Arm.CLOSING, now, test=None, close_armed=False, last_pulse=now), (PulseClose(),)
    return state, ()


def _test_timeout(state: BarrierState, now: float, rules: LaneRules) -> Result:
    if state.test is None or now - state.test_at <= rules.eye_test_timeout:
        return state, ()
    if state.test == "asserted":
        detail = f"photo-eye of lane {rules.name} did not report blocked when tested"
        return _attended(state, "safety_input_stuck", detail, now, stuck="photo_eye")
    # Still blocked after the test line was released: something is really there. No close now.
    return replace(state, test=None, activity_at=now, cleared_at=None), ()

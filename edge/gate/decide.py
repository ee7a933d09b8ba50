"""The lane decision (车道判定): which vehicle may pass, and what each vehicle's passage says.

Pure: ``step(state, event, now, rules, verdict, mode) -> (state, actions)``; no I/O.

* A vehicle is waiting while the lane's arming loop (or, without one, its photo-eye) is active.
  Only then does a tag count: a resident's car parked beside the gate never opens it.
* The tag is the strongest one heard within ``tag_window`` at or above ``rssi_threshold`` that is
  not cooling down.  If it is allowed the barrier opens at once (``allowlisted``, or ``passback``
  for a second entry without an exit: let in and flagged).  Otherwise the vehicle waits
  ``tag_wait`` for an allowed tag, then is denied (``unknown_tag``/``revoked``/``expired``/
  ``no_tag``) — and still opens if an allowed tag is heard while it waits.
* A tag that opened the lane cools down for ``cooldown``: the car behind cannot enter on the
  tag of the car in front.
* Each vehicle becomes one passage when its cycle ends: ``passed`` when it crossed the photo-eye
  line and left the loop, not passed when it backed away.  A denied vehicle that crosses behind
  another one is recorded as such (decision ``deny``, ``passed`` true: tailgating, R9).
* Modes (from the barrier machine): ``fire`` opens for everyone (``fire_mode``); ``attended`` opens
  only for a person (booth button ``manual``, warden ``remote``); a vehicle with an allowed tag
  that leaves an attended lane unopened is recorded ``deny`` with reason ``allowlisted``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Callable, Mapping

from edge.ble.model import Sighting

from . import plates
from .model import (
    AUTO_REASONS,
    Counted,
    InputChanged,
    LaneRules,
    OpenCommand,
    OpenRequest,
    RecordPassage,
    TakeSnapshot,
    Tick,
)

Verdict = Callable[[str], str]
"""A tag's standing for this lane: allowlisted, passback, unknown_tag, revoked or expired."""
_EMPTY: Mapping[str, Any] = MappingProxyType({})
_TAG_LATER = frozenset({"fire_mode", "manual", "remote"})


def judge(status: str, direction: str, last_direction: str | None) -> str:
    """The reason for a tag from its allowlist status and where it last went (soft anti-passback)."""
    if status != "allowed":
        return status
    return "passback" if direction == "in" and last_direction == "in" else "allowlisted"


@dataclass(frozen=True)
class Vehicle:
    """One vehicle at the lane, from arrival until its passage is recorded."""

    key: int
    arrived: float
    on_loop: bool = True
    reached_eye: bool = False
    tag: str | None = None
    rssi: int | None = None
    verdict: str = "no_tag"
    decision: str | None = None  # "open" once the barrier was opened for it
    reason: str | None = None
    snapped: bool = False
    left_at: float | None = None  # when it left the loop without having reached the photo-eye


@dataclass(frozen=True)
class LaneState:
    """What the lane remembers: the vehicles in order, tags heard, tags cooling down."""

    queue: tuple[Vehicle, ...] = ()
    heard: Mapping[str, tuple[int, float]] = field(default_factory=lambda: _EMPTY)
    cooldown: Mapping[str, float] = field(default_factory=lambda: _EMPTY)
    loop: bool = False
    eye: bool = False
    eye_clear_since: float | None = None
    next_key: int = 1


Result = tuple[LaneState, tuple[Any, ...]]


def strongest(state: LaneState, now: float, rules: LaneRules) -> tuple[str, int] | None:
    """The strongest recent tag at or above the threshold that is not cooling down."""
    best: tuple[str, int] | None = None
    for tag, (rssi, at) in state.heard.items():
        if rssi < rules.rssi_threshold or now - at > rules.tag_window or state.cooldown.get(tag, -1.0) > now:
            continue
        if best is None or rssi > best[1] or (rssi == best[1] and tag < best[0]):  # ties: stable order
            best = (tag, rssi)
    return best


def step(state: LaneState, event: Any, now: float, rules: LaneRules, verdict: Verdict, mode: str) -> Result:
    """Advance the lane by one event; ``mode`` is ``auto``, ``attended`` or ``fire``."""
    actions: tuple[Any, ...] = ()
    if isinstance(event, Sighting):
        state = replace(state, heard=MappingProxyType({**state.heard, event.tag: (event.rssi, event.at)}))
    elif isinstance(event, InputChanged):
        state, actions = _on_input(state, event, now, rules)
    elif isinstance(event, OpenCommand):
        return _person_opens(state, event, now, rules, mode)
    elif isinstance(event, Tick):
        state, actions = _on_tick(state, now, rules)
    state, more = _decide_waiting(state, now, rules, verdict, mode)
    return state, actions + more


# ---- vehicles arriving, crossing, leaving ------------------------------------------------

def _on_input(state: LaneState, event: InputChanged, now: float, rules: LaneRules) -> Result:
    active = bool(event.active)
    if event.role == rules.vehicle_input and event.role == "arming_loop":
        return _loop(state, active, now)
    if event.role == "photo_eye":
        if rules.vehicle_input == "photo_eye":
            return _eye_only(state, active, now)
        return _eye(state, active, now)
    return state, ()


def _loop(state: LaneState, active: bool, now: float) -> Result:
    if active == state.loop:
        return state, ()
    if active:
        return _arrive(replace(state, loop=True), now), ()
    state = replace(state, loop=False)
    on_loop = _find(state, lambda v: v.on_loop)
    if on_loop is None:
        return state, ()
    if on_loop.reached_eye or state.eye:
        return _put(state, replace(on_loop, on_loop=False, reached_eye=True)), ()
    # Gone from the loop but not (yet) at the photo-eye: backed away, unless the eye sees it soon.
    return _put(state, replace(on_loop, on_loop=False, left_at=now)), ()


def _arrive(state: LaneState, now: float, **fields: Any) -> LaneState:
    queue = tuple(replace(v, on_loop=False) if v.on_loop else v for v in state.queue)
    vehicle = Vehicle(key=state.next_key, arrived=now, **fields)
    return replace(state, queue=queue + (vehicle,), next_key=state.next_key + 1)


def _eye(state: LaneState, active: bool, now: float) -> Result:
    if active:
        if state.eye:
            return state, ()
        state = replace(state, eye=True, eye_clear_since=None)
        first = _find(state, lambda v: not v.reached_eye)
        if first is not None:
            return _put(state, replace(first, reached_eye=True)), ()
        if state.loop:  # a second car on the same loop occupancy, right behind the first (R9)
            return _arrive(state, now, reached_eye=True), ()
        return state, (Counted("eye_crossing_without_vehicle", "photo-eye crossed with no vehicle on the loop"),)
    if state.eye and state.eye_clear_since is None:
        state = replace(state, eye_clear_since=now)
    return replace(state, eye=False), ()


def _crossed(state: LaneState, now: float) -> Result:
    """The photo-eye stayed clear long enough: the first vehicle under the arm has crossed."""
    state = replace(state, eye_clear_since=None)
    first = _find(state, lambda v: v.reached_eye)
    if first is None:
        return state, ()
    if first.on_loop and first.decision != "open":  # its nose went into the closed arm's beam, then back
        return _put(state, replace(first, reached_eye=False)), ()
    if first.on_loop:  # it went through, and the loop never cleared: a car right behind it is on the loop
        state, record = _finish(state, first, passed=True)
        return _arrive(state, now), record
    return _finish(state, first, passed=True)


def _eye_only(state: LaneState, active: bool, now: float) -> Result:
    """A lane without an arming loop: the photo-eye is both the detector and the crossing line."""
    if active == state.eye:
        return state, ()
    if active:
        return _arrive(replace(state, eye=True), now), ()
    state = replace(state, eye=False)
    on_loop = _find(state, lambda v: v.on_loop)
    if on_loop is None:
        return state, ()
    return _finish(state, on_loop, passed=on_loop.decision == "open")


def _finish(state: LaneState, vehicle: Vehicle, *, passed: bool) -> Result:
    queue = tuple(v for v in state.queue if v.key != vehicle.key)
    decision = vehicle.decision or "deny"
    reason = vehicle.reason if vehicle.decision else vehicle.verdict
    record = RecordPassage(vehicle.key, vehicle.tag, vehicle.rssi, decision, reason or "no_tag", passed,
                           tailgating=passed and decision == "deny")
    return replace(state, queue=queue), (record,)


# ---- deciding -----------------------------------------------------------------------------

def _decide_waiting(state: LaneState, now: float, rules: LaneRules, verdict: Verdict, mode: str) -> Result:
    waiting = _find(state, lambda v: v.on_loop and v.decision is None)
    if waiting is None:
        return _tag_opened(state, now, rules), ()
    tag, rssi, reason = plates.candidate(state, waiting, now, rules, verdict, strongest)  # plate cameras (issue 20)
    if mode == "fire":
        return _open(state, replace(waiting, tag=tag, rssi=rssi, verdict=reason), "fire_mode", now, rules)
    if mode == "auto" and reason in AUTO_REASONS:
        return _open(state, replace(waiting, tag=tag, rssi=rssi, verdict=reason), reason, now, rules)
    if tag is not None or waiting.tag is None:
        waiting = replace(waiting, tag=tag, rssi=rssi, verdict=reason)
    if not waiting.snapped and now - waiting.arrived >= rules.tag_wait:
        return _put(state, replace(waiting, snapped=True)), (TakeSnapshot(waiting.key),)
    return _put(state, waiting), ()


def _tag_opened(state: LaneState, now: float, rules: LaneRules) -> LaneState:
    """A vehicle let in by fire mode or a person before its tag was heard: note the tag for the record."""
    untagged = _find(state, lambda v: v.on_loop and v.tag is None and v.reason in _TAG_LATER)
    best = strongest(state, now, rules) if untagged is not None else None
    return _put(state, replace(untagged, tag=best[0], rssi=best[1])) if best else state


def _open(state: LaneState, vehicle: Vehicle, reason: str, now: float, rules: LaneRules) -> Result:
    cooldown = dict(state.cooldown)
    if vehicle.tag is not None and reason in AUTO_REASONS:
        cooldown[vehicle.tag] = now + rules.cooldown
    vehicle = replace(vehicle, decision="open", reason=reason, snapped=True)
    actions: tuple[Any, ...] = (OpenRequest(reason),)
    if not _find(state, lambda v: v.key == vehicle.key).snapped:
        actions += (TakeSnapshot(vehicle.key),)
    return replace(_put(state, vehicle), cooldown=MappingProxyType(cooldown)), actions


def _person_opens(state: LaneState, event: OpenCommand, now: float, rules: LaneRules, mode: str) -> Result:
    """Booth button or warden: the undecided vehicle at the lane (or a vehicle not yet seen) goes through."""
    target = _find(state, lambda v: v.decision is None)
    if target is None:
        state = _arrive(state, now, on_loop=False)
        target = state.queue[-1]
    best = strongest(state, now, rules)
    if best is not None and target.tag is None:
        target = replace(target, tag=best[0], rssi=best[1])
    reason = "fire_mode" if mode == "fire" else event.reason
    return _open(state, target, reason, now, rules)


def _on_tick(state: LaneState, now: float, rules: LaneRules) -> Result:
    actions: tuple[Any, ...] = ()
    if state.eye_clear_since is not None and not state.eye and now - state.eye_clear_since >= rules.eye_clear:
        state, actions = _crossed(state, now)
    for v in state.queue:
        if v.on_loop or v.reached_eye:
            continue
        backed_away = v.left_at is not None and now - v.left_at >= rules.loop_gap
        # A vehicle nobody saw (opened by a person with nothing on the loop) that never crossed.
        unseen = v.left_at is None and now - v.arrived >= rules.open_hold
        if backed_away or unseen:
            state, more = _finish(state, v, passed=False)
            actions += more
    heard = {t: h for t, h in state.heard.items() if now - h[1] <= rules.tag_window}
    cooldown = {t: until for t, until in state.cooldown.items() if until > now}
    if len(heard) != len(state.heard) or len(cooldown) != len(state.cooldown):
        state = replace(state, heard=MappingProxyType(heard), cooldown=MappingProxyType(cooldown))
    return state, actions


def _find(state: LaneState, wanted: Callable[[Vehicle], bool]) -> Vehicle | None:
    return next((v for v in state.queue if wanted(v)), None)


def _put(state: LaneState, vehicle: Vehicle) -> LaneState:
    return replace(state, queue=tuple(vehicle if v.key == vehicle.key else v for v in state.queue))

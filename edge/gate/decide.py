"""The lane decision (车道判定): which vehicle may pass, and what each vehicle's passage says.

Pure: ``step(state, event, now, rules, verdict, mode) -> (state, actions)``; no I/O.

* A vehicle is waiting while the lane's arming loop (or, without one, its photo-eye) is active.
  Only then does a tag count: a resident's car parked beside the gate never opens it.
* A tag counts for the vehicle only when it is associated with it (:mod:`edge.gate.associate`):
  heard *at this lane*, *arriving* (first heard shortly before the loop armed, or rising), not
  parked, not consumed by an earlier open.  The strongest such tag decides — at once when it was
  first heard just before the loop armed and is clearly the strongest, else once the car has
  settled (``late_grace``); if it is allowed the barrier opens (``allowlisted``, or ``passback``
  for a second entry without an exit: let in and flagged).  Otherwise the vehicle waits ``tag_wait`` for an allowed tag;
  a tag found only in the ``settle`` after that (heard late, or still rising) opens only when it is
  clearly the car's (``late_margin`` above the threshold, no other tag near as strong); then the
  vehicle is denied (``unknown_tag``/``revoked``/``expired``/``no_tag``).  When an allowed tag is near but cannot be
  told to belong to this vehicle (parked, leaving, consumed, heard as well at another lane, or a
  rival tag of another standing as strong), the gate does not open: the passage says
  ``ambiguous`` and the evidence in its ``evidence`` so the warden can open by hand.
* Every open (tag, booth button, warden, fire) consumes the tags heard at the lane then, and the
  opened vehicle's tag cools down for ``cooldown``: the car behind cannot enter on the tag of the
  car in front, nor a car following a person's open.
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
from .associate import Assessment, Evidence, Track, assess, heard, learned, loop_level, near_now
from .model import (
    AUTO_REASONS,
    Counted,
    Heard,
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
# A tag first heard after the loop armed is watched this long before it may open, and must not be
# fading by then (a quarter of ``arrival_rise``): long enough to see a car driving past on the
# street fade, short enough for ``settle``.
LATE_LOOK = 0.8
# A tag first heard after the loop armed may still be the car's (a slow advertiser) up to this long
# after ``tag_wait``; one first heard later is a car pulling in behind, however long ``settle`` is.
LATE_HEARD = 1.5


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
    note: str | None = None  # a person's reason for their open (with ``by``)
    evidence: Evidence | None = None  # what the lane heard of the tags it judged for this vehicle
    settled: bool = False  # its tag is chosen for good (once one is found, or after ``tag_wait``)
    by: str | None = None  # who opened, for a person's open
    near_at_open: float | None = None  # how near its evidence's first tag had come when the barrier opened (near_now)


@dataclass(frozen=True)
class LaneState:
    """What the lane remembers: the vehicles in order, tags heard, tags cooling down."""

    queue: tuple[Vehicle, ...] = ()
    tracks: Mapping[str, Track] = field(default_factory=lambda: _EMPTY)
    cooldown: Mapping[str, float] = field(default_factory=lambda: _EMPTY)
    loop: bool = False
    eye: bool = False
    eye_clear_since: float | None = None
    next_key: int = 1
    # tag → how near it had come at its last few opens of this lane (associate.learned, associate.near_now);
    # the device keeps them across restarts
    loop_levels: Mapping[str, tuple[int, ...]] = field(default_factory=lambda: _EMPTY)


Result = tuple[LaneState, tuple[Any, ...]]


def associated(state: LaneState, vehicle: Vehicle, now: float, rules: LaneRules) -> list[Assessment]:
    """Every tag heard recently at the lane, judged for ``vehicle``; candidates first, strongest first."""
    judged = [j for tag, track in state.tracks.items()
              if (j := assess(tag, track, vehicle.arrived, now, rules, state.cooldown.get(tag),
                              loop_level(state.loop_levels.get(tag), rules))) is not None]
    return sorted(judged, key=lambda j: (j.why_not is not None, -j.level, j.tag))


def step(state: LaneState, event: Any, now: float, rules: LaneRules, verdict: Verdict, mode: str) -> Result:
    """Advance the lane by one event; ``mode`` is ``auto``, ``attended`` or ``fire``."""
    actions: tuple[Any, ...] = ()
    if isinstance(event, Sighting):
        event = Heard(event.tag, event.rssi, event.at)
    if isinstance(event, Heard):
        track = heard(state.tracks.get(event.tag), event.rssi, event.at, event.margin, rules)
        state = replace(state, tracks=MappingProxyType({**state.tracks, event.tag: track}))
    elif isinstance(event, InputChanged):
        state, actions = _on_input(state, event, now, rules)
    elif isinstance(event, OpenCommand):
        return _person_opens(state, event, now, rules, mode)
    elif isinstance(event, Tick):
        state, actions = _on_tick(state, now, rules)
    state, more = _decide_waiting(state, now, rules, verdict, mode, heard_now=isinstance(event, Heard))
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
    if passed:
        state = _learn(state, vehicle)
    decision = vehicle.decision or "deny"
    reason = vehicle.reason if vehicle.decision else vehicle.verdict
    record = RecordPassage(vehicle.key, vehicle.tag, vehicle.rssi, decision, reason or "no_tag", passed,
                           tailgating=passed and decision == "deny", note=vehicle.note, by=vehicle.by,
                           evidence=vehicle.evidence)
    return replace(state, queue=queue), (record,)


# ---- deciding -----------------------------------------------------------------------------

def _decide_waiting(state: LaneState, now: float, rules: LaneRules, verdict: Verdict, mode: str,
                    *, heard_now: bool = False) -> Result:
    plates.claim_reads(state, rules, verdict)  # a late plate read stays with its own car (plate cameras)
    waiting = _find(state, lambda v: v.on_loop and v.decision is None)
    if waiting is None:
        return _tag_opened(state, now, rules), ()
    if waiting.settled:  # its tag was chosen when it arrived; only the tag's standing may change
        tag, rssi, evidence = waiting.tag, waiting.rssi, waiting.evidence
        reason = verdict(tag) if tag else "no_tag"
        if tag is None and evidence is None and heard_now:  # an allowed tag heard since: evidence for the warden
            evidence = _choose(associated(state, waiting, now, rules), verdict, rules.tag_margin)[3]
            evidence = evidence if evidence and evidence.ambiguous else None
    else:
        judged = associated(state, waiting, now, rules)
        tag, rssi, reason, evidence = _choose(judged, verdict, rules.tag_margin)
        if tag is None and now >= waiting.arrived + rules.tag_wait:  # a tag first heard after the loop armed
            late = next((j for j in judged if j.why_not == "late" and j.lead >= -(rules.tag_wait + LATE_HEARD)
                         and now - (waiting.arrived - j.lead) >= LATE_LOOK
                         and j.rise > -rules.arrival_rise / 4), None)  # watched, and not fading away
            if late is not None:
                tag, rssi, reason, evidence = late.tag, round(late.level), verdict(late.tag), Evidence((late,), taken=True)
        if now < waiting.arrived + rules.late_grace and not _clear_at_once(judged, tag, rules):
            tag, rssi, reason, evidence = None, None, "no_tag", None  # the car may still be rolling in: look again
        elif now >= waiting.arrived + rules.tag_wait and tag is not None and (unclear := _unclear(judged, tag, rules)):
            # Found only after tag_wait, and not clearly this car's: keep looking until ``settle`` runs out.
            tag, rssi, reason, evidence = None, None, "no_tag", unclear
            if now >= waiting.arrived + rules.tag_wait + rules.settle:
                waiting = replace(waiting, settled=True, tag=tag, rssi=rssi, verdict=reason, evidence=evidence)
        elif (tag is not None and now >= waiting.arrived + rules.late_grace) or now >= waiting.arrived + rules.tag_wait + rules.settle:
            waiting = replace(waiting, settled=True, tag=tag, rssi=rssi, verdict=reason, evidence=evidence)
    tag, rssi, reason = plates.with_plate(state, waiting, now, rules, verdict, (tag, rssi, reason))  # plate cameras
    if mode == "fire":
        return _open(state, replace(waiting, tag=tag, rssi=rssi, verdict=reason, evidence=evidence), "fire_mode", now, rules)
    if mode == "auto" and reason in AUTO_REASONS:
        return _open(state, replace(waiting, tag=tag, rssi=rssi, verdict=reason, evidence=evidence), reason, now, rules)
    if tag is not None or waiting.tag is None:  # no tag yet: keep the evidence seen so far for the warden
        waiting = replace(waiting, tag=tag, rssi=rssi, verdict=reason,
                          evidence=evidence if tag is not None else evidence or waiting.evidence)
    if not waiting.snapped and now - waiting.arrived >= rules.tag_wait:
        return _put(state, replace(waiting, snapped=True)), (TakeSnapshot(waiting.key),)
    return _put(state, waiting), ()


def _clear_at_once(judged: list[Assessment], tag: str | None, rules: LaneRules) -> bool:
    """Open at once (before ``late_grace``) only for a tag first heard just before the loop armed
    that is clearly the strongest tag near the lane; otherwise wait for the car to settle."""
    best = next((j for j in judged if j.tag == tag), None)
    if best is None or not best.fresh:
        return False
    others = [j.level for j in judged if j.tag != tag and j.why_not != "weak"]
    return not others or best.level - max(others) >= rules.tag_margin


def _unclear(judged: list[Assessment], tag: str, rules: LaneRules) -> Evidence | None:
    """Why a tag found only after ``tag_wait`` is not clearly the car's (None: it is): it must stand
    ``late_margin`` above the threshold, and no other tag near the lane may be about as strong."""
    best = next(j for j in judged if j.tag == tag)
    rival = _rival(judged, tag, rules)
    if rival is not None:
        return Evidence((best, rival), ambiguous=True, taken=True)
    if best.level < rules.rssi_threshold + rules.late_margin:
        return Evidence((best,), ambiguous=True, detail="late_faint", taken=True)
    return None


def _rival(judged: list[Assessment], tag: str | None, rules: LaneRules) -> Assessment | None:
    """A tag near the lane that keeps ``tag`` from being clearly the nearest (None: it is): another
    candidate within ``tag_margin``, or any other tag as strong that is not cooling down or at
    another lane now (a consumed or parked tag, one just under the threshold — maybe the car on the
    loop whose own tag is the one not yet told —, or one that was near another lane earlier in its
    visit and is strong here now: a car that turned round)."""
    best = next((j for j in judged if j.tag == tag), None)
    if best is None:
        return None
    close = [j for j in judged if j.tag != tag and j.why_not != "cooldown" and not j.at_other_lane
             and j.level >= rules.rssi_threshold - rules.tag_margin
             and best.level - j.level < (rules.tag_margin if j.why_not is None else 0.0)]
    return max(close, key=lambda j: j.level, default=None)


def _choose(judged: list[Assessment], verdict: Verdict, margin: float) -> tuple[str | None, int | None, str, Evidence | None]:
    """The vehicle's tag, RSSI, reason and evidence from the lane's judged tags."""
    candidates = [j for j in judged if j.why_not is None]
    if candidates:
        best = candidates[0]
        reason = verdict(best.tag)
        rivals = [j for j in candidates[1:] if best.level - j.level < margin
                  and (verdict(j.tag) in AUTO_REASONS) != (reason in AUTO_REASONS)]
        if rivals:  # an allowed and a not-allowed tag arriving about as strong: cannot tell which car
            other = rivals[0]
            shown = best if reason not in AUTO_REASONS else other
            return shown.tag, round(shown.level), verdict(shown.tag), Evidence((best, other), ambiguous=True)
        return best.tag, round(best.level), reason, Evidence((best,), taken=True)
    near = [j for j in judged if j.why_not not in ("weak", None) and verdict(j.tag) in AUTO_REASONS]
    if near:  # an allowed tag is here, but not as this vehicle's: say so, let the warden decide
        return None, None, "no_tag", Evidence(tuple(near[:3]), ambiguous=True)
    return None, None, "no_tag", None


def _tag_opened(state: LaneState, now: float, rules: LaneRules) -> LaneState:
    """A vehicle let in by fire mode or a person before its tag was heard: note the tag for the record."""
    untagged = _find(state, lambda v: v.on_loop and v.tag is None and v.reason in _TAG_LATER)
    if untagged is None:
        return state
    best = next((j for j in associated(state, untagged, now, rules) if j.why_not is None), None)
    if best is None:
        return state
    return _consume(_put(state, replace(untagged, tag=best.tag, rssi=round(best.level))), now, rules, best.tag)


def _consume(state: LaneState, now: float, rules: LaneRules, tag: str | None) -> LaneState:
    """An open: every tag heard at the lane now is consumed; the vehicle's own tag cools down."""
    tracks = {t: replace(tr, consumed_at=now) if now - tr.last <= rules.tag_window else tr
              for t, tr in state.tracks.items()}
    cooldown = dict(state.cooldown)
    if tag is not None:
        cooldown[tag] = now + rules.cooldown
    return replace(state, tracks=MappingProxyType(tracks), cooldown=MappingProxyType(cooldown))


def _open(state: LaneState, vehicle: Vehicle, reason: str, now: float, rules: LaneRules) -> Result:
    first = vehicle.evidence.tags[0].tag if vehicle.evidence else None
    track = state.tracks.get(first) if first else None
    vehicle = replace(vehicle, decision="open", reason=reason, snapped=True,
                      near_at_open=near_now(track, vehicle.arrived, now) if track is not None else None)
    actions: tuple[Any, ...] = (OpenRequest(reason),)
    if not _find(state, lambda v: v.key == vehicle.key).snapped:
        actions += (TakeSnapshot(vehicle.key),)
    return _consume(_put(state, vehicle), now, rules, vehicle.tag), actions


def _learn(state: LaneState, vehicle: Vehicle) -> LaneState:
    """An opened vehicle crossed: how near its tag had come when the barrier opened
    (:func:`edge.gate.associate.near_now`) is one more of that tag's loop levels.  Its tag: the one
    the lane opened on; or, when a person opened, the tag the lane had found near but far weaker
    than at its earlier opens — a resident who moved the tag in the car is opened by the lane
    again after a few such opens (and one wrong guess, the car behind a stranger, is outvoted by
    the tag's own opens).  Not for fire mode, a plate camera's open or a car that backed away."""
    evidence = vehicle.evidence
    if vehicle.decision != "open" or evidence is None:
        return state
    first = evidence.tags[0]
    own = vehicle.reason in AUTO_REASONS and evidence.taken and first.tag == vehicle.tag
    moved = vehicle.by is not None and evidence.ambiguous and first.why_not == "weaker_than_usual"
    if not (own or moved) or vehicle.near_at_open is None:
        return state
    return replace(state, loop_levels=MappingProxyType(learned(state.loop_levels, first.tag, vehicle.near_at_open)))


def _person_opens(state: LaneState, event: OpenCommand, now: float, rules: LaneRules, mode: str) -> Result:
    """Booth button or warden: the undecided vehicle at the lane (or a vehicle not yet seen) goes through."""
    target = _find(state, lambda v: v.decision is None)
    if target is None:
        state = _arrive(state, now, on_loop=False)
        target = state.queue[-1]
    best = next((j for j in associated(state, target, now, rules) if j.why_not is None), None)
    if best is not None and target.tag is None:
        target = replace(target, tag=best.tag, rssi=round(best.level))
    reason = "fire_mode" if mode == "fire" else event.reason
    if reason != "fire_mode":
        target = replace(target, by=event.by or None, note=event.why or None)
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
    tracks = {t: tr for t, tr in state.tracks.items() if now - tr.last <= rules.tag_gone}
    cooldown = {t: until for t, until in state.cooldown.items() if until > now}
    if len(tracks) != len(state.tracks) or len(cooldown) != len(state.cooldown):
        state = replace(state, tracks=MappingProxyType(tracks), cooldown=MappingProxyType(cooldown))
    return state, actions


def _find(state: LaneState, wanted: Callable[[Vehicle], bool]) -> Vehicle | None:
    return next((v for v in state.queue if wanted(v)), None)


def _put(state: LaneState, vehicle: Vehicle) -> LaneState:
    return replace(state, queue=tuple(vehicle if v.key == vehicle.key else v for v in state.queue))

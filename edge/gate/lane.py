"""One lane = its barrier machine + its decision, stepped together (pure, no I/O).

The decision asks the barrier to open (``OpenRequest``); the barrier's mode (auto, attended,
fire) tells the decision what it may do.  Photo-eye changes caused by the barrier's own test
belong to the test and never look like a vehicle to the decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from . import decide, fsm
from .model import InputChanged, LaneRules, OpenCommand, OpenRequest


@dataclass(frozen=True)
class Lane:
    """A lane's whole pure state."""

    rules: LaneRules
    barrier: fsm.BarrierState = field(default_factory=fsm.BarrierState)
    traffic: decide.LaneState = field(default_factory=decide.LaneState)

    @property
    def mode(self) -> str:
        return fsm.mode_of(self.barrier)


def step(lane: Lane, event: Any, now: float, verdict: decide.Verdict) -> tuple[Lane, tuple[Any, ...]]:
    """Advance the lane by one event (a Sighting, InputChanged, Tick, OpenCommand, FireOn, ...)."""
    if isinstance(event, InputChanged) and event.role == "button":
        if not event.active:
            return lane, ()
        event = OpenCommand("manual", by="booth")  # ``by`` says it all: no reason to send
    testing = lane.barrier.test is not None
    barrier, actions = fsm.step(lane.barrier, event, now, lane.rules)
    traffic, mode = lane.traffic, fsm.mode_of(barrier)
    eye_event = isinstance(event, InputChanged) and event.role == "photo_eye"
    if not (eye_event and testing):
        traffic, more = decide.step(traffic, event, now, lane.rules, verdict, mode)
        barrier, opened = _carry_out(barrier, more, now, lane.rules)
        actions += opened
    if testing and barrier.test is None and barrier.inputs.get("photo_eye"):
        # The test ended with the beam still blocked: something real is there; tell the decision.
        traffic, more = decide.step(traffic, InputChanged("photo_eye", True), now, lane.rules, verdict, mode)
        actions += more
    return replace(lane, barrier=barrier, traffic=traffic), actions


def _carry_out(barrier: fsm.BarrierState, actions: tuple[Any, ...], now: float,
               rules: LaneRules) -> tuple[fsm.BarrierState, tuple[Any, ...]]:
    out: list[Any] = []
    for action in actions:
        if isinstance(action, OpenRequest):
            barrier, more = fsm.step(barrier, action, now, rules)
            out += more
        else:
            out.append(action)
    return barrier, tuple(out)

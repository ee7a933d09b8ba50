"""Per-circuit decisions of the charging device (pure): readings in, events out.

:func:`on_reading` runs the counter, keeps the energy total monotonic, clears a raised fault, and
decides whether a ``charging`` event goes out; :func:`on_unreadable` raises the
``sensor_unreadable`` fault once a meter has failed for ``unreadable_after`` (and no charging
event is sent for that circuit meanwhile, so the hub sees it silent too).  Fault ``detail`` starts
with ``"<circuit>: "`` so the hub can tell which circuit's meter failed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from . import counting, energy
from .model import Reading, Unreadable

FAULT_CODE = "sensor_unreadable"


@dataclass(frozen=True)
class Track:
    """What the device remembers about one circuit."""

    counter: counting.CounterState
    energy: energy.EnergyCounter
    last: counting.Emitted | None = None
    failing_since: datetime | None = None
    fault_raised: bool = False
    last_reason: str = ""
    recent_a: tuple[float, ...] = ()
    latest: counting.Emitted | None = None  # this reading's counted values (the cut-off rules read them)


def new_track(params: counting.CountingParams, *, wrap_wh: float | None) -> Track:
    return Track(counting.initial_state(params), energy.EnergyCounter(wrap_wh=wrap_wh))


Event = tuple[str, dict[str, Any]]


def on_reading(track: Track, reading: Reading, params: counting.CountingParams,
               policy: counting.EmitPolicy, *, nominal_v: float = 220.0) -> tuple[Track, list[Event]]:
    """Count, and say which events to emit for this reading."""
    events: list[Event] = []
    if track.fault_raised:
        events.append(("fault", {"code": FAULT_CODE, "active": False,
                                 "detail": f"{reading.circuit}: the meter reads again"}))
    t = reading.ts.timestamp()
    counter, count = counting.observe(track.counter, t, reading.power_w, params)
    meter = track.energy if reading.energy_wh is None else energy.advance(track.energy, reading.energy_wh)
    recent_a = track.recent_a
    if reading.current_a is None:
        current = count.power_w / (reading.voltage_v or nominal_v)
    else:  # the same median filter as the power: an inrush spike is no overload
        recent_a = (recent_a + (reading.current_a,))[-params.median_window:]
        current = counting.median(recent_a)
    now = counting.Emitted(t, count.power_w, current, count.loads)
    track = replace(track, counter=counter, energy=meter, failing_since=None, fault_raised=False,
                    recent_a=recent_a, latest=now)
    if counting.should_emit(track.last, now, policy):
        events.append(("charging", _fields(reading, count, current, meter)))
        track = replace(track, last=now)
    return track, events


def _fields(reading: Reading, count: counting.Count, current: float,
            meter: energy.EnergyCounter) -> dict[str, Any]:
    fields: dict[str, Any] = {"circuit": reading.circuit, "power_w": round(count.power_w, 1),
                              "current_a": round(current, 3), "loads": count.loads}
    if reading.voltage_v is not None:
        fields["voltage_v"] = round(reading.voltage_v, 1)
    if meter.total_wh is not None:
        fields["energy_wh"] = round(meter.total_wh, 1)
    return fields


def on_unreadable(track: Track, failure: Unreadable, unreadable_after_s: float) -> tuple[Track, list[Event]]:
    """Raise the fault once the meter has failed long enough."""
    since = track.failing_since or failure.ts
    track = replace(track, failing_since=since, last_reason=failure.reason)
    if track.fault_raised or (failure.ts - since).total_seconds() < unreadable_after_s:
        return track, []
    detail = f"{failure.circuit}: {failure.reason}"[:1000]
    return replace(track, fault_raised=True), [("fault", {"code": FAULT_CODE, "active": True, "detail": detail})]

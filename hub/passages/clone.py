"""Cloned Bluetooth tags (疑似复制的蓝牙标签): one tag at two places too far apart for the time between.

A tag (EID or static — never a plate, which any camera may read off any car) heard at a gate
passage or arriving in a watched zone is one car.  The same tag at two different devices within
less than the minimum travel time between them cannot be one car: someone has copied the tag.
Different lanes of one gate device are never a clash (one car, one gate).  The minimum travel
time is the configured one for the pair of devices, else ``between_gates`` for two gates whose
passages go the same way — an "in" at one gate device and an "out" at another are not a clash
unless their pair is configured: at a two-Pi entrance (an in-Pi and an out-Pi side by side) that is
a car turning back, and the check must not accuse a resident by default;
a gate and a lane scanner (whose strip may begin just inside the gate) clash only when their pair
is configured.  Pure: the caller looks up the sightings and the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable


@dataclass(frozen=True)
class Sighting:
    """A tag at a place: a gate passage (``kind`` 'passage', ``place`` the lane) or a zone arrival."""

    tag: str
    device: str
    place: str
    at: datetime
    kind: str = "passage"
    event_id: str = ""
    direction: str = ""  # a passage's "in" or "out" ("" when unknown or a zone arrival)


def checked(tag: str | None) -> bool:
    """Tags the check looks at: Bluetooth tags, not plates."""
    return bool(tag) and not str(tag).startswith("plate:")


def min_travel(a: Sighting, b: Sighting, *, pairs: dict[frozenset[str], timedelta],
               between_gates: timedelta) -> timedelta | None:
    """The least time a car needs from one place to the other; None when any time is possible."""
    if a.device == b.device:
        return None  # another lane of the same gate or zone device: the same car may be there
    configured = pairs.get(frozenset((a.device, b.device)))
    if configured is not None:
        return configured
    if a.kind == "passage" and b.kind == "passage":
        if {a.direction, b.direction} == {"in", "out"}:
            return None  # in at one gate Pi, out at another: perhaps one car turning back at one entrance
        return between_gates
    return None


def clash(new: Sighting, earlier: Iterable[Sighting], *, pairs: dict[frozenset[str], timedelta],
          between_gates: timedelta) -> Sighting | None:
    """The sighting of the same tag that ``new`` cannot be the same car as (the closest in time), or None."""
    found: list[tuple[timedelta, Sighting]] = []
    for other in earlier:
        if other.tag != new.tag or not checked(new.tag):
            continue
        need = min_travel(other, new, pairs=pairs, between_gates=between_gates)
        gap = abs(new.at - other.at)
        if need is not None and gap < need:
            found.append((gap, other))
    return min(found, key=lambda item: (item[0], item[1].event_id))[1] if found else None


def longest(pairs: dict[frozenset[str], timedelta], between_gates: timedelta) -> timedelta:
    """How far back (and ahead) the sightings must be looked up."""
    return max([between_gates, *pairs.values()])

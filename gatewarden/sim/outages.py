"""Device outages for ``gatewarden simulate --outages``, drawn from the seed (pure).

Each night one gate or lane device goes down around the morning deadline — when cars leave the
night strip and the hub decides — and another one at some time in the evening or night.  A
device goes down in one of two ways:

* ``pause``: the process is frozen (SIGSTOP) and later thawed (SIGCONT), like a Pi that hangs or
  loses its network: when it comes back it catches up on what it sensed meanwhile, and its events
  reach the hub late, with their true times;
* ``kill``: the process is killed (SIGKILL, like a power cut) and started again later: its outbox
  keeps what it had recorded, but nothing is sensed while it is down.

The outages end well before the night does, so every device has reported the whole night by the
time the simulator scores it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from .night import Night, _local

Mode = Literal["pause", "kill"]
DEVICES = ("gate", "lane-east", "lane-fire")
END_MARGIN = timedelta(minutes=10)  # every outage is over this long before the night's end


@dataclass(frozen=True, order=True)
class Outage:
    """``device`` (a runner process name) is down from ``start`` to ``end`` (simulated time)."""

    start: datetime
    end: datetime
    device: str
    mode: Mode


def plan(nights: list[Night], seed: int) -> list[Outage]:
    """The outages of every night, in time order; none overlaps another on the same device."""
    found: list[Outage] = []
    for index, night in enumerate(nights):
        rng = random.Random(seed * 104729 + index)
        morning = night.deadline.date()
        cap = night.end - END_MARGIN
        found.append(_one(rng, ("gate", "lane-east"), _local(morning, "06:40"), _local(morning, "07:55"),
                          (20, 70), cap))
        found.append(_one(rng, DEVICES, _local(night.evening, "19:00"), _local(morning, "02:00"), (15, 120), cap))
    return sorted(found)


def _one(rng: random.Random, devices: tuple[str, ...], earliest: datetime, latest: datetime,
         minutes: tuple[int, int], cap: datetime) -> Outage:
    start = earliest + timedelta(seconds=rng.uniform(0, (latest - earliest).total_seconds()))
    end = min(start + timedelta(minutes=rng.uniform(*minutes)), cap)
    return Outage(start, end, rng.choice(devices), rng.choice(("pause", "kill")))

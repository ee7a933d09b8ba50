"""Faults for ``gatewarden simulate --chaos``, drawn from the seed (pure), and the soak's score.

Every night gets, at random moments of simulated time:

* ``hub_kill``: the hub process is SIGKILLed (one of them between 07:00 and 08:30, while it decides
  the morning) and started again a moment later;
* ``broker_kill``: the private Mosquitto is SIGKILLed (it forgets what it held in memory) and
  started again on the same port;
* ``edge_kill``: a power cut — an edge process (gate, lane scanner or shed) is SIGKILLed while it
  records and sends, and started again a moment later;
* ``clock_step``: one edge device's wall clock is stepped forward or back by 1–3 hours for 30–120
  minutes of the evening or night, then synchronised again (the device process applies it to
  everything it stamps; its timers keep running on the monotonic clock, as on a Pi);
* ``disk_full``: the hub's disk is full for 30–180 minutes (SQLite's ``max_page_count`` on the
  hub's writer, set through a flag file: :mod:`gatewarden.sim.hubproc`).

Once per run the hub is down for two days (``hub_outage``: from 23:00 of one evening to 23:00 two
evenings later; one day when the run has only two nights).  Every fault is over well before the
last night ends, so every device has delivered everything by the time the run is scored.

A clock step never touches 05:00–09:00: an exit stamped hours late by a clock stepped *forward*
counts as hours late (docs/reliability.md, "limits").
"""

from __future__ import annotations

import json
import random
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from .night import Night, _local

Kind = Literal["hub_kill", "broker_kill", "edge_kill", "clock_step", "disk_full", "hub_outage"]
KINDS: tuple[Kind, ...] = ("hub_kill", "broker_kill", "edge_kill", "clock_step", "disk_full", "hub_outage")
EDGES = ("gate", "lane-east", "lane-fire", "shed")  # runner process names
END_MARGIN = timedelta(minutes=20)  # every fault is over this long before the last night ends


@dataclass(frozen=True, order=True)
class Fault:
    """``kind`` from ``start`` to ``end`` (simulated time); ``pause``: real seconds a killed
    process stays dead; ``offset``: a clock step's size; ``target``: a runner process name."""

    start: datetime
    end: datetime
    kind: Kind
    target: str = ""
    pause: float = 0.0
    offset: timedelta = timedelta(0)


def plan(nights: list[Night], seed: int) -> list[Fault]:
    """Every fault of the run, in time order."""
    cap = nights[-1].end - END_MARGIN
    found: list[Fault] = []
    for index, night in enumerate(nights):
        rng = random.Random(seed * 7919 + index)
        evening, morning = night.evening, night.deadline.date()
        early, late = _local(evening, "19:00"), _local(morning, "08:20")
        found.append(_at(rng, _local(morning, "07:00"), _local(morning, "08:30"), "hub_kill", "hub", rng.uniform(0.5, 3)))
        found.append(_at(rng, early, late, "hub_kill", "hub", rng.uniform(0.5, 3)))
        for _ in range(rng.choice((1, 2))):
            found.append(_at(rng, early, late, "broker_kill", "broker", rng.uniform(0.5, 4)))
        for _ in range(2):
            found.append(_at(rng, early, late, "edge_kill", rng.choice(EDGES), rng.uniform(0.5, 3)))
        step = _at(rng, early, _local(morning, "02:00"), "clock_step", rng.choice(EDGES))
        sign, hours = rng.choice((-1, 1)), rng.choice((1, 2, 3))
        found.append(Fault(step.start, min(step.start + timedelta(minutes=rng.uniform(30, 120)),
                                           _local(morning, "03:00")), "clock_step", step.target,
                           offset=sign * timedelta(hours=hours, minutes=rng.uniform(0, 30))))
        full = _at(rng, _local(evening, "20:00"), _local(morning, "06:00"), "disk_full", "hub")
        found.append(Fault(full.start, full.start + timedelta(minutes=rng.uniform(30, 180)), "disk_full", "hub"))
    if len(nights) >= 2:
        rng = random.Random(seed * 7919 - 1)
        span = min(2, len(nights) - 1)
        first = rng.randrange(len(nights) - span)
        found.append(Fault(_local(nights[first].evening, "23:00"), _local(nights[first + span].evening, "23:00"),
                           "hub_outage", "hub"))
    return sorted(f if f.end <= cap else Fault(f.start, cap, f.kind, f.target, f.pause, f.offset)
                  for f in found if f.start < cap)


def _at(rng: random.Random, earliest: datetime, latest: datetime, kind: Kind, target: str,
        pause: float = 0.0) -> Fault:
    moment = earliest + timedelta(seconds=rng.uniform(0, (latest - earliest).total_seconds()))
    return Fault(moment, moment, kind, target, pause)


def clock_steps(faults: list[Fault], target: str) -> list[Fault]:
    """The clock steps of one device (runner process name)."""
    return [f for f in faults if f.kind == "clock_step" and f.target == target]


class SteppedClock:
    """A device's wall clock: ``base`` (the simulation's true time) stepped by each active step.

    ``monotonic()`` is never stepped, as on Linux: a device's timers and hysteresis go on.
    """

    def __init__(self, base, steps: list[Fault]):
        self.base, self.steps = base, steps

    def offset(self, moment: datetime) -> timedelta:
        return sum((s.offset for s in self.steps if s.start <= moment < s.end), timedelta(0))

    def now(self) -> datetime:
        moment = self.base.now()
        return moment + self.offset(moment)

    def monotonic(self) -> float:
        return self.base.monotonic()


# -- the score --------------------------------------------------------------------------------------


@dataclass
class Delivery:
    """What reached the hub of what the edges recorded."""

    recorded: int = 0  # events the edges' outboxes issued a seq for
    stored: int = 0  # of those, stored by the hub
    waiting: int = 0  # not stored yet, still in the edge's outbox (the run ended too early)
    lost: int = 0  # recorded, neither stored nor still in the outbox
    doubled: int = 0  # one recorded event stored twice (another id or seq, the same content)


def delivery(hub_db: Path, outboxes: dict[str, Path], upto: dict[str, int] | None = None) -> Delivery:
    """Compare each device's outbox numbering (``device id → outbox file``) with the hub's events, up
    to ``upto`` (device → seq; default: its last) — the shed goes on reporting after the nights."""
    result = Delivery()
    hub = sqlite3.connect(f"file:{hub_db}?mode=ro", uri=True)
    try:
        for device, path in outboxes.items():
            box = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                last = box.execute("SELECT value FROM meta WHERE key = 'last_seq'").fetchone()[0]
                last = min(last, (upto or {}).get(device, last))
                kept = {row[0] for row in box.execute("SELECT seq FROM events")}
            finally:
                box.close()
            seqs = {row[0] for row in hub.execute("SELECT seq FROM events WHERE device = ?", [device])}
            missing = [s for s in range(1, last + 1) if s not in seqs]
            result.recorded += last
            result.stored += last - len(missing)
            result.waiting += sum(1 for s in missing if s in kept)
            result.lost += sum(1 for s in missing if s not in kept)
        bodies: dict[tuple, int] = {}
        for device, kind, ts, body in hub.execute("SELECT device, kind, ts, body FROM events"):
            data = json.loads(body)
            data.pop("id", None)
            data.pop("seq", None)
            key = (device, kind, ts, json.dumps(data, sort_keys=True))
            bodies[key] = bodies.get(key, 0) + 1
        result.doubled = sum(n - 1 for n in bodies.values() if n > 1)
    finally:
        hub.close()
    return result


def outbox_meta(path: Path) -> dict[str, int]:
    """An edge outbox's ``last_seq`` and ``acked_seq`` (read-only, never in the device's way; {} if busy)."""
    try:
        box = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)
        try:
            return dict(box.execute("SELECT key, value FROM meta").fetchall())
        finally:
            box.close()
    except sqlite3.Error:
        return {}


def drained(outboxes: dict[str, Path], targets: dict[str, int]) -> bool:
    """Every edge's outbox acknowledged up to ``targets`` (device → seq: its last when the nights ended;
    the shed goes on reporting)."""
    return all(outbox_meta(path).get("acked_seq", -1) >= targets[device] for device, path in outboxes.items())


def decision_delays(first: dict[datetime, datetime], nights: list[Night]) -> tuple[int, timedelta | None]:
    """(mornings decided, the longest wait from a deadline to its first decision on the hub's clock);
    ``first``: deadline → when the simulator first saw it decided (a recheck decides it again later)."""
    deadlines = {n.deadline for n in nights}
    delays = [at - d for d, at in first.items() if d in deadlines]
    return len(delays), max(delays, default=None)

"""One night in the simulated compound: the script the simulated devices play, and the truth.

From the evening to just after the next morning's deadline: residents drive in and out through
the north gate's two lanes, late arrivals park on the night strip, most of them leave or move into
a freed space before the deadline, a few do not (the true violations), a car stands in the fire
lane too long, outside cars are turned away, and e-bikes charge in the shed — one from a stairwell
socket (飞线充电).  Everything is decided by the seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .compound import Compound

TZ = ZoneInfo("Asia/Shanghai")
LANE_IN, LANE_OUT = "north-in", "north-out"
# With plate cameras (``gatewarden demo``): a visitor let in by a pass by plate, an outside car
# refused by its plate, and an untagged outside car on the strip that the strip camera names.
VISITOR_PLATE, OUTSIDER_PLATE, STRIP_PLATE = "浙AV1234", "沪B12345", "苏E55555"


@dataclass(frozen=True, order=True)
class Drive:
    """A vehicle passes a gate lane (``tag`` None: a car with no tag)."""

    at: datetime
    lane: str
    direction: str
    plate: str
    tag: str | None
    resident: bool = True


@dataclass(frozen=True, order=True)
class Park:
    """A tag starts (``present``) or stops being seen in a watched zone."""

    at: datetime
    zone: str
    plate: str
    tag: str | None
    present: bool


@dataclass(frozen=True, order=True)
class Plug:
    """A charger is plugged in (``watts`` > 0) or unplugged (``watts`` 0) on a circuit."""

    at: datetime
    circuit: str
    port: int
    watts: float
    profile: str = "lithium"


@dataclass
class Night:
    """The script of one night and what a perfect hub would conclude from it."""

    evening: date
    start: datetime
    deadline: datetime
    end: datetime
    actions: list = field(default_factory=list)
    violations: set[tuple[str, str]] = field(default_factory=set)  # (plate, rule)
    denied: int = 0
    inside_at_start: int = 0

    def of(self, kind: type) -> list:
        return sorted(a for a in self.actions if isinstance(a, kind))


def _local(day: date, clock: str, extra_s: float = 0.0) -> datetime:
    return datetime.combine(day, time.fromisoformat(clock), TZ) + timedelta(seconds=extra_s)


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span = (end - start).total_seconds()
    return start + timedelta(seconds=round(rng.uniform(0, span), 1))


def plan(compound: Compound, evening: date, seed: int = 1, *, plates: bool = False) -> Night:
    """The night from ``evening`` 18:00 to 08:30 the next morning (deadline 08:00); ``plates``:
    the compound has plate cameras, and the night has its plate-only cars (:func:`_plate_cars`)."""
    rng = random.Random(seed * 7919 + evening.toordinal())
    morning = evening + timedelta(days=1)
    night = Night(evening=evening, start=_local(evening, "18:00"), deadline=_local(morning, "08:00"),
                  end=_local(morning, "08:30"))
    cars = list(compound.cars)
    rng.shuffle(cars)
    outside, inside = cars[:60], cars[60:]
    night.inside_at_start = len(inside)
    _arrivals(night, rng, outside, evening)
    strip = _strip_parkers(night, rng, outside, inside, evening)
    _mornings(night, rng, strip, morning)
    _commuters(night, rng, [c for c in inside if c not in strip], morning)
    _fire_lane(night, rng, inside, evening, compound.fire_lane)
    _outsiders(night, rng, evening)
    _charging(night, rng, evening, morning)
    if plates:
        _plate_cars(night, evening, morning)
    night.actions.sort(key=lambda a: a.at)
    return night


def _plate_cars(night: Night, evening: date, morning: date) -> None:
    """Cars only a plate camera can name (fixed times: the rest of the night stays as it was)."""
    night.actions.append(Drive(_local(evening, "19:15"), LANE_IN, "in", VISITOR_PLATE, None))
    night.actions.append(Drive(_local(evening, "19:40"), LANE_IN, "in", OUTSIDER_PLATE, None, resident=False))
    night.denied += 1
    night.actions.append(Park(_local(evening, "21:05"), "east-strip", STRIP_PLATE, None, True))
    night.actions.append(Park(_local(morning, "08:05"), "east-strip", STRIP_PLATE, None, False))
    night.violations.add((STRIP_PLATE, "overnight"))


def _arrivals(night: Night, rng: random.Random, outside: list, evening: date) -> None:
    for car in outside:
        at = _between(rng, _local(evening, "18:05"), _local(evening, "23:30"))
        night.actions.append(Drive(at, LANE_IN, "in", car.plate, car.tag))


def _strip_parkers(night, rng, outside, inside, evening) -> list:
    arrivals = {d.plate: d.at for d in night.actions if isinstance(d, Drive)}
    late = [c for c in outside if arrivals[c.plate] >= _local(evening, "20:00")]
    strip = late[:20] + inside[:4]
    for car in strip:
        at = arrivals.get(car.plate, _local(evening, "20:30")) + timedelta(minutes=rng.uniform(1, 3))
        night.actions.append(Park(at, "east-strip", car.plate, car.tag, True))
    return strip


def _mornings(night: Night, rng: random.Random, strip: list, morning: date) -> None:
    for index, car in enumerate(strip):
        if index < 3:  # still there at the deadline: the true violations
            night.violations.add((car.plate, "overnight"))
            leave = _local(morning, "08:10") + timedelta(minutes=index * 3)
            night.actions.append(Park(leave, "east-strip", car.plate, car.tag, False))
            night.actions.append(Drive(leave + timedelta(seconds=90), LANE_OUT, "out", car.plate, car.tag))
        elif index < 6:  # moved into a space somebody freed
            leave = _between(rng, _local(morning, "07:00"), _local(morning, "07:50"))
            night.actions.append(Park(leave, "east-strip", car.plate, car.tag, False))
        else:  # drove off before the deadline (one of them at the last moment)
            out = _local(morning, "07:59:30") if index == 6 else \
                _between(rng, _local(morning, "06:30"), _local(morning, "07:55"))
            night.actions.append(Park(out - timedelta(seconds=60), "east-strip", car.plate, car.tag, False))
            night.actions.append(Drive(out, LANE_OUT, "out", car.plate, car.tag))


def _commuters(night: Night, rng: random.Random, inside: list, morning: date) -> None:
    for car in inside[: len(inside) // 3]:
        at = _between(rng, _local(morning, "06:30"), _local(morning, "08:25"))
        night.actions.append(Drive(at, LANE_OUT, "out", car.plate, car.tag))


def _fire_lane(night, rng, inside, evening, zone) -> None:
    long_stay, short_stay = inside[-1], inside[-2]
    start = _local(evening, "23:10")
    night.actions.append(Park(start, zone, long_stay.plate, long_stay.tag, True))
    night.actions.append(Park(start + timedelta(minutes=25), zone, long_stay.plate, long_stay.tag, False))
    night.violations.add((long_stay.plate, "fire_lane"))
    night.actions.append(Park(start, zone, short_stay.plate, short_stay.tag, True))
    night.actions.append(Park(start + timedelta(minutes=4), zone, short_stay.plate, short_stay.tag, False))


def _outsiders(night: Night, rng: random.Random, evening: date) -> None:
    for index in range(3):
        at = _between(rng, _local(evening, "18:30"), _local(evening, "22:00"))
        night.actions.append(Drive(at, LANE_IN, "in", f"外来{index + 1}", None, resident=False))
        night.denied += 1


def _charging(night: Night, rng: random.Random, evening: date, morning: date) -> None:
    for circuit, ports in (("shed-1", 6), ("shed-2", 6)):
        for port in range(ports):
            if rng.random() < 0.7:
                on = _between(rng, _local(evening, "18:30"), _local(evening, "22:30"))
                off = _between(rng, _local(morning, "06:00"), _local(morning, "07:50"))
                watts = round(rng.uniform(120, 260))
                night.actions.append(Plug(on, circuit, port, watts, rng.choice(["lithium", "lead_acid"])))
                night.actions.append(Plug(off, circuit, port, 0))
    night.actions.append(Plug(_local(evening, "22:00"), "stair-3", 0, 180, "lead_acid"))
    night.actions.append(Plug(_local(morning, "01:00"), "stair-3", 0, 0))


def plan_nights(compound: Compound, first_evening: date, nights: int, seed: int = 1, *,
                plates: bool = False) -> list[Night]:
    """``nights`` consecutive nights from ``first_evening``, each its own script and truth.

    Every night starts and ends with the watched zones empty (the last violator drives off at
    08:16, before the night's end at 08:30), so the nights are independent: the truth of one
    never depends on another.  Residents who are already inside and drive in again get the
    gate's soft anti-passback (the barrier opens; the passage says ``passback``).
    """
    if nights < 1:
        raise ValueError("nights must be at least 1")
    return [plan(compound, first_evening + timedelta(days=k), seed, plates=plates) for k in range(nights)]


def merge(nights: list[Night]) -> Night:
    """One script playing every night in turn (what a simulated device follows)."""
    merged = Night(evening=nights[0].evening, start=nights[0].start, deadline=nights[-1].deadline,
                   end=nights[-1].end)
    for night in nights:
        merged.actions.extend(night.actions)
        merged.violations |= night.violations
        merged.denied += night.denied
    merged.inside_at_start = nights[0].inside_at_start
    return merged

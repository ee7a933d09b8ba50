"""Gate association: simulated mornings at a two-lane gate — does the barrier open for the car on the loop?

A gate with an in lane and an out lane 4 m apart, cars arriving in random streams (morning rush:
more out than in), queueing when the lane is busy, residents parked beside the gate all morning,
residents driving past on the street, strangers without a tag, strangers with an unknown tag,
revoked tags.  RSSI from a log-distance path-loss model (n = 2.2, tag inside a car: 8 ± 3 dB body
loss, per-car shadowing σ 3 dB, per-advertisement fading σ 4 dB with occasional deep fades of
10–20 dB), adverts every 0.2–1 s of which 80 % are received.  Residents come back: each seed's
residents are ``--residents`` cars (600), each morning's drawn from them without repeats, each
car's body loss its own (8 ± 2.6 dB) and ± 1.5 dB from day to day (a passenger, a bag on the
dashboard; 8 ± 3 dB in all, as for any car) — the
lane learns a tag's level on the loop from its opens (``--residents 0``: every car a new tag,
the lane never knows one).  A guard opens by the booth button
any car still waiting 8 s after it arrived.

* **new rule** (edge/gate/associate.py): each lane its own radio, the pure lane logic of
  edge/gate/lane.py, the device's routing (RadioLevels, lane margin), with the lane's antenna
  mounted one of two ways (``--mount``, both by default):
  - *at the arm*, pointing along the lane at the cars coming (±4 dB pattern);
  - *beside the loop*: a patch antenna on the island between the lanes at the spot where a car
    stops, aimed across its own lane, its back to the other lane (docs/gate.md, "Wiring"); its
    pattern is modelled as 4 dBi + 20·log10((1 + cos θ)/2), floored 20 dB below the front: half
    power at ±65°, a wider beam than the recommended 60–70° panel (cautious about the car behind)
    with its 15–20 dB front-to-back; the lane settings docs/gate.md gives for it (``settle`` 4 s,
    ``late_margin`` 2 dB);
* **old rule** (before issue 17): one radio between the lanes, every sighting to both lanes, the
  strongest allowed tag heard in the last 3 s at or above the threshold opens; 20 s cooldown only
  after a tag open.

All run the same mornings (same arrivals, cars and noise seeds; the parked and passing cars
start afresh for each rule); the threshold is calibrated per mount as docs/gate.md says (the
typical loop RSSI of 200 calibration cars: the weakest 5 % minus 3 dB).

Goals (issue 17): wrong opens 0 per 10,000 vehicles; residents refused ≤ 1 %.

    .venv/bin/python bench/gate_association.py [--vehicles 10000] [--seeds 1,2,3] [--mount arm|island|both] [--no-old] [--explain]

Each seed is its own set of mornings (about ``--vehicles`` vehicles), run in its own process; the
table pools them, and a second table shows each seed alone — one wrong open moves a seed's figure
by 1 per 10,000, and one changed decision changes the rest of that morning.

``--explain`` prints, for each open on another car's tag, the scenario: the car on the loop, the tag
that opened and whose it is, every car at the lane, both tags' RSSI at both lanes' radios over the
last 15 s with their lane margins, when each was first heard, whether it was consumed, and the
lane's evidence for every tag it judged; and, for the residents refused, how many times each verdict
on their own tag stood as the guard opened (``candidate, not chosen``: a candidate only after the
vehicle had settled without a tag).
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass, fields, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from edge.gate import decide  # noqa: E402
from edge.gate.associate import RadioLevels  # noqa: E402
from edge.gate.lane import Lane, step  # noqa: E402
from edge.gate.model import Heard, InputChanged, LaneRules, OpenCommand, Tick  # noqa: E402

DT = 0.1
LANE_X = {"in": 0.0, "out": 4.0}
STREET_Y = -12.0
KINDS = (("resident", 0.86), ("untagged", 0.08), ("stranger", 0.03), ("revoked", 0.02), ("sharing", 0.01))
ALLOWED = frozenset({"resident", "sharing"})  # "sharing": two residents in one queue, close behind
GUARD_AFTER = 8.0


# ---- radio -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Antenna:
    x: float
    y: float
    facing: float  # boresight angle (radians)
    patch: bool = False  # a directional (patch) antenna: 20 dB front-to-back; else ±4 dB

    def gain(self, angle: float) -> float:
        if not self.patch:
            return 4.0 * math.cos(angle)
        return 4.0 + max(-20.0, 20 * math.log10(max(1e-3, (1 + math.cos(angle)) / 2)))


MOUNTS = {
    # at the arm, facing the approach (the lane's own radio, e.g. a Pi's built-in or a USB dongle)
    "arm": {"in": Antenna(-1.5, 0.3, -math.pi / 2), "out": Antenna(5.5, -0.3, math.pi / 2)},
    # on the island between the lanes beside the loop, a patch antenna aimed across its own lane at
    # the car's windscreen, its back to the other lane
    "island": {"in": Antenna(1.5, -2.5, math.pi, True), "out": Antenna(2.5, 2.5, 0.0, True)},
}
NEW_RADIOS = MOUNTS["arm"]
# The lane settings docs/gate.md gives for each mount (the defaults are for an antenna at the arm).
MOUNT_RULES = {"arm": {}, "island": {"settle": 4.0, "late_margin": 2.0}}
MOUNT_NAMES = {"arm": "antenna at the arm", "island": "patch antenna beside the loop"}
OLD_RADIO = Antenna(2.0, 0.0, -math.pi / 2)


def rssi_at(ant: Antenna, x: float, y: float, loss: float, rng: random.Random) -> int:
    d = max(0.5, math.hypot(x - ant.x, y - ant.y))
    angle = math.atan2(y - ant.y, x - ant.x) - ant.facing
    gain = ant.gain(angle)
    fade = rng.gauss(0, 4.0) - (rng.uniform(10, 20) if rng.random() < 0.05 else 0.0)
    return round(-59 - loss - 22 * math.log10(d) + gain + fade)


# ---- the world ---------------------------------------------------------------------------------

@dataclass
class Car:
    n: int
    lane: str
    kind: str
    tag: str | None
    loss: float
    interval: float
    arrive: float
    side: int  # comes from the left (-1) or right (+1) along the street
    s: float = 40.0  # path position: distance of the tag ahead of the arm along the approach (m)
    state: str = "coming"  # coming → queued/waiting → passing → gone
    loop_at: float | None = None
    opened_at: float | None = None
    open_reason: str | None = None
    open_tag: str | None = None
    next_adv: float = 0.0
    heard_best: int | None = None  # its own tag's strongest reading at its lane's radio while it waited
    threshold: int | None = None  # the rule's calibrated threshold in its seed's run (for scoring)
    morning: int = 0  # which of its seed's mornings (a resident's tag comes back on other mornings)
    story: str | None = None  # --explain: what the lane saw when it opened on another car's tag
    refusal: str | None = None  # --explain: the lane's verdict on a refused resident's own tag

    def xy(self) -> tuple[float, float]:
        """The tag's position: along the street, then up the lane (in), or the reverse (out)."""
        x0 = LANE_X[self.lane]
        if self.lane == "in":
            if self.s > abs(STREET_Y):  # still on the street
                return x0 + self.side * (self.s - abs(STREET_Y)), STREET_Y
            return x0, -self.s
        if self.s > 20:
            return x0, 20.0 + (self.s - 20)  # inside the compound, coming to the gate
        if self.s >= -abs(STREET_Y):
            return x0, self.s
        return x0 + self.side * (-self.s - abs(STREET_Y)), STREET_Y

    def front(self) -> float:
        return self.s - 1.5  # the tag sits 1.5 m behind the front bumper


@dataclass
class Static:
    """A parked car (all morning) or a car driving past on the street."""

    tag: str
    loss: float
    interval: float
    x: float
    y: float
    v: float = 0.0
    start: float = 0.0
    end: float = 1e9
    next_adv: float = 0.0

    def xy(self, t: float) -> tuple[float, float]:
        return self.x + self.v * (t - self.start), self.y


@dataclass
class Morning:
    cars: list[Car]
    others: list[Static]
    length: float
    seed: int


def plan_morning(rng: random.Random, n_cars: int, first: int,
                 residents: list[tuple[str, float]] | None = None) -> Morning:
    """One morning's traffic; ``residents`` (tag, body loss): the seed's resident cars, drawn
    without repeats (None: every resident a new tag)."""
    cars: list[Car] = []
    pool = rng.sample(residents, len(residents)) if residents else []

    def resident_tag(n: int) -> tuple[str, float]:
        if not pool:
            return f"eid:resident-{n}", rng.gauss(8, 3)
        tag, loss = pool.pop()
        return tag, loss + rng.gauss(0, 1.5)

    for lane, share in (("out", 0.6), ("in", 0.4)):
        t = 5.0
        count = round(n_cars * share)
        for _ in range(count):
            t += rng.expovariate(1 / 14.0)  # a car every 14 s on average: queues form now and then
            kind = rng.choices([k for k, _ in KINDS], [w for _, w in KINDS])[0]
            n = first + len(cars)
            tag, loss = None if kind == "untagged" else f"eid:{kind}-{n}", rng.gauss(8, 3)
            if kind == "resident":
                tag, loss = resident_tag(n)
            cars.append(Car(n, lane, kind, tag, loss, rng.uniform(0.2, 1.0), t, rng.choice((-1, 1))))
            if kind == "sharing":  # a second resident right behind
                n2 = first + len(cars)
                tag2, loss2 = resident_tag(n2)
                cars.append(Car(n2, lane, "resident", tag2, loss2, rng.uniform(0.2, 1.0),
                                t + rng.uniform(0.5, 2.0), rng.choice((-1, 1))))
    length = max(c.arrive for c in cars) + 60
    others = [Static("eid:parked-in", rng.gauss(8, 3), 1.0, -6.0, -3.0),  # beside the in lane, outside
              Static("eid:parked-out", rng.gauss(8, 3), 1.0, 9.0, 4.0),  # inside, next to the out lane
              Static("eid:parked-far", rng.gauss(8, 3), 1.0, 14.0, 9.0)]
    t = 0.0
    while t < length:
        t += rng.expovariate(1 / 40.0)  # a resident drives past on the street every 40 s
        side = rng.choice((-1, 1))
        others.append(Static(f"eid:passer-{first}-{round(t)}", rng.gauss(8, 3), rng.uniform(0.2, 1.0),
                             -side * 40.0, STREET_Y + rng.uniform(-2, 2), v=side * rng.uniform(6, 12),
                             start=t, end=t + 80.0 / 8))
    return Morning(sorted(cars, key=lambda c: c.arrive), others, length, rng.randrange(2**32))


# ---- deciding ----------------------------------------------------------------------------------

class NewRule:
    """edge/gate: per-lane radios, RadioLevels routing, the pure lane (associate + decide + fsm)."""

    name = "new rule (a radio per lane)"

    def __init__(self, threshold: int, radios: dict[str, Antenna] = NEW_RADIOS, explain: bool = False,
                 **settings: float):
        self._radios = radios
        self.explain = explain
        self.log: dict[str, list[tuple[float, str, int, float | None]]] = {}  # tag: (t, radio, rssi, margin)
        self.cars: list[Car] = []
        self.before_open: dict[str, decide.LaneState] = {}
        self.others: list[Static] = []
        rules = {lane: LaneRules(name=lane, direction=lane, wired=frozenset({"arming_loop", "photo_eye"}),
                                 rssi_threshold=threshold, **settings) for lane in LANE_X}
        self.lanes = {lane: Lane(r) for lane, r in rules.items()}
        self.levels = RadioLevels({lane: [lane] for lane in LANE_X}, window=1.5, stale=3.0)
        self.status: dict[str, str] = {}
        self.on_loop: dict[str, dict[int, Car]] = {lane: {} for lane in LANE_X}
        self.current: dict[str, Car | None] = {}
        self.now = 0.0

    def radios(self) -> dict[str, Antenna]:
        return self._radios

    def verdict(self, lane: str):
        return lambda tag: decide.judge(self.status.get(tag, "unknown_tag"), lane, None)

    def heard(self, radio: str, tag: str, rssi: int) -> None:
        for lane, margin in self.levels.heard(tag, radio, rssi, self.now):
            if self.explain:
                self.log.setdefault(tag, []).append((self.now, radio, rssi, margin))
            self.send(lane, Heard(tag, rssi, self.now, margin))

    def send(self, lane: str, event) -> None:
        before = {v.key for v in self.lanes[lane].traffic.queue}
        prior = self.lanes[lane].traffic
        self.lanes[lane], _ = step(self.lanes[lane], event, self.now, self.verdict(lane))
        if self.explain:  # what the lane knew just before it opened (the open consumes every tag)
            undecided = {v.key for v in prior.queue if v.decision is None}
            if any(v.decision == "open" and v.key in undecided for v in self.lanes[lane].traffic.queue):
                self.before_open[lane] = prior
        for v in self.lanes[lane].traffic.queue:  # a new vehicle at the lane: the car over the loop now
            if v.key not in before and self.current.get(lane) is not None:
                self.on_loop[lane][v.key] = self.current[lane]

    def loop(self, lane: str, car: Car | None, active: bool) -> None:
        self.current[lane] = car
        if active != self.lanes[lane].traffic.loop:
            self.send(lane, InputChanged("arming_loop", active))

    def eye(self, lane: str, active: bool) -> None:
        self.send(lane, InputChanged("photo_eye", active))

    def guard(self, lane: str) -> None:
        if self.explain:  # why the car's own tag did not open: the lane's verdict on it as the guard opens
            traffic = self.lanes[lane].traffic
            v = next((v for v in traffic.queue if v.decision is None), None)
            car = self.on_loop[lane].get(v.key) if v is not None else None
            if car is not None and car.tag and car.kind in ALLOWED:
                own = next((j for j in decide.associated(traffic, v, self.now, self.lanes[lane].rules)
                            if j.tag == car.tag), None)
                car.refusal = "not heard" if own is None else (own.why_not or "candidate, not chosen")
        self.send(lane, OpenCommand("manual", by="booth"))

    def tick(self) -> None:
        for lane in LANE_X:
            self.send(lane, Tick())
        for lane, cars in self.on_loop.items():
            for v in self.lanes[lane].traffic.queue:
                car = cars.get(v.key)
                if car is not None and v.decision == "open" and car.opened_at is None:
                    car.opened_at, car.open_reason, car.open_tag = self.now, v.reason, v.tag
                    if self.explain and v.reason in ("allowlisted", "passback") and v.tag != car.tag:
                        car.story = self.story(lane, v, car)

    def story(self, lane: str, vehicle, car: Car) -> str:
        """--explain: who was on the loop, which tag opened and what the lane knew of every tag near."""
        now, rules, after = self.now, self.lanes[lane].rules, self.lanes[lane].traffic
        prior = self.before_open.get(lane, after)  # consumed and cooling as just before the open
        traffic = replace(after, cooldown=prior.cooldown, tracks={
            t: replace(tr, consumed_at=prior.tracks[t].consumed_at if t in prior.tracks else None)
            for t, tr in after.tracks.items()})
        by_tag = {c.tag: c for c in self.cars if c.tag}

        def who(tag: str | None) -> str:
            if tag is None:
                return "no tag"
            c = by_tag.get(tag)
            if c is None:
                o = next((o for o in self.others if o.tag == tag), None)
                where = "" if o is None else " at ({:.1f}, {:.1f})".format(*o.xy(now))
                return f"{tag} ({'parked' if 'parked' in tag else 'passing'}{where})"
            x, y = c.xy()
            loop = "" if c.loop_at is None else f", on the loop since {c.loop_at:.1f}"
            return (f"{tag} (car {c.n}, {c.kind}, {c.lane} lane, {c.state}, tag at ({x:.1f}, {y:.1f}), "
                    f"arrived {c.arrive:.1f}{loop}, body loss {c.loss:.1f} dB, advert every {c.interval:.2f} s)")

        def history(tag: str | None) -> list[str]:
            if tag is None:
                return []
            track = traffic.tracks.get(tag)
            head = (f"    {tag}: not tracked at the {lane} lane" if track is None else
                    f"    {tag}: first heard {track.first:.1f} ({vehicle.arrived - track.first:+.1f} s before the loop), "
                    f"consumed {'never' if track.consumed_at is None else f'at {track.consumed_at:.1f}'}, "
                    f"usual level {track.baseline:.1f} dBm, lane margin {track.margin}")
            rows = [head]
            for radio in LANE_X:
                seen = [(t, r, m) for t, rd, r, m in self.log.get(tag, ()) if rd == radio and now - 15 <= t <= now]
                rows.append(f"      {radio} radio: " + " ".join(
                    f"{t:.1f}:{r}" + ("" if m is None else f"/{m:+.0f}") for t, r, m in seen))
            return rows

        lines = [f"  car {car.n} ({car.kind}, {car.lane} lane, own tag {car.tag}) on the loop at {car.loop_at:.1f}, "
                 f"vehicle arrived {vehicle.arrived:.1f}, opened at {now:.1f} ({vehicle.reason}) on {vehicle.tag}",
                 f"    evidence: {vehicle.evidence}",
                 f"    the tag that opened: {who(vehicle.tag)}",
                 f"    the car's own tag: {who(car.tag)}",
                 "    at the lane: " + "; ".join(who(c.tag) if c.tag else f"car {c.n} (untagged, {c.state})"
                                                for c in self.cars if c.lane == lane and c.arrive <= now
                                                and c.state != "gone" and c is not car)]
        lines += history(vehicle.tag) + ([] if car.tag == vehicle.tag else history(car.tag))
        lines.append("    every tag the lane judged (before the open): " + " | ".join(
            j.evidence() for j in decide.associated(traffic, vehicle, now, rules)))
        return "\n".join(lines)


class OldRule:
    """Before issue 17 (edge/gate/decide.py at 09414ce): one radio, every sighting to every lane."""

    name = "old rule (one radio, strongest tag)"

    def __init__(self, threshold: int):
        self.threshold = threshold
        self.heard_at: dict[str, tuple[int, float]] = {}
        self.cooldown: dict[str, dict[str, float]] = {lane: {} for lane in LANE_X}
        self.waiting: dict[str, Car | None] = {lane: None for lane in LANE_X}
        self.status: dict[str, str] = {}
        self.now = 0.0

    def radios(self) -> dict[str, Antenna]:
        return {"gate": OLD_RADIO}

    def heard(self, radio: str, tag: str, rssi: int) -> None:
        self.heard_at[tag] = (rssi, self.now)

    def loop(self, lane: str, car: Car | None, active: bool) -> None:
        self.waiting[lane] = car if active else None

    def eye(self, lane: str, active: bool) -> None:
        pass

    def guard(self, lane: str) -> None:
        car = self.waiting[lane]
        if car is not None and car.opened_at is None:
            car.opened_at, car.open_reason = self.now, "manual"  # a person's open: no cooldown

    def tick(self) -> None:
        for lane, car in self.waiting.items():
            if car is None or car.opened_at is not None:
                continue
            best = None
            for tag, (rssi, at) in self.heard_at.items():
                if rssi < self.threshold or self.now - at > 3.0 or self.cooldown[lane].get(tag, -1) > self.now:
                    continue
                if best is None or rssi > best[1]:
                    best = (tag, rssi)
            if best and self.status.get(best[0]) == "allowed":
                car.opened_at, car.open_reason, car.open_tag = self.now, "allowlisted", best[0]
                self.cooldown[lane][best[0]] = self.now + 20.0


# ---- running a morning -------------------------------------------------------------------------

def run_morning(morning: Morning, rule, seed: int, index: int = 0) -> list[Car]:
    rng = random.Random(seed)
    cars = [Car(**{k: getattr(c, k) for k in ("n", "lane", "kind", "tag", "loss", "interval", "arrive", "side")},
                morning=index) for c in morning.cars]
    for c in cars:
        if c.tag:
            rule.status[c.tag] = "allowed" if c.kind in ALLOWED or c.kind == "resident" else (
                "revoked" if c.kind == "revoked" else "unknown_tag")
    others = [replace(o, next_adv=0.0) for o in morning.others]  # each rule's run starts them afresh
    if getattr(rule, "explain", False):
        rule.cars, rule.others = cars, others
    for o in others:
        rule.status[o.tag] = "allowed"
    radios = rule.radios()
    loop_car: dict[str, Car | None] = {lane: None for lane in LANE_X}
    eye_state = {lane: False for lane in LANE_X}
    t = 0.0
    while t < morning.length:
        t = round(t + DT, 6)
        rule.now = t
        _move(cars, t)
        for lane in LANE_X:
            here = [c for c in cars if c.lane == lane and c.state != "gone" and c.arrive <= t]
            on = next((c for c in here if _over_loop(c) and c.state != "passing"), None)
            if on is None:
                on = next((c for c in here if _over_loop(c)), None)
            if on is not loop_car[lane]:
                loop_car[lane] = on
                if on is not None and on.loop_at is None:
                    on.loop_at = t
                rule.loop(lane, on, on is not None)
            blocked = any(c.front() <= 0.0 <= c.front() + 4.5 for c in here)
            if blocked != eye_state[lane]:
                eye_state[lane] = blocked
                rule.eye(lane, blocked)
            waiting = next((c for c in here if c.loop_at is not None and c.opened_at is None), None)
            if waiting is not None and t - waiting.loop_at >= GUARD_AFTER:
                rule.guard(lane)
        for c in cars:
            if c.tag and c.arrive <= t and c.state != "gone" and t >= c.next_adv:
                c.next_adv = t + c.interval
                _advertise(rule, radios, c.tag, *c.xy(), c.loss, rng, c)
        for o in others:
            if o.start <= t <= o.end and t >= o.next_adv:
                o.next_adv = t + o.interval
                _advertise(rule, radios, o.tag, *o.xy(t), o.loss, rng)
        rule.tick()
    return cars


def _advertise(rule, radios, tag, x, y, loss, rng, car: Car | None = None) -> None:
    for radio, antenna in radios.items():
        if rng.random() < 0.8:
            rssi = rssi_at(antenna, x, y, loss, rng)
            rule.heard(radio, tag, rssi)
            if car is not None and car.loop_at is not None and car.opened_at is None and radio in (car.lane, "gate"):
                car.heard_best = rssi if car.heard_best is None else max(car.heard_best, rssi)


def _over_loop(car: Car) -> bool:
    front = car.front()
    return front < 3.5 and front + 4.5 > 1.5 and car.state != "gone"


def _move(cars: list[Car], t: float) -> None:
    ahead: dict[str, Car | None] = {lane: None for lane in LANE_X}
    for car in cars:
        if car.arrive > t or car.state == "gone":
            continue
        lead = ahead[car.lane]
        if car.opened_at is not None and t - car.opened_at >= 1.5:
            car.state = "passing"
        if car.state == "passing":
            car.s -= 3.0 * DT
            if car.s < -40:
                car.state = "gone"
        else:
            stop = 2.0  # front 0.5 m before the arm
            if lead is not None and lead.state != "gone":
                stop = max(stop, lead.s + 7.0)
            speed = min(4.0, max(0.5, (car.s - stop)))  # slows down as it closes in
            car.s = max(stop, car.s - speed * DT)
        if car.state != "gone":
            ahead[car.lane] = car


# ---- scoring -----------------------------------------------------------------------------------

def calibrate(rng: random.Random, radios: dict[str, Antenna] = NEW_RADIOS) -> int:
    """docs/gate.md: the typical loop RSSI of each of 200 tagged cars (median of a minute's
    readings); the weakest cars' value (5th percentile) minus 3 dB."""
    cars = []
    for _ in range(200):
        loss = rng.gauss(8, 3)
        lane = rng.choice(("in", "out"))
        y = -2.0 if lane == "in" else 2.0
        readings = [rssi_at(radios[lane], LANE_X[lane], y, loss, rng) for _ in range(62)]
        # what the passages show: the lane's smoothed level (the strongest of each three readings)
        cars.append(statistics.median(max(readings[i:i + 3]) for i in range(60)))
    cars.sort()
    return round(cars[len(cars) // 20]) - 3


def score(cars: list[Car]) -> dict[str, float]:
    arrived = [c for c in cars if c.loop_at is not None]
    auto = [c for c in arrived if c.open_reason in ("allowlisted", "passback")]
    let_in = [c for c in auto if c.kind not in ALLOWED and c.kind != "resident"]
    other_tag = [c for c in auto if c.open_tag != c.tag]
    residents = [c for c in arrived if c.kind in ("resident", "sharing")]
    refused = [c for c in residents if c.open_reason not in ("allowlisted", "passback")]
    # Not the association's fault: while the car waited on the loop, no single reading of its own tag
    # at its lane's radio reached the threshold (a weak tag deep in a car; the radio never heard it near).
    unheard = [c for c in refused if c.heard_best is None or c.heard_best < c.threshold]
    waits = sorted(c.opened_at - c.loop_at for c in auto if c.opened_at is not None and c.tag == c.open_tag)
    per = 10_000 / max(1, len(arrived))
    opened_on = {}  # (morning, tag) → the cars opened on it
    for o in cars:
        if o.open_tag:
            opened_on.setdefault((o.morning, o.open_tag), []).append(o)
    causes = {**{f"wrong: {k}": v * per for k, v in _whose(other_tag, cars).items()},
              "refused: own tag taken by another car": per * sum(
                  1 for c in refused if any(o is not c for o in opened_on.get((c.morning, c.tag), ())))}
    return {"causes": causes, "vehicles": len(arrived), "let_in": len(let_in) * per, "other_tag": len(other_tag) * per,
            "refused": 100 * len(refused) / max(1, len(residents)),
            "unheard": 100 * len(unheard) / max(1, len(residents)),
            "p50": 1000 * statistics.median(waits) if waits else float("nan"),
            "p99": 1000 * waits[min(len(waits) - 1, int(0.99 * len(waits)))] if waits else float("nan")}


def _whose(opened: list[Car], cars: list[Car]) -> dict[str, int]:
    """Whose tag opened for another car: the car behind or in front in its lane, the other lane's,
    a parked or passing car's (the breakdown behind 'opened on another car's tag')."""
    by_tag = {(c.morning, c.tag): c for c in cars if c.tag}  # a resident comes once a morning
    out: dict[str, int] = {}
    for c in opened:
        owner = by_tag.get((c.morning, c.open_tag))
        if owner is None:
            whose = "a parked car's tag" if "parked" in (c.open_tag or "") else "a passing car's tag"
        elif owner.lane != c.lane:
            whose = "the other lane's car's tag"
        else:
            whose = "the tag of the car behind" if owner.arrive > c.arrive else "the tag of the car in front"
        out[whose] = out.get(whose, 0) + 1
    return out


@dataclass
class SeedRun:
    """One rule on one seed's mornings."""

    cars: list[Car]
    cpu: float
    stories: list[str]  # --explain
    refusals: dict[str, int]  # --explain: the lane's verdicts on refused residents' own tags
    thresholds: dict[str, int]  # the calibrated threshold per mount


def run_seed(seed: int, args: argparse.Namespace) -> dict[str, SeedRun]:
    """One seed's mornings under every rule, by rule name."""
    rng = random.Random(seed)
    mounts = list(MOUNTS) if args.mount == "both" else [args.mount]
    thresholds = {m: calibrate(random.Random(seed), MOUNTS[m]) for m in MOUNTS}
    mornings = []
    # the seed's resident cars (tags distinct across seeds: the seeds' cars are scored together)
    # each car's own body loss, σ 2.6 dB: with ± 1.5 dB from day to day, 8 ± 3 dB like a new car's
    residents = [(f"eid:resident-{seed}-{k}", rng.gauss(8, 2.6)) for k in range(args.residents)]
    while sum(len(m.cars) for m in mornings) < args.vehicles:
        # car numbers (and tags) distinct across seeds: the seeds' cars are scored together
        mornings.append(plan_morning(rng, args.per_morning, first=seed * 1_000_000 + sum(len(m.cars) for m in mornings),
                                     residents=residents))
    settings = {m: {**MOUNT_RULES[m], **args.set} for m in MOUNTS}
    makers = [(f"{NewRule.name}, {MOUNT_NAMES[m]}", thresholds[m],
               lambda m=m: NewRule(thresholds[m], MOUNTS[m], args.explain, **settings[m])) for m in mounts]
    if args.residents and "island" in mounts and not args.no_without:  # the same, not knowing any tag's loop level
        makers.append((f"{NewRule.name}, {MOUNT_NAMES['island']}, no loop levels", thresholds["island"],
                       lambda: NewRule(thresholds["island"], MOUNTS["island"], args.explain,
                                       **{**settings["island"], "loop_after": 0})))
    if not args.no_old:
        makers.append((OldRule.name, thresholds["arm"], lambda: OldRule(thresholds["arm"])))
    out = {}
    for name, th, make in makers:
        started = time.process_time()
        cars: list[Car] = []
        stories: list[str] = []
        levels: dict[str, object] = {}  # the lanes' loop levels, carried from morning to morning
        for k, morning in enumerate(mornings):
            rule = make()
            if isinstance(rule, NewRule):
                rule.lanes = {lane: replace(lg, traffic=replace(lg.traffic, loop_levels=levels.get(lane, {})))
                              for lane, lg in rule.lanes.items()}
            cars += run_morning(morning, rule, morning.seed, k)
            if isinstance(rule, NewRule):
                levels = {lane: lg.traffic.loop_levels for lane, lg in rule.lanes.items()}
            stories += [f"{name}, seed {seed}, morning {k}:\n{c.story}" for c in cars[-len(morning.cars):] if c.story]
        refusals: dict[str, int] = {}
        for c in cars:
            if c.refusal and c.open_reason not in ("allowlisted", "passback"):
                refusals[c.refusal] = refusals.get(c.refusal, 0) + 1
        for c in cars:  # scored with its own seed's calibration
            c.threshold = th
        out[name] = SeedRun(cars, time.process_time() - started, stories, refusals, thresholds)
    return out


def _setting(item: str) -> tuple[str, float | int]:
    """``--set KEY=VALUE``: a number for a LaneRules field (not the threshold: it is calibrated)."""
    key, _, value = item.partition("=")
    numbers = {f.name: type(f.default) for f in fields(LaneRules) if type(f.default) in (int, float)}
    if key not in numbers or key == "rssi_threshold":
        raise SystemExit(f"--set {item}: not a lane setting to set here (one of {', '.join(sorted(numbers))})")
    try:
        return key, numbers[key](value)
    except ValueError:
        raise SystemExit(f"--set {item}: {key} takes a{'n integer' if numbers[key] is int else ' number'}") from None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vehicles", type=int, default=10_000, help="vehicles per seed")
    parser.add_argument("--per-morning", type=int, default=500)
    parser.add_argument("--seeds", default="1,2,3", help="comma-separated; each its own mornings, run in parallel")
    parser.add_argument("--mount", choices=(*MOUNTS, "both"), default="both")
    parser.add_argument("--no-old", action="store_true", help="skip the old rule")
    parser.add_argument("--residents", type=int, default=600,
                        help="the resident cars each seed's mornings draw from (0: every car a new tag)")
    parser.add_argument("--no-without", action="store_true",
                        help="skip the patch-antenna rule that knows no tag's loop level")
    parser.add_argument("--explain", action="store_true",
                        help="print, for each open on another car's tag, what the lane saw (the new rule)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a lane setting for the new rule (edge/gate/model.py LaneRules), e.g. loop_drop=10")
    args = parser.parse_args()
    args.set = dict(_setting(item) for item in args.set)
    seeds = sorted({int(s) for s in args.seeds.split(",")})  # each seed once: its cars are scored once
    mounts = list(MOUNTS) if args.mount == "both" else [args.mount]
    with multiprocessing.get_context("fork").Pool(min(len(seeds), os.cpu_count() or 1)) as pool:
        runs = dict(zip(seeds, pool.starmap(run_seed, [(seed, args) for seed in seeds])))
    names = list(runs[seeds[0]])
    rows, per_seed = [], []
    for name in names:
        cars = [c for seed in seeds for c in runs[seed][name].cars]
        rows.append((name, score(cars), sum(runs[seed][name].cpu for seed in seeds)))
        per_seed += [(name, seed, score(runs[seed][name].cars)) for seed in seeds]
    thresholds = {m: sorted({runs[seed][names[0]].thresholds[m] for seed in seeds}) for m in mounts}
    vehicles = rows[0][1]["vehicles"]
    print(f"### Gate association: seeds {args.seeds}, {vehicles:.0f} vehicles at two lanes, about "
          f"{args.vehicles} per seed in mornings of {args.per_morning} (thresholds by calibration: " + ", ".join(
              f"{MOUNT_NAMES[m]} {'/'.join(str(t) for t in thresholds[m])} dBm" for m in mounts) + ")\n")
    print("| rule | vehicles | not-allowed cars let in by a tag, per 10,000 | opened on another car's tag, "
          "per 10,000 | residents refused | of which own tag never heard near | loop → open p50 | p99 | CPU |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, s, cpu in rows:
        print(f"| {name} | {s['vehicles']:.0f} | {s['let_in']:.1f} | {s['other_tag']:.1f} | {s['refused']:.2f} % | "
              f"{s['unheard']:.2f} % | {s['p50']:.0f} ms | {s['p99']:.0f} ms | {cpu:.0f} s |")
    if len(seeds) > 1:
        print("\nEach seed alone (one wrong open is 1 per 10,000; the seeds show how much one run's numbers move):\n")
        print("| rule | seed | let in /10,000 | other car's tag /10,000 | refused |")
        print("|---|---|---|---|---|")
        for name, seed, s in per_seed:
            print(f"| {name} | {seed} | {s['let_in']:.1f} | {s['other_tag']:.1f} | {s['refused']:.2f} % |")
    print("\n| cause, per 10,000 vehicles | " + " | ".join(name for name, _, _ in rows) + " |")
    print("|---|" + "---|" * len(rows))
    for cause in sorted({k for _, r, _ in rows for k in r["causes"]}):
        print(f"| {cause} | " + " | ".join(f"{r['causes'].get(cause, 0.0):.1f}" for _, r, _ in rows) + " |")
    print("\nGoals (issue 17): wrong opens 0 per 10,000 vehicles; residents refused ≤ 1 %. "
          "Loop → open is counted in 0.1 s simulation steps, for residents opened on their own tag. "
          "'Own tag never heard near': no single reading of the resident's tag at its lane's radio reached the "
          "threshold while it waited — the radio's limit, not the association's; the rest were refused by the rule.")
    if args.explain:
        print("\n## Residents refused: the lane's verdict on their own tag as the guard opened\n")
        for name in names:
            refusals: dict[str, int] = {}
            for seed in seeds:
                for why, n in runs[seed][name].refusals.items():
                    refusals[why] = refusals.get(why, 0) + n
            if refusals:
                print(f"{name}: " + ", ".join(f"{why} {n}" for why, n in sorted(refusals.items(), key=lambda i: -i[1])))
        print("\n## Opens on another car's tag (RSSI as time:dBm/lane margin, the last 15 s)\n")
        stories = [story for seed in seeds for name in names for story in runs[seed][name].stories]
        print("\n\n".join(stories) if stories else "none")
    return 0


if __name__ == "__main__":
    sys.exit(main())

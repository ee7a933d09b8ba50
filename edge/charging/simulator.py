"""A charger simulator (充电器模拟): realistic e-bike chargers on one circuit (pure, seeded).

Profiles (see research/charging_anchors.md §2):

* ``lithium`` — constant current at 95–110 W (48 V; 60 V and 72 V packs draw up to ~380 W),
  then a taper of 1–2 h down to 5–10 W (full, green LED) where it stays until unplugged;
* ``lead_acid`` — three stages: CC at 100–130 W, a step down to CV at ~55 % that decays to
  ~20 W over 1.5–3 h, then float at 8–14 W;
* faulty chargers: ``no_taper`` (stays in CC: a lead-acid pack that never reaches float),
  ``modified`` (450–700 W: a tampered charger or a heater on the socket), ``pulsing``
  (a loose plug: on/off every 10–30 s).

A charger counts as *active* (drawing power: what ``loads`` estimates) while it draws at least
:data:`ACTIVE_W`.  Measurements add plug-in inrush, charger ripple, meter noise and the 0.1 W
resolution of a PZEM.  Everything is driven by a ``random.Random`` so runs repeat exactly.
Used by the tests, ``gatewarden demo`` and ``bench/charging_count.py``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timezone

from .model import Reading

ACTIVE_W = 15.0
KINDS = ("lithium", "lead_acid", "no_taper", "modified", "pulsing")


@dataclass(frozen=True)
class Charger:
    """One charger's electrical profile and its plug/unplug times (seconds from the start)."""

    kind: str
    plug_s: float
    unplug_s: float
    cc_w: float
    cc_s: float
    taper_s: float
    full_w: float
    power_factor: float = 0.9
    inrush: float = 1.0
    period_s: float = 20.0
    taper_rate: float = 4.0   # lithium: exp(−rate·age/taper_s)
    cv_shape: float = 1.5     # lead-acid CV: (1 − age/taper_s) ** shape
    cv_drop: float = 0.45     # lead-acid CC → CV: the share of power lost

    def power(self, t: float) -> float:
        """Noise-free power at ``t`` seconds from the start of the simulation."""
        if t < self.plug_s or t >= self.unplug_s:
            return 0.0
        age = t - self.plug_s
        if self.kind == "pulsing":
            return self.cc_w if int(age // self.period_s) % 2 == 0 else 0.0
        if self.kind in ("no_taper", "modified") or age < self.cc_s:
            return self.cc_w
        return self._after_cc(age - self.cc_s)

    def _after_cc(self, age: float) -> float:
        if self.kind == "lithium":
            if age >= self.taper_s:
                return self.full_w
            return self.full_w + (self.cc_w - self.full_w) * math.exp(-self.taper_rate * age / self.taper_s)
        cv_start = (1.0 - self.cv_drop) * self.cc_w
        if age >= self.taper_s:
            return self.full_w
        return 20.0 + (cv_start - 20.0) * (1 - age / self.taper_s) ** self.cv_shape

    def active(self, t: float) -> bool:
        return self.power(t) >= ACTIVE_W


def random_charger(rng: random.Random, *, plug_s: float, unplug_s: float,
                   kind: str | None = None) -> Charger:
    """A charger drawn from the mix a shed sees (mostly 48 V lithium and lead-acid)."""
    kind = kind or rng.choices(["lithium", "lead_acid"], weights=[60, 40])[0]
    size = rng.choices([1.0, 1.6, 3.0], weights=[80, 15, 5])[0]  # 48 V, 60 V, 72 V
    cc_w = rng.uniform(95, 130) * size
    if kind == "modified":
        cc_w = rng.uniform(450, 700)
    return Charger(
        kind=kind, plug_s=plug_s, unplug_s=unplug_s, cc_w=cc_w,
        cc_s=rng.uniform(0.3, 5.0) * 3600, taper_s=rng.uniform(1.0, 2.5) * 3600,
        full_w=rng.uniform(5, 10) if kind == "lithium" else rng.uniform(8, 14),
        power_factor=1.0 if kind == "modified" else rng.uniform(0.55, 0.95),
        inrush=rng.uniform(1.2, 2.5), period_s=rng.uniform(10, 30),
    )


def random_evening(rng: random.Random, *, max_chargers: int = 8, hours: float = 6.0,
                   faulty_share: float = 0.0) -> list[Charger]:
    """1..max_chargers plug-ins over an evening; a few leave before the end."""
    n = rng.randint(1, max_chargers)
    span = hours * 3600
    chargers = []
    for _ in range(n):
        plug = rng.uniform(0, span * 0.7)
        unplug = rng.uniform(plug + 600, span * 1.5) if rng.random() < 0.25 else math.inf
        kind = rng.choice(["no_taper", "modified", "pulsing"]) if rng.random() < faulty_share else None
        chargers.append(random_charger(rng, plug_s=plug, unplug_s=unplug, kind=kind))
    return chargers


@dataclass(frozen=True)
class Sample:
    """One measured sample of the circuit and the truth behind it."""

    t: float
    power_w: float
    current_a: float
    voltage_v: float
    true_power_w: float
    true_loads: int


class CircuitSim:
    """The chargers of one circuit as a meter sees them (noise from a seeded generator)."""

    def __init__(self, chargers: list[Charger], *, rng: random.Random, baseline_w: float = 0.0,
                 ripple_pct: float = 0.01, meter_noise_w: float = 0.5):
        self.chargers = list(chargers)
        self.rng = rng
        self.baseline_w = baseline_w
        self.ripple_pct = ripple_pct
        self.meter_noise_w = meter_noise_w

    def add(self, charger: Charger) -> None:
        self.chargers.append(charger)

    def sample(self, t: float) -> Sample:
        true_power = self.baseline_w
        measured = self.baseline_w
        amps = 0.0
        loads = 0
        volts = 220.0 + self.rng.gauss(0, 1.5)
        for charger in self.chargers:
            p = charger.power(t)
            if p <= 0:
                continue
            true_power += p
            loads += p >= ACTIVE_W
            spike = charger.inrush if 0 <= t - charger.plug_s < 1.0 else 1.0
            m = p * spike * (1 + self.rng.gauss(0, self.ripple_pct))
            measured += m
            amps += m / (volts * charger.power_factor)
        measured = max(0.0, measured + self.rng.gauss(0, self.meter_noise_w))
        amps += self.baseline_w / volts
        return Sample(t, round(measured, 1), round(amps, 3), round(volts, 1),
                      true_power, loads)


class SimulatedSource:
    """A :class:`edge.charging.model.PowerSource` over simulated circuits (the demo's meters)."""

    name = "simulator"

    def __init__(self, circuits: dict[str, CircuitSim], *, clock, start: datetime | None = None):
        self._sims = dict(circuits)
        self._clock = clock
        self._start = start or clock.now()
        self._energy = {name: 0.0 for name in self._sims}
        self._last_t: float | None = None

    @property
    def circuits(self) -> tuple[str, ...]:
        return tuple(self._sims)

    def poll(self) -> list[Reading]:
        now = self._clock.now()
        t = (now - self._start).total_seconds()
        dt = 0.0 if self._last_t is None else max(0.0, t - self._last_t)
        self._last_t = t
        readings = []
        for name, sim in self._sims.items():
            s = sim.sample(t)
            self._energy[name] += s.power_w * dt / 3600
            readings.append(Reading(name, now.astimezone(timezone.utc), s.voltage_v,
                                    s.current_a, s.power_w, round(self._energy[name], 1)))
        return readings

    def close(self) -> None:
        return None

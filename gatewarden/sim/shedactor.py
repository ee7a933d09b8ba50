"""The e-bike charging shed in the simulator: chargers plugged in and out, the real charger counting."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from edge.charging.device import ChargingDevice
from edge.charging.simulator import Charger, CircuitSim, SimulatedSource

from .device import Actor
from .night import Plug

STEP = timedelta(seconds=10)  # one reading of every meter per step of simulated time


def chargers_of(plugs: list[Plug], start: datetime) -> dict[str, list[Charger]]:
    """Pair each plug-in with its unplug (same circuit and port) into simulated chargers."""
    open_at: dict[tuple[str, int], Plug] = {}
    made: dict[str, list[Charger]] = {}
    for plug in sorted(plugs):
        key = (plug.circuit, plug.port)
        if plug.watts > 0:
            open_at[key] = plug
            continue
        began = open_at.pop(key, None)
        if began is not None:
            made.setdefault(plug.circuit, []).append(_charger(began, plug.at, start))
    for key, began in open_at.items():
        made.setdefault(key[0], []).append(_charger(began, None, start))
    return made


def _charger(plug: Plug, unplugged: datetime | None, start: datetime) -> Charger:
    rng = random.Random(f"{plug.circuit}/{plug.port}/{plug.at.isoformat()}")
    lithium = plug.profile == "lithium"
    return Charger(kind="lithium" if lithium else "lead_acid", plug_s=(plug.at - start).total_seconds(),
                   unplug_s=(unplugged - start).total_seconds() if unplugged else math.inf,
                   cc_w=plug.watts, cc_s=rng.uniform(1.5, 4.0) * 3600, taper_s=rng.uniform(1.0, 2.0) * 3600,
                   full_w=rng.uniform(5, 10) if lithium else rng.uniform(8, 14), power_factor=0.8)


class ShedActor(Actor):
    """Simulated meters on the shed's circuits, read by the real charging device."""

    def __init__(self, config, daemon, clock, night, stamps=None):
        super().__init__(config, daemon, clock, night, stamps)
        start = night.start
        chargers = chargers_of(night.of(Plug), start)
        circuits = {meter.circuit for meter in config.meters} | set(chargers)
        sims = {name: CircuitSim(chargers.get(name, []), rng=random.Random(name)) for name in sorted(circuits)}
        self.source = SimulatedSource(sims, clock=clock, start=start)
        self.device = ChargingDevice(config.charging, [self.source], sink=daemon.outbox, clock=self.stamps)

    def until(self, moment: datetime) -> None:
        at = self.clock.now()
        while at < moment:
            at = min(at + STEP, moment)
            self.advance_to(at)
            self.device.step()

    def stop(self) -> None:
        self.device.close()

"""What every power source delivers, whatever the meter: our own frozen dataclasses.

A source converts its library's objects (pymodbus responses, gpiozero values, MQTT payloads)
into :class:`Reading` at its boundary, or says :class:`Unreadable` with a one-line reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, Union


@dataclass(frozen=True)
class Reading:
    """One measurement of one circuit (线路).

    ``energy_wh`` is the meter's raw energy counter in Wh (wraps and reboots are handled later,
    by :class:`edge.charging.energy.EnergyCounter`); ``None`` where the meter has no counter.
    ``voltage_v``/``current_a`` are ``None`` where the meter does not measure them.
    """

    circuit: str
    ts: datetime
    voltage_v: float | None
    current_a: float | None
    power_w: float
    energy_wh: float | None


@dataclass(frozen=True)
class Unreadable:
    """A circuit whose meter did not answer (or answered nonsense) this time."""

    circuit: str
    ts: datetime
    reason: str


Poll = Union[Reading, Unreadable]


class PowerSource(Protocol):
    """A meter or a group of meters (one Modbus bus, one MQTT subscription) behind one interface."""

    name: str

    @property
    def circuits(self) -> tuple[str, ...]:
        """The circuits this source measures."""

    def poll(self) -> list[Poll]:
        """One reading (or an Unreadable) per circuit, now; never raises for a meter fault."""

    def close(self) -> None:
        """Release the port, pins or connection."""

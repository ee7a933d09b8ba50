"""Energy counters that survive wraps and meter reboots (pure; no I/O).

Meters count energy in their own way: the PZEM-004T counts Wh and wraps at 9999.99 kWh, a
Shelly Gen1 counts watt-minutes from its last reboot, a Tasmota ``Total`` can be reset with
``EnergyReset``.  :class:`EnergyCounter` turns such a raw counter into a total that never goes
back: a wrap adds the counter's modulus, any other fall is a reboot or reset and the counting
goes on from the new raw value.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

PZEM_WRAP_WH = 10_000_000.0  # 9999.99 kWh, then 0


@dataclass(frozen=True)
class EnergyCounter:
    """State of one circuit's counter: ``offset_wh`` + raw = the running total."""

    wrap_wh: float | None = None
    last_raw_wh: float | None = None
    offset_wh: float = 0.0
    wraps: int = 0
    resets: int = 0

    @property
    def total_wh(self) -> float | None:
        return None if self.last_raw_wh is None else self.offset_wh + self.last_raw_wh


def advance(counter: EnergyCounter, raw_wh: float) -> EnergyCounter:
    """Take a new raw reading; the total never decreases."""
    last = counter.last_raw_wh
    if last is None or raw_wh >= last:
        return replace(counter, last_raw_wh=raw_wh)
    if counter.wrap_wh and last > 0.9 * counter.wrap_wh and raw_wh < 0.1 * counter.wrap_wh:
        return replace(counter, last_raw_wh=raw_wh, offset_wh=counter.offset_wh + counter.wrap_wh,
                       wraps=counter.wraps + 1)
    return replace(counter, last_raw_wh=raw_wh, offset_wh=counter.offset_wh + last,
                   resets=counter.resets + 1)

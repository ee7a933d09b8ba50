"""A CT clamp (电流互感器) through an MCP3008 ADC, read with gpiozero.

The clamp's burden resistor sits on a mid-rail bias, so the ADC sees the mains current as a sine
around Vref/2.  One reading takes ``samples`` conversions (at least ten mains cycles with hardware
SPI), removes the bias (the mean) and takes the RMS; ``amps_per_volt`` (the clamp's ratio, then
calibrate against a known load) gives amperes; with no voltage channel the power is apparent
power at the nominal voltage.  Good for "something is drawing", blind to the 5–20 W tail.
"""

from __future__ import annotations

import logging
import math
from typing import Sequence

from gwcommon.clock import Clock

from .config import CtMeter
from .model import Poll, Reading, Unreadable

logger = logging.getLogger(__name__)


def rms_amps(volts: Sequence[float], amps_per_volt: float, noise_floor_a: float = 0.0) -> float:
    """RMS current from ADC voltages around a bias (pure)."""
    if len(volts) < 2:
        raise ValueError("need at least two samples for an RMS")
    mean = sum(volts) / len(volts)
    rms = math.sqrt(sum((v - mean) ** 2 for v in volts) / len(volts)) * amps_per_volt
    return 0.0 if rms < noise_floor_a else rms


class CtClamps:
    """A :class:`~edge.charging.model.PowerSource`: CT clamps on MCP3008 channels."""

    name = "ct"

    def __init__(self, meters: list[CtMeter], *, clock: Clock, pin_factory=None):
        from gpiozero import MCP3008

        self._meters = list(meters)
        self._clock = clock
        self._adcs = {m.circuit: MCP3008(channel=m.channel, device=m.spi_device, pin_factory=pin_factory)
                      for m in self._meters}

    @property
    def circuits(self) -> tuple[str, ...]:
        return tuple(m.circuit for m in self._meters)

    def poll(self) -> list[Poll]:
        return [self._read(m) for m in self._meters]

    def _read(self, meter: CtMeter) -> Poll:
        now = self._clock.now()
        adc = self._adcs[meter.circuit]
        try:
            volts = [adc.voltage for _ in range(meter.samples)]
        except Exception as exc:  # gpiozero raises its own SPI/pin errors
            return Unreadable(meter.circuit, now, f"MCP3008 channel {meter.channel}: {exc}")
        lsb = adc.max_voltage / 1023
        if max(volts) >= adc.max_voltage - lsb or min(volts) <= lsb:
            return Unreadable(meter.circuit, now, f"MCP3008 channel {meter.channel} is clipping "
                                                  "(clamp unplugged, bias missing or burden too large)")
        amps = rms_amps(volts, meter.amps_per_volt, meter.noise_floor_a)
        return Reading(meter.circuit, now, None, round(amps, 3), round(amps * meter.voltage_v, 1), None)

    def close(self) -> None:
        for adc in self._adcs.values():
            adc.close()

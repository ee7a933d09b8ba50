"""Checks of a charging device's meters: each answers, with plausible values.

The meters are read through the charging area's own sources (:func:`edge.charging.device.build_sources`),
so the doctor reads them exactly as the daemon will.  MQTT meters (Tasmota, ESPHome, Shelly) only
report every so often; they get ``env.meter_seconds`` to say something.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from .report import Check, fail, ok, warn
from .seams import Env

VOLTS = (180.0, 260.0)  # China's 220 V mains with a generous margin
MAX_AMPS = 100.0


def plausible(voltage: float | None, current: float | None, power: float) -> str:
    """Empty when the reading could be true, else what is wrong (pure)."""
    if power < 0:
        return "power < 0"
    if voltage is not None and not VOLTS[0] <= voltage <= VOLTS[1]:
        return f"voltage {voltage:g} V outside {VOLTS[0]:g}–{VOLTS[1]:g} V"
    if current is not None and not 0 <= current <= MAX_AMPS:
        return f"current {current:g} A"
    if voltage and current is not None and power > voltage * current * 1.1 + 5:
        return "power above voltage × current"
    return ""


def check_meters(config: Any, env: Env) -> list[Check]:
    meters = list(getattr(config, "meters", []) or [])
    charging = getattr(config, "charging", None)
    if not meters or charging is None:
        return [fail("meter", "meter.none")]
    try:
        from edge.charging.device import build_sources

        sources = build_sources(charging, meters, mqtt=config.mqtt, clock=env.clock,
                                device_id=f"gw-doctor-{config.device.id}-{uuid.uuid4().hex[:6]}")
    except Exception as exc:  # an incomplete install, a serial port that does not exist...
        return [fail("meter", "meter.cannot", error=str(exc))]
    try:
        latest = _poll_until_read(sources, env.meter_seconds)
    finally:
        for source in sources:
            source.close()
    return [_verdict(circuit, poll) for circuit, poll in latest.items()]


def _poll_until_read(sources: list[Any], seconds: float) -> dict[str, Any]:
    """Poll every source until each circuit gave a reading or the time is up (newest poll each)."""
    from edge.charging.model import Reading

    latest: dict[str, Any] = {}
    deadline = time.monotonic() + seconds
    while True:
        for source in sources:
            for poll in source.poll():
                if not isinstance(latest.get(poll.circuit), Reading):
                    latest[poll.circuit] = poll
        if all(isinstance(p, Reading) for p in latest.values()) or time.monotonic() >= deadline:
            return latest
        time.sleep(0.5)


def _verdict(circuit: str, poll: Any) -> Check:
    reason = getattr(poll, "reason", None)
    if reason is not None:
        return fail(f"meter.{circuit}", "meter.silent", reason=reason)
    values = {"voltage": _num(poll.voltage_v), "current": _num(poll.current_a), "power": _num(poll.power_w)}
    problem = plausible(poll.voltage_v, poll.current_a, poll.power_w)
    if problem:
        return warn(f"meter.{circuit}", "meter.odd", problem=problem, **values)
    return ok(f"meter.{circuit}", "meter.ok", **values)


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"

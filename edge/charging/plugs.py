"""Smart plugs and meter nodes in their own MQTT formats (pure: topics and payload parsing).

* Tasmota: ``<FullTopic with %prefix%=tele>SENSOR`` → ``{"ENERGY": {"Power", "Voltage",
  "Current", "Total" (kWh)}}`` (arrays on multi-channel devices); ``…tele…/LWT`` ``Online``/``Offline``.
* ESPHome: ``<topic_prefix>/sensor/<object_id>/state`` → a plain number (``nan`` when the sensor
  failed); ``<topic_prefix>/status`` ``online``/``offline``.
* Shelly Gen1: ``shellies/<id>/relay/<n>/power`` (W) and ``…/energy`` (watt-minutes, restarts
  at reboot); ``shellies/<id>/online`` ``true``/``false``.
* Shelly Gen2/3: ``<prefix>/status/switch:<n>`` → ``{"apower", "voltage", "current",
  "aenergy": {"total" (Wh)}}``; ``<prefix>/online`` ``true``/``false``.

:func:`routes` lists the topics of one meter; :func:`parse` turns one message into a
:class:`PlugUpdate` (or raises ValueError with the reason).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

WH_PER_KWH = 1000.0
WH_PER_WATT_MINUTE = 1 / 60


@dataclass(frozen=True)
class PlugUpdate:
    """What one message said about one circuit: some of the values, or availability."""

    circuit: str
    power_w: float | None = None
    voltage_v: float | None = None
    current_a: float | None = None
    energy_wh: float | None = None
    online: bool | None = None


def _tasmota(meter: Any, prefix: str) -> str:
    return meter.full_topic.replace("%prefix%", prefix).replace("%topic%", meter.topic)


def routes(meter: Any) -> dict[str, str]:
    """Topic → what it carries (``sensor``, ``power``, ``energy``, ``availability``…)."""
    kind = meter.kind
    if kind == "tasmota":
        return {_tasmota(meter, "tele") + "SENSOR": "sensor", _tasmota(meter, "tele") + "LWT": "availability"}
    if kind == "esphome":
        p = meter.topic_prefix
        named = {"power": meter.power, "current": meter.current, "voltage": meter.voltage, "energy": meter.energy}
        topics = {f"{p}/sensor/{oid}/state": field for field, oid in named.items() if oid}
        return {**topics, f"{p}/status": "availability"}
    if kind == "shelly1":
        base = f"shellies/{meter.device_id}"
        return {f"{base}/relay/{meter.relay}/power": "power", f"{base}/relay/{meter.relay}/energy": "energy",
                f"{base}/online": "availability"}
    if kind == "shelly2":
        return {f"{meter.prefix}/status/switch:{meter.switch}": "status", f"{meter.prefix}/online": "availability"}
    raise ValueError(f"{kind} is not an MQTT meter kind")


def parse(meter: Any, what: str, payload: bytes) -> PlugUpdate:
    """One message of ``meter`` on a topic carrying ``what``; ValueError names the problem."""
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ValueError("payload is not UTF-8") from None
    if what == "availability":
        return PlugUpdate(meter.circuit, online=_online(text))
    if what == "sensor":
        return _tasmota_sensor(meter, text)
    if what == "status":
        return _shelly2_status(meter, text)
    value = _number(text)
    if meter.kind == "shelly1" and what == "energy":
        return PlugUpdate(meter.circuit, energy_wh=value * WH_PER_WATT_MINUTE)
    return PlugUpdate(meter.circuit, **{_FIELDS[what]: value})


_FIELDS = {"power": "power_w", "current": "current_a", "voltage": "voltage_v", "energy": "energy_wh"}


def _online(text: str) -> bool:
    value = text.lower()
    if value in ("online", "true", "1"):
        return True
    if value in ("offline", "false", "0"):
        return False
    raise ValueError(f"availability {text[:20]!r} is neither online nor offline")


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text[:20]!r} is not a number") from None
    if math.isnan(value) or math.isinf(value):
        raise ValueError("the sensor reports no value (nan)")
    if value < 0:
        raise ValueError(f"negative reading {value}")
    return value


def _json(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"payload is not JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise ValueError("payload is not a JSON object")
    return data


def _pick(value: Any, channel: int) -> float | None:
    if isinstance(value, list):
        if channel >= len(value):
            raise ValueError(f"channel {channel} missing from {value}")
        value = value[channel]
    if value is None:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    return _number(str(value))


def _tasmota_sensor(meter: Any, text: str) -> PlugUpdate:
    energy = _json(text).get("ENERGY")
    if not isinstance(energy, dict) or "Power" not in energy:
        raise ValueError("SENSOR message has no ENERGY.Power")
    total = _pick(energy.get("Total"), meter.channel)
    return PlugUpdate(meter.circuit, power_w=_pick(energy["Power"], meter.channel),
                      voltage_v=_pick(energy.get("Voltage"), meter.channel),
                      current_a=_pick(energy.get("Current"), meter.channel),
                      energy_wh=None if total is None else total * WH_PER_KWH)


def _shelly2_status(meter: Any, text: str) -> PlugUpdate:
    data = _json(text)
    if "apower" not in data:
        raise ValueError("switch status has no apower (is the switch a metering one?)")
    aenergy = data.get("aenergy") if isinstance(data.get("aenergy"), dict) else {}
    return PlugUpdate(meter.circuit, power_w=_pick(data["apower"], 0), voltage_v=_pick(data.get("voltage"), 0),
                      current_a=_pick(data.get("current"), 0), energy_wh=_pick(aenergy.get("total"), 0))

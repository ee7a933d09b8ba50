"""Home Assistant MQTT discovery (智能家居接入): the config messages and state payloads, pure.

A decision module: builds dictionaries and topic strings, no I/O (the glue is
:mod:`hub.integrations.homeassistant`).  What the hub announces, each under
``<prefix>/<component>/gatewarden_<site>/<object_id>/config`` (retained):

- each gate lane: a ``button`` that opens it (command topic handled by the hub), a
  ``binary_sensor`` "vehicle just passed" and a ``sensor`` with the last passage.  The gate does
  not publish its loop's live state (docs/contract.md has no such topic), so the binary sensor is
  derived from passages: ``ON`` when a passage arrives, back to ``OFF`` after ``off_delay``;
- each charging circuit: power (W), current (A) and active chargers, from charging events;
- the site: cars inside, free spaces, open violations.

State topics live under ``gatewarden/<site>/hub/ha/`` (see docs/homeassistant.md).  Every entity
is available only while its edge device's retained status says ``online`` *and* the hub's own
HA link is online (``availability_mode: all``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import Field

from gwcommon.config import Duration, Section

NODE_RE = re.compile(r"[^a-zA-Z0-9_-]+")
PRESS = "PRESS"
ONLINE_TEMPLATE = "{{ 'online' if value_json.online else 'offline' }}"
PASSED_OFF_DELAY = 5  # seconds the "vehicle just passed" sensor stays on

TEXTS = {
    "zh": {"open": "开闸", "passed": "车辆刚通过", "last": "最近通行", "power": "功率", "current": "电流",
           "loads": "正在充电", "inside": "在场车辆", "free": "空余车位", "violations": "未处理违规",
           "in": "进", "out": "出", "open_d": "放行", "deny": "拒绝", "gone": "已通过", "stayed": "未通过",
           "hub": "中心机", "lane": "车道", "cars": "辆", "chargers": "个"},
    "en": {"open": "Open", "passed": "Vehicle just passed", "last": "Last passage", "power": "Power",
           "current": "Current", "loads": "Chargers active", "inside": "Cars inside", "free": "Free spaces",
           "violations": "Open violations", "in": "in", "out": "out", "open_d": "opened", "deny": "denied",
           "gone": "passed", "stayed": "did not pass", "hub": "hub", "lane": "lane", "cars": "cars",
           "chargers": "chargers"},
}


class HomeAssistantConfig(Section):
    """``[homeassistant]``: announce the compound to a Home Assistant on the same broker."""

    enabled: bool = Field(False, description="Publish Home Assistant MQTT discovery messages and entity states.")
    prefix: str = Field("homeassistant", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$",
                        description="Home Assistant's discovery prefix (its MQTT integration setting).")
    language: Literal["zh", "en"] = Field("zh", description="Language of the entity names: zh or en.")
    open_buttons: bool = Field(True, description="Offer a button per gate lane that opens it (each press is audited "
                                                 "as by 'homeassistant'); restrict who may publish to the command "
                                                 "topic with the broker's ACL.")
    open_cooldown: Duration = Field(timedelta(seconds=5), ge=timedelta(0), le=timedelta(minutes=5),
                                    description="Presses of one lane's button within this time of the last one are ignored.")
    site_every: Duration = Field(timedelta(seconds=10), ge=timedelta(seconds=1), le=timedelta(minutes=10),
                                 description="How often the site's figures (cars inside, free spaces, violations) are recomputed.")


@dataclass(frozen=True)
class Entity:
    """One discovery message: ``<prefix>/<component>/<node>/<object_id>/config`` with ``config``."""

    component: Literal["button", "binary_sensor", "sensor"]
    node: str
    object_id: str
    config: dict[str, Any]

    def topic(self, prefix: str) -> str:
        return f"{prefix}/{self.component}/{self.node}/{self.object_id}/config"


def slug(*parts: str) -> str:
    """An id Home Assistant accepts in topics and unique ids: letters, digits, '_' and '-'."""
    return NODE_RE.sub("_", "_".join(parts)).strip("_")


def node_id(site: str) -> str:
    return slug("gatewarden", site)


def state_root(site: str) -> str:
    """Where the hub publishes the entities' states: ``gatewarden/<site>/hub/ha``."""
    return f"gatewarden/{site}/hub/ha"


def hub_status_topic(site: str) -> str:
    """The HA link's own availability (``online``/``offline``, retained, the link's will)."""
    return f"{state_root(site)}/status"


def lane_topic(site: str, device: str, lane: str, what: str) -> str:
    """``gatewarden/<site>/hub/ha/lane/<device>/<lane>/<what>`` (what: open, passed, passage)."""
    return f"{state_root(site)}/lane/{device}/{lane}/{what}"


def circuit_topic(site: str, device: str, circuit: str) -> str:
    return f"{state_root(site)}/circuit/{device}/{circuit}/state"


def site_topic(site: str) -> str:
    return f"{state_root(site)}/site/state"


def parse_open_topic(site: str, topic: str) -> tuple[str, str] | None:
    """(device, lane) from an open button's command topic, or None if it is not one."""
    head = f"{state_root(site)}/lane/"
    if not topic.startswith(head) or not topic.endswith("/open"):
        return None
    parts = topic[len(head):-len("/open")].split("/")
    return (parts[0], parts[1]) if len(parts) == 2 and all(parts) else None


def origin(version: str) -> dict[str, str]:
    return {"name": "gatewarden", "sw_version": version}


def _availability(site: str, device: str | None) -> dict[str, Any]:
    items: list[dict[str, str]] = [{"topic": hub_status_topic(site)}]
    if device is not None:
        items.append({"topic": f"gatewarden/{site}/{device}/status", "value_template": ONLINE_TEMPLATE})
    return {"availability": items, "availability_mode": "all"}


def device_block(site: str, device: str, kind: str, version: str) -> dict[str, Any]:
    return {"identifiers": [slug("gatewarden", site, device)], "name": device, "manufacturer": "gatewarden",
            "model": kind, "sw_version": version, "via_device": slug("gatewarden", site, "hub")}


def hub_block(site: str, site_name: str, version: str, lang: str) -> dict[str, Any]:
    return {"identifiers": [slug("gatewarden", site, "hub")], "name": f"{site_name or site} {TEXTS[lang]['hub']}",
            "manufacturer": "gatewarden", "model": "hub", "sw_version": version}


def _entity(component: str, site: str, device: str | None, key: tuple[str, ...], name: str,
            block: dict, version: str, **fields: Any) -> Entity:
    object_id = slug(*key)
    config = {"name": name, "unique_id": slug("gatewarden", site, *key), "device": block,
              "origin": origin(version), "qos": 1, **_availability(site, device), **fields}
    return Entity(component, node_id(site), object_id, config)  # type: ignore[arg-type]


def lane_entities(site: str, device: str, lane: str, *, lang: str, version: str,
                  open_button: bool) -> list[Entity]:
    """The button, the "vehicle just passed" binary sensor and the last-passage sensor of a lane."""
    t, block = TEXTS[lang], device_block(site, device, "gate", version)
    found = [
        _entity("binary_sensor", site, device, (device, lane, "passed"), f"{lane} {t['passed']}", block, version,
                state_topic=lane_topic(site, device, lane, "passed"), payload_on="ON", payload_off="OFF",
                off_delay=PASSED_OFF_DELAY, device_class="occupancy"),
        _entity("sensor", site, device, (device, lane, "passage"), f"{lane} {t['last']}", block, version,
                state_topic=lane_topic(site, device, lane, "passage"), value_template="{{ value_json.text }}",
                json_attributes_topic=lane_topic(site, device, lane, "passage"), icon="mdi:boom-gate"),
    ]
    if open_button:
        found.insert(0, _entity("button", site, device, (device, lane, "open"), f"{lane} {t['open']}", block,
                                version, command_topic=lane_topic(site, device, lane, "open"),
                                payload_press=PRESS, retain=False, icon="mdi:boom-gate-up"))
    return found


def circuit_entities(site: str, device: str, circuit: str, *, lang: str, version: str) -> list[Entity]:
    """Power, current and active chargers of one circuit."""
    t, block, topic = TEXTS[lang], device_block(site, device, "charging", version), circuit_topic(site, device, circuit)
    common = {"state_topic": topic, "state_class": "measurement"}
    return [
        _entity("sensor", site, device, (device, circuit, "power"), f"{circuit} {t['power']}", block, version,
                value_template="{{ value_json.power_w }}", unit_of_measurement="W", device_class="power", **common),
        _entity("sensor", site, device, (device, circuit, "current"), f"{circuit} {t['current']}", block, version,
                value_template="{{ value_json.current_a }}", unit_of_measurement="A", device_class="current",
                **common),
        _entity("sensor", site, device, (device, circuit, "loads"), f"{circuit} {t['loads']}", block, version,
                value_template="{{ value_json.loads }}", unit_of_measurement=t["chargers"],
                icon="mdi:ev-plug-type2", **common),
    ]


def site_entities(site: str, site_name: str, *, lang: str, version: str) -> list[Entity]:
    """Cars inside, free spaces, open violations (the hub's own device)."""
    t, block, topic = TEXTS[lang], hub_block(site, site_name, version, lang), site_topic(site)
    common = {"state_topic": topic, "state_class": "measurement"}
    return [
        _entity("sensor", site, None, ("site", "inside"), t["inside"], block, version,
                value_template="{{ value_json.inside }}", unit_of_measurement=t["cars"], icon="mdi:car-multiple",
                **common),
        _entity("sensor", site, None, ("site", "free"), t["free"], block, version,
                value_template="{{ value_json.free }}", unit_of_measurement=t["cars"], icon="mdi:parking", **common),
        _entity("sensor", site, None, ("site", "violations"), t["violations"], block, version,
                value_template="{{ value_json.open_violations }}", icon="mdi:alert-circle-outline", **common),
    ]


def passage_state(event: Any, *, lang: str) -> dict[str, Any]:
    """The last-passage sensor's payload: no tag id, plate or name (a dashboard is not private)."""
    t = TEXTS[lang]
    text = (f"{t[event.direction]} · {t['open_d'] if event.decision == 'open' else t['deny']} · "
            f"{t['gone'] if event.passed else t['stayed']}")
    return {"text": text, "ts": event.ts.isoformat(), "direction": event.direction, "decision": event.decision,
            "reason": event.reason, "passed": event.passed, "tagged": event.tag is not None}


def charging_state(event: Any) -> dict[str, Any]:
    return {"power_w": event.power_w, "current_a": event.current_a, "loads": event.loads,
            "ts": event.ts.isoformat()}


def may_open(last: datetime | None, now: datetime, cooldown: timedelta) -> bool:
    """A press opens unless the same lane was opened from Home Assistant within ``cooldown``."""
    return last is None or now - last >= cooldown or now < last

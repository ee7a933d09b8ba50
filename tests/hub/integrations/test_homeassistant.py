"""Home Assistant MQTT discovery: payloads hold only the fields Home Assistant documents for each
platform (button, binary_sensor, sensor), are published retained to the real broker, their state
topics carry states as events flow, and the open button becomes an audited command."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import jinja2
import pytest

from gwcommon.clock import FakeClock
from hub.integrations import ha_discovery as ha
from tests.support.hubrun import Publisher, count, make_hub, rows
from tests.support.mqttspy import Spy, wait_until

pytestmark = pytest.mark.timeout(60)

# From Home Assistant's MQTT docs (integrations/button.mqtt, binary_sensor.mqtt, sensor.mqtt and
# "MQTT discovery"): the configuration variables each platform accepts in a discovery payload.
COMMON = {"availability", "availability_mode", "availability_template", "availability_topic", "device",
          "default_entity_id", "enabled_by_default", "encoding", "entity_category", "entity_picture", "icon",
          "json_attributes_template", "json_attributes_topic", "name", "object_id", "origin",
          "payload_available", "payload_not_available", "platform", "qos", "unique_id"}
PLATFORMS = {
    "button": (COMMON | {"command_template", "command_topic", "device_class", "payload_press", "retain"},
               {"command_topic"}),
    "binary_sensor": (COMMON | {"device_class", "expire_after", "force_update", "off_delay", "payload_off",
                                "payload_on", "state_topic", "value_template"}, {"state_topic"}),
    "sensor": (COMMON | {"device_class", "expire_after", "force_update", "last_reset_value_template", "options",
                         "state_class", "state_topic", "suggested_display_precision", "unit_of_measurement",
                         "value_template"}, {"state_topic"}),
}
AVAILABILITY_ITEM = {"topic", "payload_available", "payload_not_available", "value_template"}
DEVICE = {"configuration_url", "connections", "hw_version", "identifiers", "manufacturer", "model", "model_id",
          "name", "serial_number", "suggested_area", "sw_version", "via_device"}
ORIGIN = {"name", "sw_version", "support_url"}
AT = datetime(2026, 3, 2, 7, 0, tzinfo=timezone.utc)


def check_discovery(component: str, config: dict) -> list[str]:
    """Problems with one discovery payload, by the documented fields."""
    allowed, required = PLATFORMS[component]
    problems = [f"unknown key {k}" for k in sorted(set(config) - allowed)]
    problems += [f"missing {k}" for k in sorted(required - set(config))]
    for item in config.get("availability", []):
        problems += [f"availability key {k}" for k in set(item) - AVAILABILITY_ITEM if k]
        problems += [] if "topic" in item else ["availability item without topic"]
    if config.get("availability_mode", "latest") not in ("all", "any", "latest"):
        problems.append("bad availability_mode")
    device = config.get("device", {})
    problems += [f"device key {k}" for k in set(device) - DEVICE]
    problems += [] if device.get("identifiers") or device.get("connections") else ["device without identifiers"]
    problems += [f"origin key {k}" for k in set(config.get("origin", {})) - ORIGIN]
    problems += [] if "name" in config.get("origin", {"name": 1}) else ["origin without name"]
    return problems


def test_pure_payloads_use_only_documented_fields():
    entities = (ha.lane_entities("s1", "gate-1", "in-1", lang="zh", version="1", open_button=True)
                + ha.circuit_entities("s1", "shed", "shed-a", lang="en", version="1")
                + ha.site_entities("s1", "平安小区", lang="zh", version="1"))
    assert [e.component for e in entities].count("button") == 1
    assert {e.component: check_discovery(e.component, e.config) for e in entities} == {
        "button": [], "binary_sensor": [], "sensor": []}
    assert len({e.config["unique_id"] for e in entities}) == len(entities) == 9
    assert all(e.topic("homeassistant").startswith("homeassistant/") and e.topic("x").endswith("/config")
               for e in entities)


@pytest.mark.parametrize("topic,expected", [
    ("gatewarden/s1/hub/ha/lane/gate-1/in-1/open", ("gate-1", "in-1")),
    ("gatewarden/s1/hub/ha/lane/gate-1/open", None),
    ("gatewarden/s2/hub/ha/lane/gate-1/in-1/open", None),
    ("gatewarden/s1/hub/ha/lane/gate-1/in-1/passage", None),
    ("gatewarden/s1/hub/ha/lane//in-1/open", None),
])
def test_parse_open_topic(topic, expected):
    assert ha.parse_open_topic("s1", topic) == expected


@pytest.mark.parametrize("last,now,expected", [
    (None, AT, True), (AT, AT + timedelta(seconds=4), False), (AT, AT + timedelta(seconds=5), True),
    (AT, AT - timedelta(seconds=1), True),
])
def test_may_open(last, now, expected):
    assert ha.may_open(last, now, timedelta(seconds=5)) is expected


def render(template: str, payload: bytes) -> str:
    return jinja2.Environment().from_string(template).render(value_json=json.loads(payload))


def test_discovery_and_states_on_the_real_broker_and_the_audited_button(tmp_path, broker):
    clock = FakeClock(AT)
    hub = make_hub(tmp_path, broker, clock=clock, config_overrides={"homeassistant": {"enabled": True}},
                   areas=["hub.overnight.area", "hub.integrations.homeassistant"])  # 余位 is counted by the overnight area
    site = hub.config.site.id
    spy = Spy(broker.port, topics=("homeassistant/#", f"gatewarden/{site}/#")).start()
    try:
        with Publisher(broker.port) as pub:
            pub.status(site, "gate-1")
            pub.event(site, "gate-1", "passage", 1)
            pub.event(site, "shed", "charging", 1)
        configs = spy.wait_for(lambda s: len(_configs(s)) >= 9 and _configs(s))
        state_topics = {c["state_topic"] for _, c in configs if "state_topic" in c}
        spy.wait_for(lambda s: state_topics <= {m.topic for m in s.seen})
        spy.wait_for(lambda s: b'"inside": 1' in [m for m in s.seen if m.topic == ha.site_topic(site)][-1].payload)
        for topic, config in configs:
            assert check_discovery(topic.split("/")[1], config) == [], topic
        assert len({c["unique_id"] for _, c in configs}) == len(configs)
        _check_states(spy, site)
        _press_button(spy, hub, site, clock)
        assert count(hub, "quarantine") == 0  # our own topics are not taken for bad edge messages
    finally:
        spy.stop()
        hub.stop()
    late = Spy(broker.port, topics=("homeassistant/#",)).start()  # retained: a Home Assistant started later sees them
    try:
        late.wait_for(lambda s: len({m.topic for m in s.seen if m.retain}) >= 9)
    finally:
        late.stop()


def _configs(spy: Spy) -> list[tuple[str, dict]]:
    latest = {m.topic: m.json() for m in spy.seen if m.topic.startswith("homeassistant/") and m.payload}
    return sorted(latest.items())


def _check_states(spy: Spy, site: str) -> None:
    def last(topic):
        return [m for m in spy.seen if m.topic == topic][-1].payload

    passage = json.loads(last(ha.lane_topic(site, "gate-1", "in-1", "passage")))
    assert passage["text"] == "进 · 放行 · 已通过" and "tag" not in passage and passage["tagged"] is True
    assert last(ha.lane_topic(site, "gate-1", "in-1", "passed")) == b"ON"
    circuit = json.loads(last(ha.circuit_topic(site, "shed", "shed-a")))
    assert (circuit["power_w"], circuit["current_a"], circuit["loads"]) == (310.5, 1.4, 2)
    site_state = json.loads(last(ha.site_topic(site)))
    assert set(site_state) >= {"inside", "free", "open_violations"} and site_state["inside"] == 1
    assert last(ha.hub_status_topic(site)) == b"online"
    button = dict(_configs(spy))[f"homeassistant/button/gatewarden_{site}/gate-1_in-1_open/config"]
    status = last(f"gatewarden/{site}/gate-1/status")
    assert render(button["availability"][1]["value_template"], status) == "online"
    assert render(button["availability"][1]["value_template"], b'{"online": false}') == "offline"
    power = dict(_configs(spy))[f"homeassistant/sensor/gatewarden_{site}/shed_shed-a_power/config"]
    assert render(power["value_template"], last(power["state_topic"])) == "310.5"


def _press_button(spy: Spy, hub, site: str, clock: FakeClock) -> None:
    command_topic = ha.lane_topic(site, "gate-1", "in-1", "open")
    spy.publish(command_topic, b"PRESS")
    spy.publish(command_topic, b"PRESS")  # within the cooldown: refused
    spy.publish(ha.lane_topic(site, "gate-9", "x", "open"), b"PRESS")  # never seen: refused
    spy.publish(command_topic, b"OPEN")  # not the press payload: refused
    wait_until(lambda: hub.area("homeassistant").stats["press_refused"] == 3 and spy.of("cmd"), what="presses handled")
    clock.advance(timedelta(seconds=6))
    spy.publish(command_topic, b"PRESS")
    commands = spy.wait_for(lambda s: len(s.of("cmd")) == 2 and s.of("cmd"))
    first = commands[0].json()
    assert commands[0].topic == f"gatewarden/{site}/gate-1/cmd"
    assert (first["op"], first["lane"], first["by"]) == ("open", "in-1", "homeassistant")
    audit = rows(hub, "SELECT actor, action, target, detail FROM web_audit ORDER BY id")
    assert [(a["actor"], a["action"], a["target"]) for a in audit] == [("homeassistant", "lane_open", "gate-1/in-1")] * 2
    assert json.loads(audit[0]["detail"])["command"] == first["id"]


def test_off_by_default_publishes_nothing(tmp_path, broker):
    hub = make_hub(tmp_path, broker, areas=["hub.integrations.homeassistant"])
    try:
        assert hub.config.homeassistant.enabled is False and not hasattr(hub, "homeassistant")
    finally:
        hub.stop()

"""firmware-config/: the files parse, keep secrets out, and publish where the edge listens."""

import re
from pathlib import Path

import pytest
import yaml

from edge.charging import plugs
from edge.config import load_edge_config
from gwcommon.wire import PREFIX

ROOT = Path(__file__).resolve().parents[3] / "firmware-config"


class EsphomeLoader(yaml.SafeLoader):
    """YAML as ESPHome reads it: ``!secret name`` stays a marker, never a value."""


EsphomeLoader.add_constructor("!secret", lambda loader, node: ("secret", loader.construct_scalar(node)))


def esphome():
    return yaml.load((ROOT / "esphome/shed-pzem.yaml").read_text(encoding="utf-8"), Loader=EsphomeLoader)


def substitute(text, subs):
    return re.sub(r"\$\{(\w+)\}", lambda m: subs[m.group(1)], text)


def object_id(name):
    return re.sub(r"[^a-z0-9_]", "_", name.lower().replace(" ", "_"))


def esphome_topics():
    doc = esphome()
    subs = doc["substitutions"]
    prefix = substitute(doc["mqtt"]["topic_prefix"], subs)
    topics = {substitute(doc["mqtt"]["will_message"]["topic"], subs)}
    for sensor in doc["sensor"]:
        for field in ("power", "current", "voltage", "energy"):
            topics.add(f"{prefix}/sensor/{object_id(sensor[field]['name'])}/state")
    return doc, topics


def backlog_commands():
    commands = {}
    for line in (ROOT / "tasmota/shed-pzem.backlog").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        body = line[len("Backlog "):] if line.startswith("Backlog ") else line
        for command in body.split(";"):
            name, _, value = command.strip().partition(" ")
            commands[name] = value
    return commands


def test_esphome_yaml_keeps_secrets_out_and_has_no_api_block():
    doc = esphome()
    assert doc["wifi"]["password"] == ("secret", "wifi_password")
    assert doc["mqtt"]["password"] == ("secret", "mqtt_password")
    assert "api" not in doc and doc["mqtt"]["discovery"] is False
    assert all(s["platform"] == "pzemac" and s["update_interval"] == "1s" for s in doc["sensor"])
    assert len({s["address"] for s in doc["sensor"]}) == len(doc["sensor"])


def test_secrets_example_lists_every_secret_the_yaml_uses():
    used = set(re.findall(r"!secret (\w+)", (ROOT / "esphome/shed-pzem.yaml").read_text(encoding="utf-8")))
    example = yaml.safe_load((ROOT / "esphome/secrets.example.yaml").read_text(encoding="utf-8"))
    assert used == set(example) and all(v.startswith("<") for v in example.values())


def test_tasmota_backlog_sets_what_a_relayless_pzem_node_needs():
    commands = backlog_commands()
    assert commands["SetOption21"] == "1" and commands["SetOption72"] == "1"
    assert int(commands["TelePeriod"]) >= 10 and commands["PowerDelta"] == "120"
    assert commands["MqttPassword"].startswith("<")
    yaml.safe_load(commands["Template"])          # the template is JSON (a YAML subset)


def test_example_edge_config_listens_exactly_where_the_firmwares_publish():
    config = load_edge_config(ROOT / "edge-charging.example.toml")
    listened = {topic for meter in config.meters if meter.kind != "pzem" for topic in plugs.routes(meter)}
    doc, published = esphome_topics()
    commands = backlog_commands()
    full = commands["FullTopic"].replace("%topic%", commands["Topic"])
    published |= {full.replace("%prefix%", "tele") + "SENSOR", full.replace("%prefix%", "tele") + "LWT"}
    assert listened == published
    assert all(t.startswith(f"meters/{config.site.id}/") for t in listened)
    assert not any(t.split("/")[0] == PREFIX for t in published)     # never inside the contract's namespace


@pytest.mark.parametrize("line", ["enable_uart=1", "dtoverlay=disable-bt", "dtparam=spi=on"])
def test_pi_boot_config_enables_uart_and_spi(line):
    lines = [l.strip() for l in (ROOT / "raspberry-pi/config.txt").read_text(encoding="utf-8").splitlines()]
    assert line in lines

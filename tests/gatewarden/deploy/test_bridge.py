"""`gatewarden deploy bridge`: two real Mosquitto processes, a compound bridged to a district.

Only violations and device status go upward (never passages or heartbeats), through the district
accounts and ACL lines the command writes; and an outage of the district broker (SIGKILL, then a
restart on the same port) loses no violation: the compound broker keeps them queued for the
bridge's persistent session and sends them when the district is back.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from edge.outbox import Outbox
from edge.publisher import Publisher
from gatewarden.cli import main as gatewarden
from gatewarden.deploy import passwd
from gatewarden.localbroker import free_port
from gwcommon import wire
from gwcommon.clock import FakeClock
from gwcommon.config import MqttConfig
from gwcommon.mqtt import connect_properties
from tests.support.hubrun import make_hub, wait_until
from tests.support.securebroker import SecureBroker

pytestmark = pytest.mark.timeout(90)

SITE = "pingan-2"


def district_conf(tmp_path: Path, bridge_dir: Path, port: int, collector_password: str) -> Path:
    """The district broker as docs/district.md describes it: the compound's lines plus a reader."""
    d = tmp_path / "district"
    d.mkdir()
    (d / "passwd").write_text((bridge_dir / "district" / "passwd").read_text()
                              + passwd.password_file({"collector": collector_password}))
    (d / "acl").write_text((bridge_dir / "district" / "acl").read_text()
                           + "\nuser collector\ntopic read gatewarden/#\ntopic read gatewarden-bridge/#\n")
    conf = d / "district.conf"
    conf.write_text(f"per_listener_settings false\nallow_anonymous false\npassword_file {d / 'passwd'}\n"
                    f"acl_file {d / 'acl'}\nlistener {port} 127.0.0.1\n")
    return conf


class Collector:
    """The district's reader: a persistent MQTT 5 session on ``gatewarden/#``."""

    def __init__(self, port: int, password: str):
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"collector-{uuid.uuid4().hex[:6]}",
                                  protocol=paho.MQTTv5)
        self.client.username_pw_set("collector", password)
        self.client.reconnect_delay_set(0.2, 1)
        self.messages: list[tuple[str, bytes]] = []
        self.subscribed = threading.Event()
        self.client.on_connect = lambda c, u, f, rc, p: None if rc.is_failure else c.subscribe("gatewarden/#", qos=1)
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        self.client.on_message = lambda c, u, m: self.messages.append((m.topic, bytes(m.payload)))
        self.client.connect("127.0.0.1", port, keepalive=5, clean_start=False, properties=connect_properties(3600))
        self.client.loop_start()
        assert self.subscribed.wait(10), "the collector could not subscribe at the district"

    def topics(self) -> set[str]:
        return {topic for topic, _ in self.messages}

    def violation_ids(self) -> set[str]:
        return {json.loads(p)["id"] for t, p in self.messages if t.endswith("/hub/violation")}

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def violation(n: int) -> bytes:
    at = datetime(2026, 3, 2, 0, 0, tzinfo=timezone.utc)
    return wire.encode(wire.Violation(id=f"v-{n}", plate="浙GD12345", household="3-2-201", rule="overnight",
                                      deadline=at, state="open", provisional=False, ts=at))


def save_and_kill(server: SecureBroker) -> None:
    """Make Mosquitto write its persistence file (SIGUSR1), then kill it hard."""
    db = server.workdir / "mosquitto.db"
    db.unlink(missing_ok=True)
    os.kill(server.proc.pid, signal.SIGUSR1)
    wait_until(db.exists, message="the district broker did not save its sessions")
    server.kill()


@pytest.fixture
def compound_and_district(tmp_path):
    (tmp_path / "hub.toml").write_text(f'[site]\nid = "{SITE}"\n', encoding="utf-8")
    port, district_port = free_port(), free_port()
    assert gatewarden(["deploy", "broker", "--config", str(tmp_path / "hub.toml"), "--devices", "gate-north",
                       "--out", str(tmp_path / "broker"), "--port", str(port), "--bind", "127.0.0.1"]) == 0
    assert gatewarden(["deploy", "bridge", "--config", str(tmp_path / "hub.toml"), "--district-host", "127.0.0.1",
                       "--district-port", str(district_port), "--out", str(tmp_path / "bridge")]) == 0
    combined = tmp_path / "compound.conf"
    combined.write_text((tmp_path / "broker" / "mosquitto.conf").read_text() + "\n"
                        + (tmp_path / "bridge" / "bridge.conf").read_text())
    secret = passwd.new_password()
    district = SecureBroker(tmp_path / "district-run", district_conf(tmp_path, tmp_path / "bridge", district_port, secret),
                            port=district_port).start()
    compound = SecureBroker(tmp_path / "compound-run", combined, port=port).start()
    yield tmp_path / "broker", compound, district, secret
    compound.kill()
    district.kill()


def test_bridge_conf_is_mqtt5_persistent_and_sends_only_upward_topics(compound_and_district, tmp_path):
    text = (tmp_path / "bridge" / "bridge.conf").read_text()
    for line in ("bridge_protocol_version mqttv50", "cleansession false",
                 f"topic gatewarden/{SITE}/hub/violation out 1", f"topic gatewarden/{SITE}/+/status out 1"):
        assert line in text.splitlines()
    assert [line for line in text.splitlines() if line.startswith("topic ")] == [
        f"topic gatewarden/{SITE}/hub/violation out 1", f"topic gatewarden/{SITE}/+/status out 1"]
    assert oct((tmp_path / "bridge" / "bridge.conf").stat().st_mode & 0o777) == "0o640"


def test_violations_and_status_reach_the_district_and_an_outage_loses_nothing(compound_and_district, tmp_path):
    broker_dir, compound, district, secret = compound_and_district
    collector = Collector(district.port, secret)
    hub = make_hub(tmp_path, compound, site=SITE, config_overrides={"mqtt": {
        "username": "hub", "password_file": str(broker_dir / "clients" / "hub" / "mqtt" / "password")}})
    gate = broker_dir / "clients" / "gate-north" / "mqtt"
    box = Outbox(tmp_path / "outbox.db", site=SITE, device="gate-north", clock=FakeClock())
    edge = Publisher(box, mqtt=MqttConfig(port=compound.port, username="gate-north", password_file=gate / "password"),
                     site=SITE, device="gate-north", kind="gate", clock=FakeClock(), heartbeat=0.2)
    try:
        edge.start()
        box.emit("passage", {"lane": "in-1", "direction": "in", "tag": None, "rssi": None,
                             "decision": "deny", "reason": "no_tag", "passed": False})
        wait_until(lambda: box.count() == 0 and edge.stats.heartbeats >= 2)
        hub.publish(wire.topic(SITE, "hub", "violation"), violation(0))
        wait_until(lambda: collector.violation_ids() == {"v-0"}, message="the violation did not reach the district")
        wait_until(lambda: f"gatewarden/{SITE}/gate-north/status" in collector.topics())
        assert collector.topics() == {f"gatewarden/{SITE}/hub/violation", f"gatewarden/{SITE}/gate-north/status"}

        save_and_kill(district)
        for n in range(1, 21):
            hub.publish(wire.topic(SITE, "hub", "violation"), violation(n))
        wait_until(lambda: hub.link._last_publish.is_published())
        district.start()
        wait_until(lambda: collector.violation_ids() == {f"v-{n}" for n in range(21)}, timeout=40,
                   message="violations published during the district outage were lost")
        assert not any(t.endswith(("/passage", "/heartbeat", "/ack")) for t in collector.topics())
    finally:
        edge.stop()
        box.close()
        hub.stop()
        collector.close()

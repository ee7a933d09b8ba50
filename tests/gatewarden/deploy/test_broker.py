"""`gatewarden deploy broker`: the generated Mosquitto configuration, run in a real Mosquitto.

Anonymous and wrong logins are refused, a device may publish only its own topics (the MQTT 5
reason code of the PUBACK says so), TLS works with the generated CA (and only with it), client
certificates are enforced when asked for, and the hub and an edge device do their whole job
through the locked-down broker.
"""

from __future__ import annotations

import os
import ssl
import threading
import uuid
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from edge.outbox import Outbox
from edge.publisher import Publisher
from gatewarden.cli import main as gatewarden
from gatewarden.deploy import ca, passwd, render
from gatewarden.localbroker import free_port
from gwcommon import wire
from gwcommon.clock import FakeClock
from gwcommon.config import MqttConfig
from tests.support.hubrun import count, make_hub, rows, wait_until
from tests.support.securebroker import SecureBroker

pytestmark = pytest.mark.timeout(60)

SITE = "pingan-2"
DEVICES = ["gate-north", "lane-east"]


def generate(tmp_path: Path, *extra: str, devices: list[str] = DEVICES) -> tuple[Path, int, int]:
    """Run the CLI; returns (out dir, plain port, TLS port)."""
    (tmp_path / "hub.toml").write_text(f'[site]\nid = "{SITE}"\n', encoding="utf-8")
    out, port, tls_port = tmp_path / "broker", free_port(), free_port()
    code = gatewarden(["deploy", "broker", "--config", str(tmp_path / "hub.toml"), "--devices", ",".join(devices),
                       "--out", str(out), "--port", str(port), "--tls-port", str(tls_port),
                       "--bind", "127.0.0.1", "--host", "127.0.0.1", *extra])
    assert code == 0
    return out, port, tls_port


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("secured")
    out, port, tls_port = generate(tmp, "--tls", "--meters", "shed-plug")
    server = SecureBroker(tmp / "mosquitto", out / "mosquitto.conf", port=port, tls_port=tls_port).start()
    yield out, server
    server.kill()


class Client:
    """A paho MQTT 5 client that records the CONNACK, PUBACK and SUBACK reason codes."""

    def __init__(self, port: int, *, user: str | None = None, password: str | None = None,
                 ca_file: Path | None = None, cert: tuple[Path, Path] | None = None):
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"t-{uuid.uuid4().hex[:8]}",
                                  protocol=paho.MQTTv5)
        if user:
            self.client.username_pw_set(user, password)
        if ca_file:
            self.client.tls_set(ca_certs=str(ca_file), certfile=str(cert[0]) if cert else None,
                                keyfile=str(cert[1]) if cert else None, cert_reqs=ssl.CERT_REQUIRED)
        self.connack: paho.ReasonCode | None = None
        self.pubacks: dict[int, paho.ReasonCode] = {}
        self.messages: list[tuple[str, bytes]] = []
        self.done = threading.Event()
        self.acked = threading.Condition()
        self.client.on_connect = self._on_connect
        self.client.on_publish = self._on_publish
        self.client.on_message = lambda c, u, m: self.messages.append((m.topic, bytes(m.payload)))
        self.client.on_connect_fail = lambda c, u: self.done.set()
        self.client.on_disconnect = lambda *a: self.done.set()
        self.subscribed = threading.Event()
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        self.port = port

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        self.connack = reason_code
        self.done.set()

    def _on_publish(self, client, userdata, mid, reason_code, properties):
        with self.acked:
            self.pubacks[mid] = reason_code
            self.acked.notify_all()

    def connect(self) -> paho.ReasonCode | None:
        self.client.connect("127.0.0.1", self.port, keepalive=5)
        self.client.loop_start()
        self.done.wait(10)
        return self.connack

    def publish(self, topic: str, payload: bytes = b"{}") -> paho.ReasonCode:
        info = self.client.publish(topic, payload, qos=1)
        with self.acked:
            assert self.acked.wait_for(lambda: info.mid in self.pubacks, 10), f"no PUBACK for {topic}"
            return self.pubacks[info.mid]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def password(out: Path, name: str) -> str:
    return (out / "clients" / name / "mqtt" / "password").read_text().strip()


def login(out: Path, server: SecureBroker, name: str, *, tls: bool = False) -> Client:
    client = Client(server.tls_port if tls else server.port, user=name, password=password(out, name),
                    ca_file=out / "ca.crt" if tls else None)
    code = client.connect()
    assert code is not None and not code.is_failure, f"{name} could not log in: {code}"
    return client


def test_anonymous_and_wrong_logins_are_refused(secured):
    out, server = secured
    for client in (Client(server.port), Client(server.port, user="gate-north", password="wrong"),
                   Client(server.port, user="stranger", password=password(out, "gate-north"))):
        code = client.connect()
        client.close()
        assert code is not None and code.is_failure and code.value in (134, 135), code


BASE = f"gatewarden/{SITE}"


@pytest.mark.parametrize("user,topic,allowed", [
    ("gate-north", f"{BASE}/gate-north/passage", True),
    ("gate-north", f"{BASE}/gate-north/status", True),
    ("gate-north", f"{BASE}/gate-north/snapshot/e-1", True),
    ("gate-north", f"{BASE}/lane-east/passage", False),
    ("gate-north", f"{BASE}/lane-east/status", False),
    ("gate-north", f"{BASE}/gate-north/ack", False),
    ("gate-north", f"{BASE}/gate-north/cmd", False),
    ("gate-north", f"{BASE}/allowlist", False),
    ("gate-north", f"{BASE}/hub/violation", False),
    ("gate-north", "gatewarden/other-site/gate-north/passage", False),
    ("hub", f"{BASE}/gate-north/cmd", True),
    ("hub", f"{BASE}/lane-east/ack", True),
    ("hub", f"{BASE}/allowlist", True),
    ("hub", f"{BASE}/hub/violation", True),
    ("hub", f"{BASE}/gate-north/passage", False),
    ("shed-plug", f"meters/{SITE}/tele/shed_a/SENSOR", True),
    ("shed-plug", f"{BASE}/shed-plug/charging", False),
    ("shed-plug", "meters/other-site/tele/shed_a/SENSOR", False),
    ("gate-north", f"meters/{SITE}/tele/shed_a/SENSOR", False),
])
def test_each_account_publishes_only_its_own_topics(secured, user, topic, allowed):
    out, server = secured
    client = login(out, server, user)
    try:
        code = client.publish(topic)
    finally:
        client.close()
    assert code.is_failure is not allowed, f"{user} → {topic}: {code}"
    if not allowed:
        assert code.value == 135  # Not authorized


def test_a_device_reads_only_its_cmd_ack_and_the_allowlist(secured):
    out, server = secured
    hub, gate = login(out, server, "hub"), login(out, server, "gate-north")
    try:
        gate.client.subscribe(f"{BASE}/#", qos=1)
        assert gate.subscribed.wait(10)
        gate.client.subscribe(f"meters/{SITE}/#", qos=1)
        for topic in ("lane-east/cmd", "lane-east/ack", "gate-north/cmd", "gate-north/ack", "allowlist"):
            assert not hub.publish(f"{BASE}/{topic}", topic.encode()).is_failure
        meter = login(out, server, "shed-plug")
        meter.publish(f"meters/{SITE}/tele/shed_a/SENSOR", b"{}")
        meter.close()
        hub.publish(f"{BASE}/gate-north/cmd", b"last")
        wait_until(lambda: (f"{BASE}/gate-north/cmd", b"last") in gate.messages)
    finally:
        hub.close()
        gate.close()
    topics = {topic for topic, _ in gate.messages}
    assert topics == {f"{BASE}/gate-north/cmd", f"{BASE}/gate-north/ack", f"{BASE}/allowlist",
                      f"meters/{SITE}/tele/shed_a/SENSOR"}
    assert f"topic prefix: meters/{SITE}/" in (out / "clients" / "shed-plug" / "meter.txt").read_text()


def test_tls_works_with_the_generated_ca_and_only_with_it(secured, tmp_path):
    out, server = secured
    client = login(out, server, "lane-east", tls=True)
    assert not client.publish(f"{BASE}/lane-east/presence").is_failure
    client.close()
    stranger_ca = tmp_path / "other-ca.crt"
    stranger_ca.write_bytes(ca.new_ca("elsewhere").cert_pem())
    other = Client(server.tls_port, user="lane-east", password=password(out, "lane-east"), ca_file=stranger_ca)
    with pytest.raises(ssl.SSLError):
        other.client.connect("127.0.0.1", server.tls_port, keepalive=5)
    # the plain port answers only on loopback; the TLS port speaks no plain MQTT
    plain = Client(server.tls_port, user="lane-east", password=password(out, "lane-east"))
    try:
        assert plain.connect() is None
    finally:
        plain.close()


def test_client_certificates_are_required_when_asked_for(tmp_path):
    out, port, tls_port = generate(tmp_path, "--tls", "--client-certs", devices=["gate-north"])
    mqtt_dir = out / "clients" / "gate-north" / "mqtt"
    assert 'tls_cert = "mqtt/client.crt"' in (out / "clients" / "gate-north" / "mqtt.toml").read_text()
    server = SecureBroker(tmp_path / "mosquitto", out / "mosquitto.conf", port=port, tls_port=tls_port).start()
    try:
        good = Client(tls_port, user="gate-north", password=password(out, "gate-north"), ca_file=mqtt_dir / "ca.crt",
                      cert=(mqtt_dir / "client.crt", mqtt_dir / "client.key"))
        code = good.connect()
        good.close()
        assert code is not None and not code.is_failure
        bare = Client(tls_port, user="gate-north", password=password(out, "gate-north"), ca_file=mqtt_dir / "ca.crt")
        try:
            refused = bare.connect()
        except (ssl.SSLError, OSError):
            refused = None
        bare.close()
        assert refused is None or refused.is_failure
    finally:
        server.kill()


def test_rerunning_keeps_ca_and_passwords_and_revokes_dropped_devices(tmp_path):
    out, *_ = generate(tmp_path, "--tls")
    before = {name: password(out, name) for name in ("hub", *DEVICES)}
    ca_before = (out / "ca.crt").read_bytes()
    generate(tmp_path, "--tls", devices=["gate-north", "charging-shed"])
    assert password(out, "hub") == before["hub"] and password(out, "gate-north") == before["gate-north"]
    assert (out / "ca.crt").read_bytes() == ca_before
    assert not (out / "clients" / "lane-east").exists()
    users = dict(line.split(":", 1) for line in (out / "passwd").read_text().splitlines())
    assert sorted(users) == ["charging-shed", "gate-north", "hub"]
    assert passwd.verify(before["gate-north"], users["gate-north"])
    assert "user lane-east" not in (out / "acl").read_text()
    assert oct((out / "ca.key").stat().st_mode & 0o777) == "0o600"
    assert oct((out / "clients" / "hub" / "mqtt" / "password").stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("args,message", [
    (["--devices", "Gate North"], "is not an id"),
    (["--devices", "a", "--meters", "a"], "also in --devices"),
    (["--devices", "a", "--plain-on-lan", "--no-tls"], "needs --tls"),
    (["--devices", "hub"], "reserved"),
    (["--devices", "a,b,a"], "repeated: a"),
    (["--devices", "a", "--client-certs", "--no-tls"], "--client-certs needs --tls"),
    (["--devices", "a", "--port", "70000"], "not a port"),
])
def test_bad_arguments_get_one_line_and_write_nothing(tmp_path, capsys, args, message):
    (tmp_path / "hub.toml").write_text(f'[site]\nid = "{SITE}"\n', encoding="utf-8")
    code = gatewarden(["--lang", "en", "deploy", "broker", "--config", str(tmp_path / "hub.toml"), "--out", str(tmp_path / "o"), *args])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_mosquitto_passwd_agrees_with_our_hashes(tmp_path):
    """Our $7$ hashes verify what mosquitto_passwd writes, and the broker above accepts ours."""
    import shutil
    import subprocess

    tool = shutil.which("mosquitto_passwd")
    assert tool, "mosquitto_passwd comes with the mosquitto package the tests install"
    subprocess.run([tool, "-c", "-b", str(tmp_path / "pw"), "alice", "s3cret"], check=True)
    hashed = (tmp_path / "pw").read_text().strip().split(":", 1)[1]
    assert passwd.verify("s3cret", hashed) and not passwd.verify("other", hashed)
    assert passwd.verify("s3cret", passwd.hash_password("s3cret"))


def test_the_hub_and_an_edge_do_their_whole_job_through_the_locked_broker(secured, tmp_path):
    out, server = secured
    hub_dir = out / "clients" / "hub" / "mqtt"
    hub = make_hub(tmp_path, server, site=SITE, areas=("hub.registry.area", "hub.overnight.area"), config_overrides={
        "mqtt": {"port": server.port, "username": "hub", "password_file": str(hub_dir / "password")}})
    gate_dir = out / "clients" / "gate-north" / "mqtt"
    mqtt = MqttConfig(host="127.0.0.1", port=server.tls_port, username="gate-north",
                      password_file=gate_dir / "password", tls_ca=gate_dir / "ca.crt", keepalive=5)
    box = Outbox(tmp_path / "outbox.db", site=SITE, device="gate-north", clock=FakeClock())
    edge = Publisher(box, mqtt=mqtt, site=SITE, device="gate-north", kind="gate", clock=FakeClock(), heartbeat=1)
    commands, allowlists = [], []
    edge.on_command(commands.append)
    edge.on_allowlist(allowlists.append)
    try:
        edge.start()
        assert edge.wait_connected(10)
        box.emit("passage", {"lane": "in-1", "direction": "in", "tag": None, "rssi": None,
                             "decision": "deny", "reason": "no_tag", "passed": False})
        wait_until(lambda: count(hub, "events", "device = 'gate-north'") == 1 and box.count() == 0)
        wait_until(lambda: allowlists, message="the hub's allowlist did not reach the gate")
        command = wire.Command(id="c-1", ts=FakeClock().now(), op="open", lane="in-1", by="warden", reason="test")
        hub.publish(wire.topic(SITE, "gate-north", "cmd"), wire.encode(command))
        wait_until(lambda: commands, message="the hub's command did not reach the gate")
        wait_until(lambda: rows(hub, "SELECT status_online FROM devices WHERE device = 'gate-north'")
                   == [{"status_online": 1}])
        assert edge.stats.refused == 0
        assert commands[0].op == "open" and isinstance(allowlists[0], wire.Allowlist)
    finally:
        edge.stop()
        box.close()
        hub.stop()


@pytest.mark.parametrize("listeners,expected", [
    (render.Listeners(), "127.0.0.1"),
    (render.Listeners(bind="192.168.1.10"), "192.168.1.10"),
    (render.Listeners(tls_port=8883, bind="192.168.1.10"), "127.0.0.1"),
    (render.Listeners(tls_port=8883, bind="192.168.1.10", plain_on_lan=True), "192.168.1.10"),
])
def test_the_hub_is_told_where_the_plain_port_listens(listeners, expected):
    from gatewarden.deploy.broker import hub_host

    assert hub_host(listeners) == expected
    conf = render.broker_conf("s", Path("/etc/x"), listeners)
    plain = [line for line in conf.splitlines() if line.startswith(f"listener {listeners.port}")]
    assert plain == [f"listener {listeners.port}" + ("" if expected == "127.0.0.1" and not listeners.tls_port
                                                     else f" {expected}")]

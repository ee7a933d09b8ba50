"""The charging device cuts on the edge, as ``gatewarden edge`` runs it: a PZEM meter on pymodbus's
server, a Shelly Gen1 relay on a loopback HTTP server, the real outbox and a real Mosquitto that is
stopped while the overload happens; a warden's ``restore`` command switches the circuit on again."""

import json
import time
from datetime import datetime, timezone

import pytest

from edge.charging.pzem import PzemValues, encode
from edge.config import load_edge_config
from edge.daemon import EdgeDaemon
from gwcommon import wire
from tests.support.fakemodbus import PzemServer
from tests.support.fakeswitch import FakeShellyHttp
from tests.support.hubrun import unique_site, wait_until
from tests.support.mqttspy import Spy

CONFIG = """
[site]
id = "{site}"
[storage]
dir = "{dir}"
[mqtt]
port = {mqtt}
keepalive = 5
[device]
id = "shed-1"
kind = "charging"
[outbox]
heartbeat = "1s"
[charging]
poll_interval = "200ms"
[charging.modbus]
transport = "tcp"
tcp_port = {modbus}
timeout = 0.3
[[meters]]
kind = "pzem"
circuit = "shed-a"
address = 1
[[meters]]
kind = "pzem"
circuit = "b3-lights"
address = 2
[[switches]]
kind = "shelly1_http"
circuit = "shed-a"
host = "127.0.0.1"
port = {http}
switchable = true
breaker_a = 16
[[switches]]
kind = "shelly1_http"
circuit = "b3-lights"
host = "127.0.0.1"
port = {http}
relay = 1
switchable = false
breaker_a = 16
"""


def power(watts: float, amps: float) -> list[int]:
    return encode(PzemValues(230.0, amps, watts, 1000.0, 50.0, 0.95, False))


@pytest.fixture
def shed(tmp_path, make_broker):
    meters = PzemServer([1, 2]).start()
    relay = FakeShellyHttp().start()
    broker = make_broker()
    site = unique_site()
    path = tmp_path / "edge.toml"
    path.write_text(CONFIG.format(site=site, dir=tmp_path / "state", mqtt=broker.port, modbus=meters.port,
                                  http=relay.port), encoding="utf-8")
    daemon = EdgeDaemon(load_edge_config(path)).start()
    yield site, daemon, meters, relay, broker
    daemon.stop()
    relay.stop()
    meters.stop()


def faults(daemon, code):
    """The outbox's fault events with ``code`` (nothing is acked: no hub runs here)."""
    rows = daemon.outbox.pending(after=0, limit=1000)
    return [f for f in (json.loads(r.body) for r in rows if r.kind == "fault") if f["code"] == code]


def test_overload_cuts_with_the_broker_down_and_the_event_waits_in_the_outbox(shed):
    site, daemon, meters, relay, broker = shed
    spy = Spy(broker.port, topics=(f"gatewarden/{site}/#",)).start()
    wait_until(lambda: spy.of("charging"), 15, message="the device never reported")
    broker.kill()
    meters.registers[1] = power(3200.0, 14.5)      # 14.5 A on a 16 A breaker: above the 80 % alarm (12.8 A)
    meters.registers[2] = power(3200.0, 14.5)      # the same on the lights circuit, which is not switchable
    started = time.monotonic()
    assert relay.wait_for("relay:0", False, timeout=15), "the relay was not cut"
    took = time.monotonic() - started
    assert "relay:1" not in relay.state             # never on a circuit not marked switchable
    cut = wait_until(lambda: faults(daemon, "power_cut"), 10)
    assert cut[0]["active"] is True and cut[0]["circuit"] == "shed-a"
    assert cut[0]["detail"] == "shed-a: overload: 14.5 A ≥ 12.8 A (16 A × 80 %)"
    print(f"overload → relay off in {took:.2f} s with the broker down")
    broker.restart()                                # the hub's side comes back: the cut is delivered
    wait_until(lambda: [m for m in spy.of("fault") if m.json()["code"] == "power_cut"], 30)
    spy.stop()


def test_a_warden_restores_through_the_broker(shed):
    site, daemon, meters, relay, broker = shed
    meters.registers[1] = power(3200.0, 14.5)
    assert relay.wait_for("relay:0", False, timeout=15)
    meters.registers[1] = power(0.0, 0.0)           # the chargers were unplugged
    spy = Spy(broker.port, topics=(f"gatewarden/{site}/#",)).start()
    command = wire.Command(id="cmd-r1", ts=datetime.now(timezone.utc), op="restore", circuit="shed-a",
                           by="warden-li", reason="chargers unplugged")

    def restored():
        spy.client.publish(f"gatewarden/{site}/shed-1/cmd", wire.encode(command), qos=1)
        return relay.wait_for("relay:0", True, timeout=1)

    wait_until(restored, 20, interval=0.5, message="the restore command never switched the relay on")
    back = wait_until(lambda: [f for f in faults(daemon, "power_cut") if not f["active"]]
                      or [m.json() for m in spy.of("fault") if m.json()["code"] == "power_cut" and not m.json()["active"]], 10)
    assert back[0]["circuit"] == "shed-a" and "warden-li" in back[0]["detail"]
    spy.stop()

"""Each relay driver against a local fake speaking that device's own API."""

import json
import threading

import pytest
from pydantic import TypeAdapter, ValidationError

from edge.charging.cutconfig import SwitchConfig, Switches
from edge.charging.switches import MqttRelay, MqttSwitchLink, ModbusRelay, Shelly1Http, Shelly2Http, SwitchError, build, mqtt_command
from gwcommon.config import MqttConfig
from tests.support.broker import free_port
from tests.support.fakemodbus import FakeModbusRelay
from tests.support.fakeswitch import FakeMqttRelays, FakeShellyHttp

switch = TypeAdapter(SwitchConfig).validate_python


@pytest.fixture
def shelly():
    fake = FakeShellyHttp().start()
    yield fake
    fake.stop()


def test_shelly_gen1_http(shelly):
    relay = Shelly1Http(switch({"kind": "shelly1_http", "circuit": "port-1", "host": "127.0.0.1",
                                "port": shelly.port, "relay": 1}))
    relay.set(False)
    assert shelly.state == {"relay:1": False}
    relay.set(True)
    assert [c[1:] for c in shelly.changes] == [("relay:1", False), ("relay:1", True)]


def test_shelly_gen2_http_rpc(shelly):
    relay = Shelly2Http(switch({"kind": "shelly2_http", "circuit": "port-2", "host": "127.0.0.1",
                                "port": shelly.port, "switch": 0}))
    relay.set(False)
    assert shelly.state == {"switch:0": False}


@pytest.mark.parametrize("kind", ["shelly1_http", "shelly2_http"])
def test_http_failures_are_switch_errors(shelly, kind):
    relay = (Shelly1Http if kind == "shelly1_http" else Shelly2Http)(
        switch({"kind": kind, "circuit": "p", "host": "127.0.0.1", "port": shelly.port, "timeout": 0.3}))
    shelly.broken = True
    with pytest.raises(SwitchError, match="HTTP 500"):
        relay.set(False)
    shelly.broken, shelly.delay = False, 1.0
    with pytest.raises(SwitchError, match="timed out"):
        relay.set(False)
    dead = Shelly1Http(switch({"kind": "shelly1_http", "circuit": "p", "host": "127.0.0.1", "port": free_port()}))
    with pytest.raises(SwitchError):
        dead.set(False)


@pytest.mark.parametrize("config, on, topic, payload", [
    ({"kind": "shelly1_mqtt", "device_id": "shellyplug-s-7A2B3C"}, False, "shellies/shellyplug-s-7A2B3C/relay/0/command", b"off"),
    ({"kind": "tasmota", "topic": "shed_a_c1"}, False, "cmnd/shed_a_c1/POWER", b"OFF"),
    ({"kind": "tasmota", "topic": "shed_b", "relay": 2, "full_topic": "meters/pingan-2/%prefix%/%topic%/"}, True,
     "meters/pingan-2/cmnd/shed_b/POWER2", b"ON"),
    ({"kind": "esphome", "topic_prefix": "meters/pingan-2/shed-c", "object_id": "c1_relay"}, False,
     "meters/pingan-2/shed-c/switch/c1_relay/command", b"OFF"),
])
def test_mqtt_commands_in_each_firmwares_words(config, on, topic, payload):
    assert mqtt_command(switch({**config, "circuit": "c"}), on) == (topic, payload)


def test_shelly_gen2_mqtt_rpc_words():
    topic, payload = mqtt_command(switch({"kind": "shelly2_mqtt", "circuit": "c", "prefix": "shellyplus1pm-a1"}),
                                  False, client_id="shed-1-switches")
    assert topic == "shellyplus1pm-a1/rpc"
    assert json.loads(payload) == {"id": 1, "src": "shed-1-switches", "method": "Switch.Set",
                                   "params": {"id": 0, "on": False}}


def test_every_mqtt_firmware_switches_through_the_broker(broker):
    fw = FakeMqttRelays(broker.port)
    keys = {"shelly1_mqtt": fw.add_shelly1("shellyplug-s-7A2B3C"), "shelly2_mqtt": fw.add_shelly2("shellyplus1pm-a1"),
            "tasmota": fw.add_tasmota("shed_a_c1"), "esphome": fw.add_esphome("meters/p/shed-c", "c1_relay")}
    fw.start()
    configs = [switch({"kind": "shelly1_mqtt", "circuit": "a", "device_id": "shellyplug-s-7A2B3C"}),
               switch({"kind": "shelly2_mqtt", "circuit": "b", "prefix": "shellyplus1pm-a1"}),
               switch({"kind": "tasmota", "circuit": "c", "topic": "shed_a_c1"}),
               switch({"kind": "esphome", "circuit": "d", "topic_prefix": "meters/p/shed-c", "object_id": "c1_relay"})]
    made, closers = build(configs, mqtt=MqttConfig(port=broker.port), device_id="shed-1")
    try:
        assert closers[0].connected.wait(10)
        for config in configs:
            made[config.circuit].set(False)
        for kind, key in keys.items():
            assert fw.wait_for(key, False), kind
        made["c"].set(True)
        assert fw.wait_for(keys["tasmota"], True)
    finally:
        for closer in closers:
            closer.close()
        fw.stop()


def test_mqtt_relay_without_a_broker_says_so():
    link = MqttSwitchLink(MqttConfig(port=free_port()), client_id="t-switches")
    try:
        relay = MqttRelay(switch({"kind": "tasmota", "circuit": "c", "topic": "t"}), link)
        with pytest.raises(SwitchError, match="not connected"):
            relay.set(False)
    finally:
        link.close()


def test_modbus_relay_board_coil():
    board = FakeModbusRelay(address=3).start()
    try:
        config = switch({"kind": "modbus", "circuit": "c", "address": 3, "coil": 2,
                         "bus": {"transport": "tcp", "host": "127.0.0.1", "tcp_port": board.port}})
        relay = ModbusRelay(config)
        relay.set(False)
        relay.set(True)
        assert [c[1:] for c in board.changes] == [("coil:2", False), ("coil:2", True)]
        nc = ModbusRelay(config.model_copy(update={"on_is": False}))
        nc.set(False)  # a normally-closed contact: the coil is energised to cut
        assert board.state["coil:2"] is True
        relay.close()
        nc.close()
    finally:
        board.stop()
    with pytest.raises(SwitchError):
        ModbusRelay(config.model_copy(update={"bus": config.bus.model_copy(update={"tcp_port": free_port()})})).set(False)


@pytest.mark.parametrize("entry, message", [
    ({"kind": "shelly1_http", "circuit": "c", "host": "x", "relay": 9}, "relay"),
    ({"kind": "tasmota", "circuit": "c", "topic": "a/#"}, "topic"),
    ({"kind": "shelly1_http", "circuit": "c", "host": "x", "allowed_from": "06:00"}, "allowed_until"),
    ({"kind": "shelly1_http", "circuit": "c", "host": "x", "breaker_a": 0}, "breaker_a"),
    ({"kind": "shelly1_http", "circuit": "c", "host": "x", "switchabel": True}, "switchabel"),
    ({"kind": "zigbee", "circuit": "c"}, "kind"),
])
def test_bad_switch_entries(entry, message):
    with pytest.raises(ValidationError, match=message):
        switch(entry)


def test_one_switch_per_circuit_and_nothing_switchable_by_default():
    entry = {"kind": "shelly1_http", "circuit": "c", "host": "x"}
    with pytest.raises(ValidationError, match="at most one switch"):
        TypeAdapter(Switches).validate_python([entry, entry])
    assert switch(entry).switchable is False


def test_a_slow_relay_does_not_hold_another(shelly):
    """Each relay has its own worker: a hung one never delays another circuit's cut."""
    from datetime import datetime, timezone

    from edge.charging import cutoff
    from edge.charging.cutter import Cutter
    from edge.events import ListSink
    from gwcommon.clock import FakeClock

    class Hung:
        circuit = "slow"
        release = threading.Event()

        def set(self, on):
            self.release.wait(10)

        def close(self):
            pass

    fast = Shelly1Http(switch({"kind": "shelly1_http", "circuit": "fast", "host": "127.0.0.1", "port": shelly.port}))
    policies = {c: cutoff.Policy(c, True, alarm_a=10.0) for c in ("slow", "fast")}
    clock = FakeClock(datetime(2026, 5, 1, 12, tzinfo=timezone.utc))
    cutter = Cutter(policies, {"slow": Hung(), "fast": fast}, sink=ListSink(), clock=clock)
    over = cutoff.View(2500.0, 11.0, 10)
    cutter.observe("slow", over, clock.now())
    cutter.observe("fast", over, clock.now())
    assert shelly.wait_for("relay:0", False, timeout=5)
    Hung.release.set()
    cutter.close()


def test_a_cut_survives_a_restart_of_the_device(tmp_path, shelly):
    from datetime import datetime, timezone

    from edge.charging import cutoff
    from edge.charging.cutter import Cutter, path_in
    from gwcommon.clock import FakeClock

    clock = FakeClock(datetime(2026, 5, 1, 12, tzinfo=timezone.utc))
    policies = {"port-1": cutoff.Policy("port-1", True, alarm_a=10.0)}
    state_file = path_in(tmp_path, "shed-1")

    def relay():
        return {"port-1": Shelly1Http(switch({"kind": "shelly1_http", "circuit": "port-1", "host": "127.0.0.1",
                                              "port": shelly.port}))}

    first = Cutter(policies, relay(), sink=None, clock=clock, state_file=state_file)
    first.observe("port-1", cutoff.View(2500.0, 11.0, 10), clock.now())
    assert shelly.wait_for("relay:0", False)
    events = []
    while not events:
        events = first.drain()
    first.close()
    assert [e["code"] for _, e in events] == ["power_cut"]
    second = Cutter(policies, relay(), sink=None, clock=clock, state_file=state_file)
    assert second.states["port-1"].reason == "overload" and second.states["port-1"].announced
    second.observe("port-1", cutoff.View(0.0, 0.0, 0), clock.now())   # no new cut, no new event
    assert second.restore("port-1", by="warden-li", note="")
    assert shelly.wait_for("relay:0", True)
    events = []
    while not events:
        events = second.drain()
    assert [(e["code"], e["active"]) for _, e in events] == [("power_cut", False)]
    second.close()
    assert Cutter(policies, {}, sink=None, clock=clock, state_file=state_file).states["port-1"] == cutoff.CutState(excused=True)
    state_file.write_text("{not json", encoding="utf-8")
    assert Cutter(policies, {}, sink=None, clock=clock, state_file=state_file).states["port-1"] == cutoff.CutState()


def test_a_switch_needs_its_circuits_meter(tmp_path):
    from edge.config import load_edge_config
    from gwcommon.exc import ConfigError

    path = tmp_path / "edge.toml"
    path.write_text('[site]\nid = "pingan-2"\n[device]\nid = "shed-1"\nkind = "charging"\n[charging]\n'
                    '[[meters]]\nkind = "simulated"\ncircuit = "shed-a"\n'
                    '[[switches]]\nkind = "tasmota"\ncircuit = "shed-b"\ntopic = "b"\nswitchable = true\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="shed-b"):
        load_edge_config(path)

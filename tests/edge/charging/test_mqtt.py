"""Tasmota, ESPHome and Shelly meters: their own payloads, exactly as the firmwares publish them,
carried by a real (private) Mosquitto, read through the charging device's subscription."""

import json
import time
import uuid
from datetime import timedelta

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from edge.charging import plugs
from edge.charging.config import EsphomeMeter, Shelly1Meter, Shelly2Meter, TasmotaMeter
from edge.charging.model import Reading, Unreadable
from edge.charging.mqttsource import MqttMeters
from gwcommon.clock import FakeClock
from gwcommon.config import MqttConfig

TASMOTA = TasmotaMeter(kind="tasmota", circuit="shed-a", topic="shed_a_c1")
TASMOTA_MULTI = TasmotaMeter(kind="tasmota", circuit="shed-b", topic="shed_b", full_topic="meters/pingan-2/%prefix%/%topic%/", channel=1)
ESPHOME = EsphomeMeter(kind="esphome", circuit="shed-c", topic_prefix="meters/pingan-2/shed-c", power="c1_power",
                       current="c1_current", voltage="c1_voltage", energy="c1_energy")
SHELLY1 = Shelly1Meter(kind="shelly1", circuit="port-1", device_id="shellyplug-s-7A2B3C")
SHELLY2 = Shelly2Meter(kind="shelly2", circuit="port-2", prefix="shellyplusplugs-a8032ab12345")
ALL = [TASMOTA, TASMOTA_MULTI, ESPHOME, SHELLY1, SHELLY2]

TASMOTA_SENSOR = ('{"Time":"2025-05-01T20:15:02","ENERGY":{"TotalStartTime":"2025-01-10T09:12:44","Total":514.153,'
                  '"Yesterday":1.495,"Today":0.537,"Period":0,"Power":56,"ApparentPower":92,"ReactivePower":73,'
                  '"Factor":0.61,"Voltage":234,"Current":0.392}}')
TASMOTA_ARRAYS = ('{"Time":"2025-05-01T20:15:02","ENERGY":{"TotalStartTime":"2025-01-10T09:12:44","Total":[1.5,2.25],'
                  '"Yesterday":[0,0],"Today":[0.1,0.2],"Power":[52,105],"ApparentPower":[60,120],"ReactivePower":[10,20],'
                  '"Factor":[0.9,0.88],"Voltage":[230,230],"Current":[0.25,0.52]}}')
SHELLY2_STATUS = ('{"id":0,"source":"timer","output":true,"apower":25.7,"voltage":239.7,"freq":50.2,"current":0.188,'
                  '"aenergy":{"total":913.252,"by_minute":[415.636,415.636,415.636],"minute_ts":1714595700},'
                  '"temperature":{"tC":68.1,"tF":154.6}}')

MESSAGES = [
    ("tele/shed_a_c1/SENSOR", TASMOTA_SENSOR),
    ("meters/pingan-2/tele/shed_b/SENSOR", TASMOTA_ARRAYS),
    ("meters/pingan-2/shed-c/sensor/c1_voltage/state", "229.8"),
    ("meters/pingan-2/shed-c/sensor/c1_current/state", "0.51"),
    ("meters/pingan-2/shed-c/sensor/c1_energy/state", "1520"),
    ("meters/pingan-2/shed-c/sensor/c1_power/state", "110.4"),
    ("shellies/shellyplug-s-7A2B3C/relay/0/power", "98.12"),
    ("shellies/shellyplug-s-7A2B3C/relay/0/energy", "6000"),
    ("shellyplusplugs-a8032ab12345/status/switch:0", SHELLY2_STATUS),
]
EXPECTED = {
    "shed-a": (56.0, 234.0, 0.392, 514153.0),
    "shed-b": (105.0, 230.0, 0.52, 2250.0),
    "shed-c": (110.4, 229.8, 0.51, 1520.0),
    "port-1": (98.12, None, None, 100.0),                # 6000 watt-minutes = 100 Wh
    "port-2": (25.7, 239.7, 0.188, 913.252),
}


def publisher(port):
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"fw-{uuid.uuid4().hex[:6]}")
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def send(client, messages):
    for topic, payload in messages:
        client.publish(topic, payload, qos=1).wait_for_publish(5)


def poll_until(meters, predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        polls = {p.circuit: p for p in meters.poll()}
        if predicate(polls):
            return polls
        time.sleep(0.02)
    raise AssertionError(f"condition not met; last polls: {polls}")


@pytest.fixture
def meters(broker):
    clock = FakeClock()
    source = MqttMeters(ALL, mqtt=MqttConfig(host="127.0.0.1", port=broker.port), clock=clock)
    assert source.subscribed.wait(10)
    source.clock = clock
    yield source
    source.close()


def test_native_payloads_through_the_broker_become_readings(broker, meters):
    pub = publisher(broker.port)
    send(pub, MESSAGES)
    polls = poll_until(meters, lambda p: all(isinstance(r, Reading) for r in p.values())
                       and p["shed-c"].current_a is not None)
    pub.loop_stop()
    for circuit, (watts, volts, amps, wh) in EXPECTED.items():
        r = polls[circuit]
        assert (r.power_w, r.voltage_v, r.current_a) == (watts, volts, amps)
        assert r.energy_wh == pytest.approx(wh)


def test_last_will_offline_and_silence_make_a_meter_unreadable(broker, meters):
    pub = publisher(broker.port)
    send(pub, MESSAGES)
    poll_until(meters, lambda p: isinstance(p["shed-a"], Reading))
    send(pub, [("tele/shed_a_c1/LWT", "Offline"), ("shellies/shellyplug-s-7A2B3C/online", "false")])
    polls = poll_until(meters, lambda p: isinstance(p["shed-a"], Unreadable) and isinstance(p["port-1"], Unreadable))
    assert "offline" in polls["shed-a"].reason
    meters.clock.advance(timedelta(seconds=36))
    polls = {p.circuit: p for p in meters.poll()}
    assert "no power message for 36 s" in polls["shed-c"].reason                   # ESPHome: 30 s limit
    assert isinstance(polls["port-2"], Reading)                                     # Shelly: 70 s limit
    meters.clock.advance(timedelta(seconds=40))
    polls = {p.circuit: p for p in meters.poll()}
    assert "no power message" in polls["port-2"].reason
    pub.loop_stop()


def test_bad_payload_is_counted_and_named(broker, meters):
    pub = publisher(broker.port)
    send(pub, [("meters/pingan-2/shed-c/sensor/c1_power/state", "nan")])
    polls = poll_until(meters, lambda p: meters.rejected >= 1)
    pub.loop_stop()
    assert "nan" in polls["shed-c"].reason


@pytest.mark.parametrize("meter,what,payload,expected", [
    (TASMOTA, "sensor", TASMOTA_SENSOR, plugs.PlugUpdate("shed-a", 56.0, 234.0, 0.392, 514153.0)),
    (TASMOTA, "availability", "Online", plugs.PlugUpdate("shed-a", online=True)),
    (ESPHOME, "power", "110.4", plugs.PlugUpdate("shed-c", power_w=110.4)),
    (ESPHOME, "availability", "offline", plugs.PlugUpdate("shed-c", online=False)),
    (SHELLY1, "energy", "60", plugs.PlugUpdate("port-1", energy_wh=1.0)),
    (SHELLY1, "availability", "true", plugs.PlugUpdate("port-1", online=True)),
    (SHELLY2, "status", SHELLY2_STATUS, plugs.PlugUpdate("port-2", 25.7, 239.7, 0.188, 913.252)),
])
def test_parse(meter, what, payload, expected):
    assert plugs.parse(meter, what, payload.encode()) == expected


@pytest.mark.parametrize("meter,what,payload,reason", [
    (TASMOTA, "sensor", '{"Time":"x","ANALOG":{"A0":3}}', "ENERGY.Power"),
    (TASMOTA, "sensor", "not json", "not JSON"),
    (TASMOTA_MULTI, "sensor", json.dumps({"ENERGY": {"Power": [5]}}), "channel 1"),
    (ESPHOME, "power", "nan", "nan"),
    (ESPHOME, "power", "-4", "negative"),
    (SHELLY2, "status", '{"id":0,"output":true}', "apower"),
    (SHELLY1, "availability", "maybe", "neither"),
])
def test_parse_refuses_with_a_reason(meter, what, payload, reason):
    with pytest.raises(ValueError, match=reason):
        plugs.parse(meter, what, payload.encode())


def test_routes_use_the_firmwares_topics():
    assert set(plugs.routes(TASMOTA)) == {"tele/shed_a_c1/SENSOR", "tele/shed_a_c1/LWT"}
    assert "meters/pingan-2/shed-c/sensor/c1_power/state" in plugs.routes(ESPHOME)
    assert set(plugs.routes(SHELLY2)) == {"shellyplusplugs-a8032ab12345/status/switch:0",
                                          "shellyplusplugs-a8032ab12345/online"}

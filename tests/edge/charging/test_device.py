"""The charging device end to end on the edge: config → sources → counting → events (ListSink)."""

import json
import random
import threading
import time
from datetime import datetime, timezone

import pytest

from edge.charging.config import ChargingConfig
from edge.charging.device import ChargingDevice, start
from edge.charging.simulator import Charger, CircuitSim, SimulatedSource
from edge.config import load_edge_config
from edge.events import ListSink
from gwcommon.clock import FakeClock
from gwcommon.exc import ConfigError
from gwcommon.wire import Charging, Fault

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
ENVELOPE = {"id": "x-1", "ts": "2026-03-02T12:00:00.000+00:00", "seq": 1, "v": 1}

CONFIG = """
[site]
id = "pingan-2"
[device]
id = "shed-1"
kind = "charging"
[charging]
poll_interval = "1s"
[charging.modbus]
transport = "serial"
port = "/dev/ttyUSB0"
[[meters]]
kind = "pzem"
circuit = "shed-a"
address = 1
[[meters]]
kind = "pzem"
circuit = "shed-b"
address = 2
[[meters]]
kind = "tasmota"
circuit = "shed-c"
topic = "shed_c"
[[meters]]
kind = "shelly2"
circuit = "port-1"
prefix = "shellyplusplugs-a8032ab12345"
"""


def test_events_on_change_and_at_least_every_minute():
    clock = FakeClock(T0)
    chargers = [Charger("lithium", plug_s=120, unplug_s=900, cc_w=110, cc_s=3600, taper_s=3600, full_w=6)]
    source = SimulatedSource({"shed-a": CircuitSim(chargers, rng=random.Random(3))}, clock=clock)
    sink = ListSink()
    device = ChargingDevice(ChargingConfig(), [source], sink=sink, clock=clock)
    times = []
    for t in range(1200):
        before = len(sink.events)
        device.step()
        if len(sink.events) > before:
            times.append(t)
        clock.advance(1)
    events = sink.of("charging")
    assert max(b - a for a, b in zip(times, times[1:])) <= 60
    loads = [e["loads"] for e in events]
    assert loads[0] == 0 and 1 in loads and loads[-1] == 0
    assert any(123 <= t <= 127 for t, e in zip(times, events) if e["loads"] == 1)
    for fields in events:
        Charging.model_validate({**ENVELOPE, **fields})


def test_config_with_every_meter_kind_loads(tmp_path):
    path = tmp_path / "edge.toml"
    path.write_text(CONFIG, encoding="utf-8")
    config = load_edge_config(path)
    assert [m.kind for m in config.meters] == ["pzem", "pzem", "tasmota", "shelly2"]
    assert config.charging.modbus.port == "/dev/ttyUSB0"


@pytest.mark.parametrize("change,message", [
    (("address = 2", "address = 1"), "PZEM addresses must differ"),
    (('circuit = "shed-b"', 'circuit = "shed-a"'), "exactly one meter"),
    (('kind = "tasmota"', 'kind = "sonoff"'), "meters.2"),
    (('poll_interval = "1s"', 'poll_interval = "5s"'), "charging.poll_interval"),
])
def test_bad_config_fails_with_one_line(tmp_path, change, message):
    path = tmp_path / "edge.toml"
    path.write_text(CONFIG.replace(*change), encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as info:
        load_edge_config(path)
    assert "\n" not in str(info.value)


def test_start_runs_the_simulated_shed_until_stopped(tmp_path):
    path = tmp_path / "edge.toml"
    path.write_text(CONFIG.split("[[meters]]")[0] + '[storage]\ndir = "state"\n'
                    '[[meters]]\nkind = "simulated"\ncircuit = "demo"\nseed = 4\n', encoding="utf-8")
    config = load_edge_config(path)
    sink, stop = ListSink(), threading.Event()
    from gwcommon.clock import SystemClock
    handle = start(config, sink, None, SystemClock(), stop)
    deadline = time.monotonic() + 5
    while not sink.of("charging") and time.monotonic() < deadline:
        time.sleep(0.02)
    handle.stop()
    assert sink.of("charging")[0]["circuit"] == "demo"
    saved = json.loads((tmp_path / "state" / "energy-shed-1.json").read_text(encoding="utf-8"))
    assert list(saved["circuits"]) == ["demo"]  # the energy totals, kept for the next start


def test_start_without_meters_says_what_to_add(tmp_path):
    path = tmp_path / "edge.toml"
    path.write_text(CONFIG.split("[[meters]]")[0], encoding="utf-8")
    with pytest.raises(ConfigError, match="no \\[\\[meters\\]\\]"):
        start(load_edge_config(path), ListSink(), None, FakeClock(), threading.Event())


def test_fault_fields_are_valid_wire_payloads():
    from edge.charging.model import Unreadable
    from edge.charging.track import new_track, on_unreadable
    from edge.charging.counting import CountingParams

    track = new_track(CountingParams(), wrap_wh=None)
    track, events = on_unreadable(track, Unreadable("shed-a", T0, "no answer"), 0)
    (kind, fields), = events
    Fault.model_validate({**ENVELOPE, **fields})
    assert fields["detail"] == "shed-a: no answer"

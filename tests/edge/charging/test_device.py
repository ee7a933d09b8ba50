"""The charging device end to end on the edge: config → sources → counting → events (ListSink)."""

import json
import random
import threading
import time
from datetime import datetime, timezone

import pytest
from pydantic import TypeAdapter

from edge.charging.config import ChargingConfig
from edge.charging.cutconfig import SwitchConfig
from edge.charging.cutter import Cutter, policy_for
from edge.charging.device import ChargingDevice, start
from edge.charging.model import Reading
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


class Knob:
    """One circuit's meter whose current the test sets; counts its polls."""

    name = "knob"
    circuits = ("shed-a",)

    def __init__(self, clock, amps: float):
        self.clock, self.amps, self.polls = clock, amps, 0

    def poll(self) -> list[Reading]:
        self.polls += 1
        return [Reading("shed-a", self.clock.now(), 230.0, self.amps, self.amps * 230.0, None)]

    def close(self) -> None:
        pass


class Relay:
    circuit = "shed-a"

    def __init__(self):
        self.calls: list[bool] = []
        self.done = threading.Event()

    def set(self, on: bool) -> None:
        self.calls.append(on)
        self.done.set()


def overload_device(clock, amps: float):
    switch = TypeAdapter(SwitchConfig).validate_python(
        {"kind": "shelly1_http", "circuit": "shed-a", "host": "127.0.0.1", "switchable": True, "breaker_a": 16})
    relay, knob, charging = Relay(), Knob(clock, amps), ChargingConfig()
    cutter = Cutter({"shed-a": policy_for(switch, charging, None)}, {"shed-a": relay}, sink=ListSink(), clock=clock)
    return ChargingDevice(charging, [knob], sink=ListSink(), clock=clock, cutter=cutter), knob, relay


def test_overload_cuts_at_the_first_reading_above_the_alarm_level():
    clock = FakeClock(T0)
    device, knob, relay = overload_device(clock, 4.0)
    for _ in range(5):
        device.step()
        clock.advance(1)
    knob.amps = 14.5                       # 16 A breaker, alarm at 12.8 A: no second reading awaited
    device.step()
    assert relay.done.wait(10) and relay.calls == [False]
    device.close()


class Ticks:
    """A stop event for ``run``: each wait advances the fake clock; stops after ``n`` waits."""

    def __init__(self, clock, n: int, on_wait=None):
        self.clock, self.n, self.waits, self.on_wait = clock, n, [], on_wait

    def is_set(self) -> bool:
        return len(self.waits) >= self.n

    def wait(self, seconds: float) -> bool:
        self.waits.append(round(seconds, 3))
        self.clock.advance(seconds)
        if self.on_wait:
            self.on_wait(len(self.waits))
        return self.is_set()


def test_meters_are_read_faster_only_while_a_circuit_is_near_its_alarm_level():
    clock = FakeClock(T0)
    device, knob, _ = overload_device(clock, 4.0)       # 4 A: under 60 % of the 12.8 A alarm level
    counted = []
    ticks = Ticks(clock, 10, on_wait=lambda i: counted.append(device.tracks["shed-a"].latest.ts))
    device.run(ticks)
    assert set(ticks.waits) == {1.0}
    knob.amps = 10.0                                     # 78 % of the alarm level: near
    ticks = Ticks(clock, 40, on_wait=lambda i: counted.append(device.tracks["shed-a"].latest.ts))
    before = knob.polls
    device.run(ticks)
    assert max(ticks.waits[2:]) <= 0.25 and knob.polls - before >= 36
    # the counter still takes one reading a second: the watch readings feed only the cut
    assert len(set(counted)) <= 10 + 11
    device.close()

"""Energy totals survive a restart of the charging device (edge/charging/energystore.py)."""

import itertools
import json
import logging
from datetime import datetime, timedelta, timezone

import pytest

from edge.charging import energystore
from edge.charging.config import ChargingConfig
from edge.charging.device import ChargingDevice
from edge.charging.energy import PZEM_WRAP_WH, EnergyCounter, advance
from edge.charging.energystore import EnergyStore
from edge.charging.model import Reading
from edge.events import ListSink
from gwcommon.clock import FakeClock

T0 = datetime(2026, 3, 2, 19, 0, tzinfo=timezone.utc)


def store_at(tmp_path, clock=None):
    return EnergyStore(tmp_path / "energy-shed-1.json", clock=clock or FakeClock(T0))


def restart(tmp_path, counters, wraps=None):
    """Save ``counters`` as one process would at close, and restore them as the next one does."""
    store_at(tmp_path).flush(counters)
    return store_at(tmp_path).restore(wraps or {name: c.wrap_wh for name, c in counters.items()})


def test_round_trip(tmp_path):
    counters = {"shed-a": EnergyCounter(wrap_wh=PZEM_WRAP_WH, last_raw_wh=1234.5, offset_wh=10.25, wraps=1, resets=2),
                "port-1": EnergyCounter(last_raw_wh=7.0, offset_wh=3.0, resets=1),
                "b3-stairs": EnergyCounter()}  # a meter not heard from yet
    assert restart(tmp_path, counters) == counters
    saved = json.loads((tmp_path / "energy-shed-1.json").read_text(encoding="utf-8"))
    assert saved["format"] == 1 and saved["saved"] == "2026-03-02T19:00:00.000+00:00"


def test_restart_continues_the_total_with_the_same_raw_counter(tmp_path):
    before = advance(advance(EnergyCounter(), 800.0), 500.0)  # one reset already: 800 + 500
    after = advance(restart(tmp_path, {"shed-a": before})["shed-a"], 520.0)
    assert after.total_wh == 1320.0 and after.resets == 1


def test_a_meter_reset_while_the_edge_was_down_continues_from_the_saved_total(tmp_path):
    before = advance(EnergyCounter(), 5000.0)
    restored = restart(tmp_path, {"port-1": before})["port-1"]
    after = advance(restored, 3.0)  # the Shelly rebooted meanwhile and counts from 0 again
    assert after.total_wh == 5003.0 and after.resets == 1
    assert after.total_wh >= before.total_wh


def test_wrap_state_is_kept(tmp_path):
    before = EnergyCounter(wrap_wh=PZEM_WRAP_WH, last_raw_wh=9_999_000.0, offset_wh=PZEM_WRAP_WH, wraps=1)
    restored = restart(tmp_path, {"shed-a": before})["shed-a"]
    assert restored == before
    after = advance(restored, 500.0)  # the PZEM wrapped while the edge was down
    assert after.wraps == 2 and after.resets == 0 and after.total_wh == 2 * PZEM_WRAP_WH + 500.0


def test_circuits_no_longer_configured_are_dropped_and_new_ones_start_fresh(tmp_path):
    saved = {"shed-a": EnergyCounter(last_raw_wh=10.0, offset_wh=5.0), "gone": EnergyCounter(last_raw_wh=1.0)}
    restored = restart(tmp_path, saved, wraps={"shed-a": None, "new": PZEM_WRAP_WH})
    assert restored == {"shed-a": saved["shed-a"], "new": EnergyCounter(wrap_wh=PZEM_WRAP_WH)}
    store_at(tmp_path).flush(restored)
    assert set(json.loads((tmp_path / "energy-shed-1.json").read_text(encoding="utf-8"))["circuits"]) == {"shed-a", "new"}


def test_a_missing_file_is_a_first_start(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="edge.charging.energystore"):
        assert store_at(tmp_path).restore({"shed-a": None}) == {"shed-a": EnergyCounter()}
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


GOOD = {"wrap_wh": None, "last_raw_wh": 1.0, "offset_wh": 0.0, "wraps": 0, "resets": 0}


@pytest.mark.parametrize("content", [
    b"",
    b"{\"format\": 1, \"circuits\": {",  # cut short
    b"\xff\xfe\x00garbage",
    json.dumps({"format": 2, "circuits": {}}).encode(),
    json.dumps({"format": 1, "circuits": []}).encode(),
    json.dumps({"format": 1, "circuits": {"shed-a": {**GOOD, "offset_wh": -5.0}}}).encode(),
    json.dumps({"format": 1, "circuits": {"shed-a": {**GOOD, "wraps": 1.5}}}).encode(),
    json.dumps({"format": 1, "circuits": {"shed-a": {**GOOD, "last_raw_wh": "12"}}}).encode(),
    json.dumps({"format": 1, "circuits": {"shed-a": {k: v for k, v in GOOD.items() if k != "resets"}}}).encode(),
    (b'{"format": 1, "circuits": {"shed-a": {"wrap_wh": null, "last_raw_wh": NaN, "offset_wh": 0.0, '
     b'"wraps": 0, "resets": 0}}}'),
])
def test_a_corrupt_file_is_logged_once_and_every_total_starts_afresh(tmp_path, caplog, content):
    path = tmp_path / "energy-shed-1.json"
    path.write_bytes(content)
    store = store_at(tmp_path)
    with caplog.at_level(logging.INFO, logger="edge.charging.energystore"):
        restored = store.restore({"shed-a": None})
    assert restored == {"shed-a": EnergyCounter()}
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and str(path) in warnings[0].getMessage()
    assert (tmp_path / "energy-shed-1.json.bad").read_bytes() == content  # kept for the installer
    assert store.flush({"shed-a": advance(restored["shed-a"], 2.0)})
    assert store_at(tmp_path).restore({"shed-a": None})["shed-a"].total_wh == 2.0


def test_a_device_starts_over_a_corrupt_file(tmp_path, caplog):
    (tmp_path / "energy-shed-1.json").write_text("{", encoding="utf-8")
    clock = FakeClock(T0)
    with caplog.at_level(logging.WARNING):
        device = ChargingDevice(ChargingConfig(), [Meter(clock)], sink=ListSink(), clock=clock,
                                energy_file=tmp_path / "energy-shed-1.json")
    assert device.energies() == {"port-1": EnergyCounter()}
    assert "energy-shed-1.json" in caplog.text


def test_a_failed_write_leaves_the_old_file_whole(tmp_path, monkeypatch, caplog):
    path = tmp_path / "energy-shed-1.json"
    store = store_at(tmp_path)
    old = {"shed-a": EnergyCounter(last_raw_wh=100.0)}
    assert store.flush(old)
    before = path.read_bytes()

    def refuse(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(energystore.os, "replace", refuse)
    with caplog.at_level(logging.WARNING, logger="edge.charging.energystore"):
        assert not store.flush({"shed-a": EnergyCounter(last_raw_wh=200.0)})
        assert not store.flush({"shed-a": EnergyCounter(last_raw_wh=300.0)})
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["energy-shed-1.json"]  # no temporary file left
    assert store.failures == 2 and len(caplog.records) == 1 and str(path) in caplog.records[0].getMessage()
    monkeypatch.undo()
    assert store.flush({"shed-a": EnergyCounter(last_raw_wh=300.0)})
    assert store_at(tmp_path).restore({"shed-a": None})["shed-a"].last_raw_wh == 300.0


def test_saves_when_a_total_changed_and_at_most_every_minute(tmp_path):
    clock = FakeClock(T0)
    store = store_at(tmp_path, clock)
    store.restore({"shed-a": None})

    def on_disk():
        return store_at(tmp_path).restore({"shed-a": None})["shed-a"].last_raw_wh

    def at(seconds, raw):
        clock.set(T0 + timedelta(seconds=seconds))
        return store.save_if_due({"shed-a": EnergyCounter(last_raw_wh=raw)})

    assert not store.save_if_due({"shed-a": EnergyCounter()})  # nothing changed since the start
    assert at(1, 10.0) and on_disk() == 10.0  # the first change is saved at once
    assert not at(30, 20.0) and on_disk() == 10.0  # … the next waits for the minute
    assert not at(60, 30.0)
    assert at(61, 40.0) and on_disk() == 40.0
    assert not at(200, 40.0)  # a minute later but unchanged: no write
    assert at(201, 41.0) and on_disk() == 41.0
    assert not at(202, 42.0)
    assert store.flush({"shed-a": EnergyCounter(last_raw_wh=42.0)}) and on_disk() == 42.0  # close: at once
    assert not store.flush({"shed-a": EnergyCounter(last_raw_wh=42.0)})
    assert store.saves == 4


class Meter:
    """A one-socket plug whose raw energy counter can be set, like a Shelly Gen1 after a reboot."""

    name = "shelly1"
    circuits = ("port-1",)

    def __init__(self, clock, *, raw_wh=0.0, power_w=600.0):
        self.clock = clock
        self.raw_wh = raw_wh
        self.power_w = power_w

    def poll(self):
        reading = Reading("port-1", self.clock.now(), 221.0, None, self.power_w, round(self.raw_wh, 3))
        self.raw_wh += self.power_w / 3600  # one second of charging until the next poll
        return [reading]

    def close(self):
        pass


def run_device(tmp_path, clock, meter, sink, seconds, *, close=True):
    device = ChargingDevice(ChargingConfig(), [meter], sink=sink, clock=clock,
                            energy_file=tmp_path / "energy-shed-1.json")
    for _ in range(seconds):
        device.step()
        clock.advance(1)
    if close:
        device.close()
    return device


def test_energy_in_charging_events_never_decreases_across_restarts(tmp_path):
    clock, sink = FakeClock(T0), ListSink()
    meter = Meter(clock, raw_wh=1000.0)
    device = run_device(tmp_path, clock, meter, sink, 300)  # 50 Wh charged, then a clean stop
    assert device.energies()["port-1"].total_wh == pytest.approx(1000.0 + 299 / 6)
    clock.advance(600)
    meter = Meter(clock, raw_wh=0.0)  # the plug rebooted while the Pi was down: its counter is 0 again
    run_device(tmp_path, clock, meter, sink, 300, close=False)  # … and this time the Pi loses power
    clock.advance(600)
    meter = Meter(clock, raw_wh=meter.raw_wh + 5.0)  # the plug kept counting (5 Wh more meanwhile)
    device = run_device(tmp_path, clock, meter, sink, 300)
    totals = [e["energy_wh"] for e in sink.of("charging")]
    assert len(totals) >= 15  # at least one a minute
    assert all(b >= a for a, b in itertools.pairwise(totals)), totals
    counter = device.energies()["port-1"]
    assert counter.resets == 1
    assert counter.total_wh == pytest.approx(1000.0 + 299 / 6 + 300 / 6 + 5.0 + 299 / 6)
    assert totals[-1] > 1140.0

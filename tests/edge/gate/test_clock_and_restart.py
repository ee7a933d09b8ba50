"""A stale edge clock cannot revive an expired visitor pass; passback memory survives a restart."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from edge.allowlist import Allowlist
from edge.ble.model import Sighting
from edge.events import ListSink
from edge.gate.device import GateDevice
from edge.gate.sim import SimulatedGate
from gwcommon import wire
from gwcommon.clock import FakeClock

from tests.support.gate import gate_config

HUB_NOW = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
STALE = datetime(2025, 1, 1, tzinfo=timezone.utc)  # a Pi with no RTC, booted without network
VISITOR, RESIDENT = "eid:visitor", "eid:car-1"


def visitor_list(expires: datetime) -> wire.Allowlist:
    return wire.Allowlist(version=3, ts=HUB_NOW, entries=[
        wire.AllowEntry(tag=VISITOR, vehicle="浙B00001", expires=expires),
        wire.AllowEntry(tag=RESIDENT, vehicle="浙A12345")])


def test_stale_edge_clock_cannot_revive_an_expired_pass(tmp_path):
    clock = FakeClock(STALE)
    allowlist = Allowlist(tmp_path / "allowlist.json", clock=clock)
    allowlist.update(visitor_list(expires=HUB_NOW - timedelta(hours=2)))  # ran out before the hub's time
    assert allowlist.lookup(VISITOR) == "expired"
    assert allowlist.lookup(RESIDENT) == "allowed"
    restarted = Allowlist(tmp_path / "allowlist.json", clock=FakeClock(STALE))  # from the file, offline
    assert restarted.lookup(VISITOR) == "expired"


def test_time_elapsed_since_the_list_counts_too(tmp_path):
    clock = FakeClock(STALE)
    allowlist = Allowlist(tmp_path / "allowlist.json", clock=clock)
    allowlist.update(visitor_list(expires=HUB_NOW + timedelta(hours=1)))
    assert allowlist.lookup(VISITOR) == "allowed"
    clock.advance(2 * 3600)  # the wall clock is still a year behind, but two hours have passed
    assert allowlist.lookup(VISITOR) == "expired"


def test_a_correct_edge_clock_ahead_of_the_list_still_rules(tmp_path):
    clock = FakeClock(HUB_NOW + timedelta(days=2))
    allowlist = Allowlist(tmp_path / "allowlist.json", clock=clock)
    allowlist.update(visitor_list(expires=HUB_NOW + timedelta(days=1)))
    assert allowlist.lookup(VISITOR) == "expired"


def _device(factory, tmp_path, clock):
    allowlist = Allowlist(tmp_path / "allowlist.json", clock=clock)
    allowlist.update(visitor_list(expires=HUB_NOW + timedelta(days=30)))
    sink = ListSink()
    device = GateDevice(gate_config(), sink=sink, allowlist=allowlist, clock=clock, pin_factory=factory,
                        cameras={}, state_dir=tmp_path)
    return device, sink


def _drive_in(device, sim, clock):
    lane = sim["lane-0"]

    def run(seconds):
        for _ in range(round(seconds / 0.05)):
            device.pump()
            sim.step(clock.monotonic())
            device.pump()
            clock.advance(0.05)

    device.sighted(Sighting(RESIDENT, -55, clock.monotonic(), False))
    lane.set("arming_loop", True)
    run(1.5)
    lane.block_eye(True)
    run(0.5)
    lane.set("arming_loop", False)
    run(0.5)
    lane.block_eye(False)
    run(6)


def test_passback_memory_survives_a_restart(mock_factory, tmp_path):
    clock = FakeClock(HUB_NOW)
    device, sink = _device(mock_factory, tmp_path, clock)
    sim = SimulatedGate(device.config, mock_factory)
    device.start(thread=False)
    _drive_in(device, sim, clock)
    device.stop()
    assert [p["reason"] for p in sink.of("passage")] == ["allowlisted"]
    mock_factory.reset()

    device, sink = _device(mock_factory, tmp_path, clock)  # the gate restarted (power cut, update)
    sim = SimulatedGate(device.config, mock_factory)
    device.start(thread=False)
    try:
        clock.advance(60)
        _drive_in(device, sim, clock)  # in again without having gone out
    finally:
        device.stop()
    assert [p["reason"] for p in sink.of("passage")] == ["passback"]


def test_unreadable_passback_file_is_kept_aside_and_counted(mock_factory, tmp_path):
    (tmp_path / "passback.json").write_text("{not json", encoding="utf-8")
    device, _ = _device(mock_factory, tmp_path, FakeClock(HUB_NOW))
    try:
        assert device.counters["passback_unreadable"] == 1
        assert (tmp_path / "passback.json.bad").exists() and not (tmp_path / "passback.json").exists()
    finally:
        device.close()

"""A stale edge clock cannot revive an expired visitor pass; passback memory and loop levels survive a restart."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

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


def _drive_in(device, sim, clock, *, heard_every: float | None = None):
    """A resident drives onto the loop and through: its tag heard once as it arrives, or
    every ``heard_every`` seconds throughout."""
    lane = sim["lane-0"]

    def run(seconds):
        for k in range(round(seconds / 0.05)):
            if heard_every is not None and k % round(heard_every / 0.05) == 0:
                device.sighted(Sighting(RESIDENT, -55, clock.monotonic(), False))
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


@pytest.mark.parametrize("content,limit", [("{not json", None), ("[" * 100_000, None),
                                           ('{"last_direction": {"eid:a": "sideways"}}', None),
                                           ('{"last_direction": {}}' + " " * 5_000, 4_096)],
                         ids=["not json", "nested past Python's recursion limit", "a wrong value",
                              "valid but larger than the limit"])
def test_unreadable_passback_file_is_kept_aside_and_counted(mock_factory, tmp_path, monkeypatch, content, limit):
    """A hostile or broken file never stops the gate from starting: it is kept aside and counted."""
    from edge.gate import device as gate_device

    if limit is not None:
        monkeypatch.setattr(gate_device, "STATE_FILE_MAX", limit)
    (tmp_path / "passback.json").write_text(content, encoding="utf-8")
    device, _ = _device(mock_factory, tmp_path, FakeClock(HUB_NOW))
    try:
        assert device.counters["passback_unreadable"] == 1
        assert (tmp_path / "passback.json.bad").exists() and not (tmp_path / "passback.json").exists()
    finally:
        device.close()


# ---- loop levels (how near each tag comes on the loop: edge/gate/associate.py) survive a restart ---------------------------------

def test_loop_levels_survive_a_restart(mock_factory, tmp_path):
    clock = FakeClock(HUB_NOW)
    device, sink = _device(mock_factory, tmp_path, clock)
    sim = SimulatedGate(device.config, mock_factory)
    device.start(thread=False)
    try:
        _drive_in(device, sim, clock, heard_every=0.25)
    finally:
        device.stop()
    assert [p["reason"] for p in sink.of("passage")] == ["allowlisted"]
    saved = json.loads((tmp_path / "loop_levels.json").read_text(encoding="utf-8"))
    assert saved == {"lanes": {"lane-0": [[RESIDENT, [-55]]]}}
    mock_factory.reset()

    device, _ = _device(mock_factory, tmp_path, clock)  # the gate restarted
    try:
        assert dict(device.lanes["lane-0"].traffic.loop_levels) == {RESIDENT: (-55,)}
    finally:
        device.close()


@pytest.mark.parametrize("lane_0", [[[RESIDENT, [-55, 99]]], [[RESIDENT, [-55, True]]], [[RESIDENT, [-55.5]]],
                                    [[RESIDENT, []]], {RESIDENT: [-55]}, [[RESIDENT]]],
                         ids=["99 dBm", "a boolean", "a fraction", "no level", "the tags as a mapping", "no levels"])
def test_unreadable_loop_levels_are_kept_aside_and_counted(mock_factory, tmp_path, lane_0):
    (tmp_path / "loop_levels.json").write_text(json.dumps({"lanes": {"lane-0": lane_0}}), encoding="utf-8")
    device, _ = _device(mock_factory, tmp_path, FakeClock(HUB_NOW))
    try:
        assert device.counters["loop_levels_unreadable"] == 1
        assert (tmp_path / "loop_levels.json.bad").exists() and not (tmp_path / "loop_levels.json").exists()
        assert dict(device.lanes["lane-0"].traffic.loop_levels) == {}
    finally:
        device.close()


def test_loop_levels_keep_their_order_and_are_trimmed_not_refused(mock_factory, tmp_path):
    """The file keeps the order tags last opened the lane (the oldest is forgotten first), and more
    levels per tag than the lane keeps (an older version's file) are trimmed to the newest."""
    lane_0 = [["eid:z", [-60]], ["eid:a", [-70, -69, -68, -67, -66, -65, -64]], [RESIDENT, [-55]]]
    (tmp_path / "loop_levels.json").write_text(json.dumps({"lanes": {"lane-0": lane_0, "gone": []}}), encoding="utf-8")
    device, _ = _device(mock_factory, tmp_path, FakeClock(HUB_NOW))
    try:
        levels = device.lanes["lane-0"].traffic.loop_levels
        assert list(levels) == ["eid:z", "eid:a", RESIDENT] and levels["eid:a"] == (-68, -67, -66, -65, -64)
        device._levels_dirty = True
        device._save_loop_levels(force=True)
    finally:
        device.close()
    saved = json.loads((tmp_path / "loop_levels.json").read_text(encoding="utf-8"))["lanes"]["lane-0"]
    assert [tag for tag, _ in saved] == ["eid:z", "eid:a", RESIDENT]


def test_loop_levels_are_saved_at_most_once_a_minute_and_again_after_a_failure(mock_factory, tmp_path, monkeypatch):
    from edge.gate import device as gate_device

    clock = FakeClock(HUB_NOW)
    device, _ = _device(mock_factory, tmp_path, clock)
    path = tmp_path / "loop_levels.json"
    writes: list[bytes] = []
    fail = [True]

    def write(target, data):
        if fail[0]:
            raise OSError("the SD card is read-only")
        writes.append(data)
        path.write_bytes(data)

    monkeypatch.setattr(gate_device, "write_atomic", write)
    try:
        device._levels_dirty = True
        device._save_loop_levels()  # fails: counted, kept dirty
        assert device.counters["loop_levels_save_failed"] == 1 and device._levels_dirty
        fail[0] = False
        device._save_loop_levels()  # within the minute: not tried again yet
        assert writes == []
        clock.advance(61)
        device._save_loop_levels()
        assert len(writes) == 1 and not device._levels_dirty
        device._save_loop_levels(force=True)  # nothing new: nothing written
        assert len(writes) == 1
    finally:
        device.close()

"""The gate's allowlist: newest version wins, saved atomically, used after a reboot with no network."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from edge.allowlist import Allowlist
from edge.ble.model import Sighting
from edge.events import ListSink
from edge.gate.device import GateDevice
from gwcommon import wire
from gwcommon.clock import FakeClock
from edge.gate.sim import SimulatedGate
from tests.support.gate import gate_config

from tests.support.allowlists import CAR, SOLD, VISITOR, listing  # noqa: F401


@pytest.fixture
def clock():
    return FakeClock()


@pytest.mark.parametrize("tag,later,status", [
    (CAR, 0, "allowed"),
    (VISITOR, 3, "allowed"),
    (VISITOR, 4, "expired"),  # by the edge's own clock, at the exact expiry instant
    (VISITOR, 5, "expired"),
    (SOLD, 0, "revoked"),
    ("eid:nobody", 0, "unknown_tag"),
])
def test_lookup(tmp_path, clock, tag, later, status):
    allowlist = Allowlist(tmp_path / "allowlist.json", clock=clock)
    allowlist.update(listing(3, clock))
    clock.advance(timedelta(hours=later))
    assert allowlist.lookup(tag) == status


def test_older_or_same_version_is_ignored(tmp_path, clock):
    allowlist = Allowlist(tmp_path / "allowlist.json", clock=clock)
    assert allowlist.update(listing(5, clock))
    assert not allowlist.update(wire.Allowlist(version=4, entries=[]))
    assert not allowlist.update(wire.Allowlist(version=5, entries=[]))
    assert allowlist.lookup(CAR) == "allowed" and allowlist.ignored_older == 1
    assert allowlist.update(wire.Allowlist(version=6, entries=[]))
    assert allowlist.lookup(CAR) == "unknown_tag"
    assert not allowlist.update(listing(5, clock))  # an emptied newer list is still newer


def test_saved_atomically_and_read_back(tmp_path, clock):
    path = tmp_path / "state" / "allowlist.json"
    Allowlist(path, clock=clock).update(listing(7, clock))
    assert json.loads(path.read_text(encoding="utf-8"))["version"] == 7
    assert not path.with_name("allowlist.json.tmp").exists()
    again = Allowlist(path, clock=clock)
    assert again.version == 7 and again.lookup(CAR) == "allowed" and len(again) == 3


def test_bad_payload_changes_nothing(tmp_path, clock):
    allowlist = Allowlist(tmp_path / "allowlist.json", clock=clock)
    allowlist.update(listing(2, clock))
    assert not allowlist.update_from_payload(b'{"version": 9, "entries": [{"tag": "bogus:1", "vehicle": "x"}]}')
    assert allowlist.version == 2 and allowlist.lookup(CAR) == "allowed"


def test_corrupt_file_is_kept_aside_and_reported(tmp_path, clock, mock_factory):
    path = tmp_path / "allowlist.json"
    path.write_bytes(b'{"version": 3, "entries": [')  # a torn write from some older tool
    allowlist = Allowlist(path, clock=clock)
    assert allowlist.version == 0 and allowlist.load_problem and path.with_name("allowlist.json.bad").exists()
    sink = ListSink()
    device = GateDevice(gate_config(), sink=sink, allowlist=allowlist, clock=clock, pin_factory=mock_factory, cameras={})
    SimulatedGate(gate_config(), mock_factory)  # fire panel quiet (its N.C. contact closed)
    device.start(thread=False)
    device.pump()
    device.stop()
    assert [f["code"] for f in sink.of("fault")] == ["allowlist_unreadable"]


def test_reboot_without_network_still_admits_residents(tmp_path, clock, mock_factory):
    """Day one: the hub's list arrives and is saved.  Power cut.  Day two: no broker, the car still opens."""
    Allowlist.in_storage(tmp_path, clock=clock).update(listing(1, clock))
    config = gate_config()
    allowlist = Allowlist.in_storage(tmp_path, clock=clock)  # a fresh process: only the file
    sink = ListSink()
    device = GateDevice(config, sink=sink, allowlist=allowlist, clock=clock, pin_factory=mock_factory, cameras={})
    sim = SimulatedGate(config, mock_factory)
    device.start(thread=False)
    sim["lane-0"].set("arming_loop", True)
    device.sighted(Sighting(CAR, -50, clock.monotonic(), False))
    for _ in range(40):
        device.pump()
        sim.step(clock.monotonic())
        clock.advance(0.05)
    device.stop()
    assert device._relays["lane-0"].pulses["open_relay"] == 1 and sim["lane-0"].position == "open"

"""The scanner through bleak's real BleakScanner with a fake BaseBleakScanner backend (no BlueZ)."""

import json
import threading
import time
from datetime import timedelta

import pytest

from edge.ble.config import ScannerConfig
from edge.ble.decode import eddystone_eid_payload, eddystone_uid_payload, ibeacon_payload
from edge.ble.eid import EidKey, EidResolver, compute_eid
from edge.ble.fake import FakeAdapterControl, FakeRadio
from edge.ble.pipeline import Pipeline
from edge.ble.scanner import Scanner
from edge.events import ListSink
from gwcommon.clock import FakeClock

UUID = "f7826da6-4fa2-4e98-8024-bc5b71e0893e"
IK = bytes.fromhex("0102030405060708090a111213141516")


def wait_for(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return condition()


class Rig:
    def __init__(self, *, config=None, radio=None, keys=(), heals=False, macs=()):
        self.clock = FakeClock()
        self.radio = radio or FakeRadio()
        self.sink = ListSink()
        self.fatal = []
        self.sightings = []
        self.config = config or ScannerConfig(silence=timedelta(seconds=30))
        resolver = EidResolver(keys=tuple(keys), clone_window=5, clone_hold=60)
        self.pipeline = Pipeline("north-gate", resolver=resolver, mac_tags=macs)
        self.adapter = FakeAdapterControl(self.radio, heals=heals)
        self.scanner = Scanner(self.config, sink=self.sink, clock=self.clock, pipeline=self.pipeline,
                               backend=self.radio.backend, adapter_control=self.adapter,
                               on_fatal=self.fatal.append, tick=0.01)
        self.scanner.subscribe(self.sightings.append)

    def __enter__(self):
        self.scanner.start()
        assert wait_for(lambda: self.radio.scanning)
        return self

    def __exit__(self, *exc):
        self.scanner.stop()

    def faults(self, code=None):
        return [(f["code"], f["active"]) for f in self.sink.of("fault") if code in (None, f["code"])]


def test_tags_become_sightings_and_the_rest_is_counted():
    with Rig(macs=["c4:7c:8d:6a:1b:2e"]) as rig:
        rig.radio.ibeacon("4f:00:00:00:00:01", -61, ibeacon_payload(UUID, 1, 42))
        rig.radio.eddystone("4f:00:00:00:00:02", -70, eddystone_uid_payload(bytes(range(10)), bytes(6)))
        rig.radio.advertise("c4:7c:8d:6a:1b:2e", -66, address_type="public")
        rig.radio.advertise("4f:00:00:00:00:03", -50, manufacturer_data={0x0006: b"\x01\x09"})  # a phone
        assert wait_for(lambda: len(rig.sightings) == 3 and rig.pipeline.counts["not_a_tag"] == 1)
    assert [(s.tag, s.rssi, s.weak) for s in rig.sightings] == [
        (f"ibeacon:{UUID}:1:42", -61, True),
        ("eddystone:00010203040506070809:000000000000", -70, True),
        ("mac:c4:7c:8d:6a:1b:2e", -66, True),
    ]
    assert rig.radio.modes == ["passive"]
    assert rig.radio.kwargs[0]["bluez"]["adapter"] == "hci0" and rig.radio.kwargs[0]["bluez"]["or_patterns"]


def test_eid_tag_resolves_to_its_name_and_is_not_weak():
    key = EidKey("car-7", IK, 10, 0, FakeClock().now())
    with Rig(keys=[key]) as rig:
        rig.clock.advance(3000)  # beacon counter 3000: window 2
        rig.radio.eddystone("5a:00:00:00:00:07", -58, eddystone_eid_payload(compute_eid(IK, 10, 3000)))
        rig.radio.eddystone("5a:00:00:00:00:07", -58, eddystone_eid_payload(bytes(8)))  # unknown EID
        assert wait_for(lambda: rig.pipeline.counts["eid_unknown"] == 1)
    assert [(s.tag, s.weak) for s in rig.sightings] == [("eid:car-7", False)]


def test_replayed_eid_is_refused_with_one_fault_then_cleared():
    key = EidKey("car-7", IK, 4, 0, FakeClock().now())
    with Rig(keys=[key]) as rig:
        rig.clock.advance(100)
        old, new = compute_eid(IK, 4, 90), compute_eid(IK, 4, 100)
        for eid in (old, new, old, old):
            rig.radio.eddystone("5a:00:00:00:00:07", -58, eddystone_eid_payload(eid))
        assert wait_for(lambda: rig.pipeline.counts["eid_replay"] == 2)
        assert rig.faults() == [("ble_possible_clone", True)]
        rig.clock.advance(61)
        clone = "ble_possible_clone"
        assert wait_for(lambda: rig.faults(clone) == [(clone, True), (clone, False)])
    assert len(rig.sightings) == 2


def test_auto_mode_falls_back_to_active_when_bluez_refuses_passive():
    with Rig(radio=FakeRadio(refuse_passive=True)) as rig:
        assert rig.scanner.mode == "active"
        rig.radio.ibeacon("4f:00:00:00:00:01", -61, ibeacon_payload(UUID, 1, 42))
        assert wait_for(lambda: len(rig.sightings) == 1)
    assert rig.radio.modes == ["passive", "active"]
    assert "or_patterns" not in rig.radio.kwargs[1]["bluez"]
    assert rig.faults() == []


def test_passive_mode_that_bluez_refuses_is_a_fault_not_a_silent_fallback():
    config = ScannerConfig(mode="passive", silence=timedelta(seconds=30))
    rig = Rig(config=config, radio=FakeRadio(refuse_passive=True))
    rig.scanner.start()
    try:
        assert wait_for(lambda: rig.faults() == [("ble_adapter_down", True)])
    finally:
        rig.scanner.stop()
    assert "passive" in rig.sink.of("fault")[0]["detail"]


def test_recovery_ladder_restart_power_cycle_exit_then_cleared():
    with Rig() as rig:
        rig.radio.silent = True  # BlueZ hangs: discovery "runs" but nothing arrives
        rig.clock.advance(29)
        time.sleep(0.05)
        assert rig.faults() == []
        rig.clock.advance(1)
        assert wait_for(lambda: rig.radio.starts == 2)  # restarted
        assert rig.faults() == [("ble_no_advertisements", True)]
        rig.clock.advance(30)
        assert wait_for(lambda: rig.radio.power_cycles == 1 and rig.radio.starts == 3)
        assert rig.faults()[-1] == ("ble_adapter_down", True)
        rig.clock.advance(30)
        assert wait_for(lambda: rig.fatal)
        assert rig.faults()[-1] == ("ble_adapter_down", True) and "systemd" in rig.sink.of("fault")[-1]["detail"]
        assert rig.radio.stops == 3 and not rig.radio.scanning  # scanning stopped before giving up
    assert rig.faults() == [("ble_no_advertisements", True), ("ble_adapter_down", True), ("ble_adapter_down", True)]
    assert len(rig.fatal) == 1


def test_power_cycle_heals_and_faults_clear():
    with Rig(heals=True) as rig:
        rig.radio.silent = True
        rig.clock.advance(30)
        assert wait_for(lambda: rig.radio.starts == 2)
        rig.clock.advance(30)
        assert wait_for(lambda: rig.radio.power_cycles == 1 and rig.radio.starts == 3)
        rig.clock.advance(1)
        rig.radio.ibeacon("4f:00:00:00:00:01", -61, ibeacon_payload(UUID, 1, 42))
        assert wait_for(lambda: ("ble_no_advertisements", False) in rig.faults())
        assert wait_for(lambda: ("ble_adapter_down", False) in rig.faults())
    assert rig.fatal == []
    assert rig.faults() == [("ble_no_advertisements", True), ("ble_adapter_down", True),
                            ("ble_adapter_down", False), ("ble_no_advertisements", False)]


def test_faults_raised_before_an_exit_are_cleared_by_the_next_process(tmp_path):
    state = tmp_path / "ble-faults.json"
    state.write_text(json.dumps({"raised": ["ble_adapter_down", "ble_no_advertisements"]}))
    rig = Rig()
    rig.scanner.state_file = state
    with rig:
        rig.clock.advance(1)
        rig.radio.ibeacon("4f:00:00:00:00:01", -61, ibeacon_payload(UUID, 1, 42))
        assert wait_for(lambda: len(rig.faults()) == 2)
    assert rig.faults() == [("ble_adapter_down", False), ("ble_no_advertisements", False)]
    assert json.loads(state.read_text()) == {"raised": []}


def test_a_full_queue_drops_and_counts_never_blocks_the_radio():
    config = ScannerConfig(queue_size=100, silence=timedelta(seconds=30))
    with Rig(config=config) as rig:
        gate = threading.Event()
        rig.scanner.subscribe(lambda s: gate.wait(5))  # a stuck subscriber
        for i in range(300):
            rig.radio.ibeacon("4f:00:00:00:00:01", -61, ibeacon_payload(UUID, 1, i))
        assert wait_for(lambda: rig.scanner.dropped > 0)
        gate.set()
        assert wait_for(lambda: rig.scanner.dropped + len(rig.sightings) == 300)
    assert rig.scanner.dropped > 0 and rig.pipeline.counts["advertisements"] == len(rig.sightings)


def test_a_failing_subscriber_does_not_stop_decoding():
    with Rig() as rig:
        rig.scanner.subscribe(lambda s: 1 / 0)
        for minor in (1, 2):
            rig.radio.ibeacon("4f:00:00:00:00:01", -61, ibeacon_payload(UUID, 1, minor))
        assert wait_for(lambda: len(rig.sightings) == 2)


@pytest.mark.parametrize("bad", [{"adapter": "bt0"}, {"mac_tags": ["zz:00:00:00:00:00"]}, {"mode": "loud"},
                                 {"silence": "1s"}, {"colour": "red"}])
def test_bad_scanner_config_is_refused(bad):
    from gwcommon.config import validate
    from gwcommon.exc import ConfigError
    with pytest.raises(ConfigError):
        validate(bad, ScannerConfig)

"""The scanner against BlueZ's D-Bus API as bleak uses it in the field: a private system bus with
python-dbusmock's bluez5 template publishing Device1 objects (ManufacturerData, ServiceData, RSSI
changes) — passive and active scanning, repeated and changed advertisements, adapter loss and return.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from edge.ble.config import ScannerConfig
from edge.ble.decode import eddystone_uid_payload, ibeacon_payload
from edge.ble.eid import EidKey, EidResolver, compute_eid
from edge.ble.pipeline import Pipeline
from edge.ble.scanner import Scanner
from edge.events import ListSink
from gwcommon.clock import FakeClock
from tests.support import bluez

pytestmark = pytest.mark.timeout(300)
UUID = "f7826da6-4fa2-4e98-8024-bc5b71e0893e"
RESIDENT = f"ibeacon:{UUID}:1:42"
TAG_ADDRESS = "c4:7c:8d:6a:1b:2e"
APPLE = 0x004C
EDDYSTONE = "0000feaa-0000-1000-8000-00805f9b34fb"


@pytest.fixture
def mock_bluez(tmp_path, monkeypatch):
    reason = bluez.missing()
    if reason:
        pytest.skip(reason)
    server = bluez.MockBlueZ(tmp_path).start()
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", server.address)
    try:
        yield server
    finally:
        server.stop()


def wait(condition, timeout: float = 60.0) -> bool:  # generous: a loaded machine is slow
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not condition():
        time.sleep(0.02)
    return condition()


class Control:
    """The adapter power-cycle: here it brings the pulled adapter back (like a USB reset)."""

    def __init__(self, server: bluez.MockBlueZ):
        self.server, self.cycles = server, 0

    def power_cycle(self, adapter: str) -> None:
        self.cycles += 1
        self.server.add_adapter(adapter)


def scanner_for(server, *, mode="auto", clock=None, pipeline=None):
    clock = clock or FakeClock()
    sink = ListSink()
    fatal: list[str] = []
    scanner = Scanner(ScannerConfig(mode=mode, silence=timedelta(seconds=10)), sink=sink, clock=clock,
                      pipeline=pipeline or Pipeline("gate-north"), adapter_control=Control(server),
                      on_fatal=fatal.append, tick=0.05)
    heard: list = []
    scanner.subscribe(heard.append)
    return scanner, sink, heard, clock


def test_passive_scanning_on_bluez_with_advertisement_monitors(mock_bluez):
    mock_bluez.add_adapter("hci0", passive=True)
    scanner, _, heard, _ = scanner_for(mock_bluez)
    scanner.start()
    try:
        assert wait(lambda: scanner.mode is not None)
        assert scanner.mode == "passive"
        mock_bluez.add_device(TAG_ADDRESS, -70, manufacturer_data={APPLE: ibeacon_payload(UUID, 1, 42)})
        for rssi in (-65, -60, -55):  # the car drives up: each advertisement's RSSI change is a signal
            mock_bluez.advertise(TAG_ADDRESS, rssi)
        assert wait(lambda: [s.rssi for s in heard][-4:] == [-70, -65, -60, -55])
        assert {s.tag for s in heard} == {RESIDENT}
    finally:
        scanner.stop()
    log = mock_bluez.log()
    assert "RegisterMonitor" in log and "StartDiscovery" not in log  # passive: no active discovery


def test_without_experimental_bluez_auto_falls_back_to_active(mock_bluez):
    mock_bluez.add_adapter("hci0", passive=False)
    scanner, sink, heard, _ = scanner_for(mock_bluez, mode="auto")
    scanner.start()
    try:
        assert wait(lambda: scanner.mode is not None)
        assert scanner.mode == "active"
        mock_bluez.add_device(TAG_ADDRESS, -60, manufacturer_data={APPLE: ibeacon_payload(UUID, 1, 42)})
        assert wait(lambda: any(s.tag == RESIDENT for s in heard))
    finally:
        scanner.stop()
    log = mock_bluez.log()
    assert "StartDiscovery" in log and "SetDiscoveryFilter" in log
    assert "DuplicateData" in log.split("SetDiscoveryFilter", 1)[1].splitlines()[0]  # changes reach us
    assert sink.of("fault") == []


def test_passive_only_config_on_old_bluez_says_the_adapter_cannot_scan(mock_bluez):
    mock_bluez.add_adapter("hci0", passive=False)
    scanner, sink, heard, _ = scanner_for(mock_bluez, mode="passive")
    scanner.start()
    try:
        assert wait(lambda: sink.of("fault"))
        [fault] = sink.of("fault")
        assert fault["code"] == "ble_adapter_down" and fault["active"] and "5.56" in fault["detail"]
        assert scanner.mode is None
    finally:
        scanner.stop()


def test_repeated_and_changed_advertisements(mock_bluez):
    ik = bytes(range(16))
    key = EidKey("car-7", ik, 4, 5000, FakeClock().now())
    pipeline = Pipeline("gate-north", resolver=EidResolver(keys=(key,)))
    mock_bluez.add_adapter("hci0")
    scanner, _, heard, clock = scanner_for(mock_bluez, pipeline=pipeline)
    scanner.start()
    try:
        assert wait(lambda: scanner.mode is not None)
        eid = compute_eid(ik, 4, 5000)
        frame = b"\x30\xf0" + eid  # Eddystone-EID: frame type, tx power, 8-byte EID
        mock_bluez.add_device("d0:00:00:00:00:07", -62, service_data={EDDYSTONE: frame})
        mock_bluez.advertise("d0:00:00:00:00:07", -62)  # same RSSI again: still a sighting (trend input)
        assert wait(lambda: [s.tag for s in heard] == ["eid:car-7", "eid:car-7"])
        later = compute_eid(ik, 4, 5000 + 16)  # the tag rotates its identifier: only ServiceData changes
        clock.advance(16)
        mock_bluez.advertise("d0:00:00:00:00:07", -58, service_data={EDDYSTONE: b"\x30\xf0" + later})
        assert wait(lambda: len(heard) == 3 and heard[-1].tag == "eid:car-7" and heard[-1].rssi == -58)
        uid = eddystone_uid_payload(bytes(10), bytes(range(6)))
        mock_bluez.add_device("d0:00:00:00:00:08", -75, service_data={EDDYSTONE: uid})
        mock_bluez.add_device("5e:11:22:33:44:55", -50, address_type="random")  # a phone: no tag
        assert wait(lambda: any(s.tag.startswith("eddystone:") for s in heard))
        assert wait(lambda: pipeline.counts["not_a_tag"] >= 1)
        assert pipeline.counts["eid_resolved"] == 3
    finally:
        scanner.stop()


def test_adapter_lost_and_back(mock_bluez):
    mock_bluez.add_adapter("hci0", passive=False)
    scanner, sink, heard, clock = scanner_for(mock_bluez)
    control = scanner.adapter_control
    scanner.start()
    try:
        assert wait(lambda: scanner.mode == "active")
        mock_bluez.add_device(TAG_ADDRESS, -60, manufacturer_data={APPLE: ibeacon_payload(UUID, 1, 42)})
        assert wait(lambda: len(heard) == 1)
        mock_bluez.remove_adapter("hci0")  # the dongle is pulled
        clock.advance(11)  # silence: the scanner restarts scanning — the adapter is gone
        assert wait(lambda: {(f["code"], f["active"]) for f in sink.of("fault")} >= {
            ("ble_no_advertisements", True), ("ble_adapter_down", True)})
        clock.advance(11)  # still silent: power-cycle (here it brings the adapter back)
        assert wait(lambda: control.cycles == 1 and scanner.mode == "active" and scanner._bleak is not None)
        clock.advance(1)
        mock_bluez.add_device(TAG_ADDRESS, -58, manufacturer_data={APPLE: ibeacon_payload(UUID, 1, 42)})
        assert wait(lambda: len(heard) >= 2 and heard[-1].rssi == -58)
        assert wait(lambda: ("ble_adapter_down", False) in {(f["code"], f["active"]) for f in sink.of("fault")})
        assert ("ble_no_advertisements", False) in {(f["code"], f["active"]) for f in sink.of("fault")}
    finally:
        scanner.stop()

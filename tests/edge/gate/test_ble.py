"""End to end through bleak: a fake BlueZ backend (BaseBleakScanner) → scanner → gate → relay pin."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

from edge.allowlist import Allowlist
from edge.ble.config import ScannerConfig
from edge.ble.decode import ibeacon_payload
from edge.ble.fake import FakeRadio
from edge.events import ListSink
from edge.gate.daemon import make_scanner
from edge.gate.device import GateDevice
from edge.gate.sim import SimulatedGate
from gwcommon import wire
from gwcommon.clock import SystemClock
from tests.support.gate import gate_config

UUID = "f7826da6-4fa2-4e98-8024-bc5b71e0893e"
RESIDENT = f"ibeacon:{UUID}:1:42"


def wait(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not condition():
        time.sleep(0.01)
    return condition()


def test_resident_beacon_through_bleak_opens_only_with_a_car_on_the_loop(mock_factory, tmp_path):
    clock, sink, radio = SystemClock(), ListSink(), FakeRadio()
    config = gate_config()
    allowlist = Allowlist(tmp_path / "allowlist.json", clock=clock)
    allowlist.update(wire.Allowlist(version=1, entries=[wire.AllowEntry(tag=RESIDENT, vehicle="浙A12345", weak=True)]))
    device = GateDevice(config, sink=sink, allowlist=allowlist, clock=clock, pin_factory=mock_factory, cameras={})
    edge = SimpleNamespace(scanner=ScannerConfig(), device=SimpleNamespace(id="gate-north"))
    scanner = make_scanner(edge, sink, clock, device, backend=radio.backend)
    sim = SimulatedGate(config, mock_factory)["lane-0"]
    device.start()
    scanner.start()
    stop = threading.Event()

    def beacon():  # a tag advertising every 100 ms
        while not stop.is_set():
            radio.ibeacon("c4:7c:8d:6a:1b:2e", -52, ibeacon_payload(UUID, 1, 42))
            stop.wait(0.1)

    sender = threading.Thread(target=beacon, daemon=True)
    try:
        assert wait(lambda: radio.scanning)
        sender.start()
        time.sleep(1.0)  # parked beside the gate, loop empty: nothing opens
        assert device._relays["lane-0"].pulses["open_relay"] == 0
        sim.set("arming_loop", True)
        assert wait(lambda: device._relays["lane-0"].pulses["open_relay"] == 1)
    finally:
        stop.set()
        scanner.stop()
        device.stop()
    assert sim.relay("open_relay") is False  # the pulse ended; the device released every relay

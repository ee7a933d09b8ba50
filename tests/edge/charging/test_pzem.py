"""PZEM-004T meters over Modbus: pymodbus's own server stands in for the meters (RTU frames over TCP)."""

from datetime import timedelta

import pytest

from edge.charging.config import ChargingConfig, ModbusConfig, PzemMeter
from edge.charging.device import ChargingDevice
from edge.charging.pzem import PzemBus, PzemValues, decode, encode
from edge.events import ListSink
from gwcommon.clock import FakeClock
from tests.support.fakemodbus import PzemServer


@pytest.fixture
def pzems():
    server = PzemServer([1, 2]).start()
    yield server
    server.stop()


def bus_config(port):
    return ModbusConfig(transport="tcp", host="127.0.0.1", tcp_port=port, framer="rtu", timeout=0.5)


METERS = [PzemMeter(kind="pzem", circuit="shed-a", address=1), PzemMeter(kind="pzem", circuit="shed-b", address=2)]


@pytest.mark.parametrize("registers,expected", [
    ([2300, 392, 0, 560, 0, 1234, 0, 500, 61, 0], (230.0, 0.392, 56.0, 1234.0, 50.0, 0.61, False)),
    ([2201, 0x86A0, 0x1, 0xB8, 0x5, 12, 3, 499, 100, 0xFFFF], (220.1, 100.0, 32786.4, 196620.0, 49.9, 1.0, True)),
])
def test_decode_registers(registers, expected):
    v = decode(registers)
    assert (v.voltage_v, v.current_a, v.power_w, v.energy_wh, v.frequency_hz, v.power_factor, v.alarm) == expected
    assert encode(v) == registers


@pytest.mark.parametrize("registers", [[2300] * 5, [3500, 0, 0, 0, 0, 0, 0, 500, 100, 0], [2300, 0, 0, 0, 0, 0, 0, 500, 150, 0]])
def test_decode_refuses_nonsense(registers):
    with pytest.raises(ValueError):
        decode(registers)


def test_two_meters_on_one_bus_by_address(pzems):
    pzems.registers[1] = encode(PzemValues(229.5, 1.234, 250.0, 5000.0, 50.0, 0.88, False))
    pzems.registers[2] = encode(PzemValues(230.1, 0.5, 110.0, 42.0, 50.0, 0.95, False))
    bus = PzemBus(bus_config(pzems.port), METERS, clock=FakeClock())
    try:
        a, b = bus.poll()
    finally:
        bus.close()
    assert (a.circuit, a.voltage_v, a.current_a, a.power_w, a.energy_wh) == ("shed-a", 229.5, 1.234, 250.0, 5000.0)
    assert (b.circuit, b.power_w, b.energy_wh) == ("shed-b", 110.0, 42.0)


def test_a_missing_address_is_unreadable_and_the_other_still_reads(pzems):
    meters = [METERS[0], PzemMeter(kind="pzem", circuit="shed-c", address=7)]
    bus = PzemBus(bus_config(pzems.port), meters, clock=FakeClock())
    try:
        a, c = bus.poll()
    finally:
        bus.close()
    assert a.power_w == 0.0
    assert c.circuit == "shed-c" and "address 7" in c.reason


def test_device_counts_emits_and_raises_then_clears_the_fault(pzems):
    clock = FakeClock()
    sink = ListSink()
    bus = PzemBus(bus_config(pzems.port), METERS[:1], clock=clock)
    device = ChargingDevice(ChargingConfig(unreadable_after=timedelta(seconds=3)), [bus], sink=sink, clock=clock)
    for watts in [0, 0, 0, 0, 120, 120, 120, 120, 120]:
        pzems.registers[1] = encode(PzemValues(230.0, watts / 230 / 0.9, float(watts), 10.0, 50.0, 0.9, False))
        device.step()
        clock.advance(1)
    charging = sink.of("charging")
    assert charging[0]["loads"] == 0 and charging[-1]["loads"] == 1
    assert charging[-1]["circuit"] == "shed-a" and charging[-1]["voltage_v"] == 230.0
    pzems.registers[1] = [3500] + [0] * 9            # nonsense: 350 V
    for _ in range(5):
        device.step()
        clock.advance(1)
    faults = sink.of("fault")
    assert len(faults) == 1 and faults[0]["active"] and faults[0]["detail"].startswith("shed-a: ")
    pzems.registers[1] = encode(PzemValues(230.0, 0.5, 120.0, 11.0, 50.0, 0.9, False))
    device.step()
    device.close()
    assert sink.of("fault")[-1] == {"code": "sensor_unreadable", "active": False, "detail": "shed-a: the meter reads again"}


def test_serial_port_that_does_not_exist_is_unreadable_with_the_port_named():
    bus = PzemBus(ModbusConfig(port="/dev/gatewarden-no-such-port"), METERS[:1], clock=FakeClock())
    (poll,) = bus.poll()
    bus.close()
    assert "/dev/gatewarden-no-such-port" in poll.reason

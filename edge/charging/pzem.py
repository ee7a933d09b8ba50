"""PZEM-004T v3 meters on one Modbus-RTU bus (pymodbus), several by address.

Input registers 0x0000–0x0009 (function 0x04): V = r0 × 0.1; I = (r1 + r2 << 16) mA;
P = (r3 + r4 << 16) × 0.1 W; E = (r5 + r6 << 16) Wh; f = r7 × 0.1 Hz; PF = r8 × 0.01;
alarm = r9 (0xFFFF when set).  The bus is a serial port on the Pi in the field; ``transport =
"tcp"`` reaches the same RTU frames through an RS485-to-Ethernet gateway (and lets the tests use
pymodbus's own server).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from gwcommon.clock import Clock

from .config import ModbusConfig, PzemMeter
from .model import Poll, Reading, Unreadable

logger = logging.getLogger(__name__)

REGISTERS = 10


@dataclass(frozen=True)
class PzemValues:
    """One decoded answer of a PZEM-004T v3."""

    voltage_v: float
    current_a: float
    power_w: float
    energy_wh: float
    frequency_hz: float
    power_factor: float
    alarm: bool


def decode(registers: list[int]) -> PzemValues:
    """Decode the ten input registers; ValueError when the answer cannot be a PZEM's."""
    if len(registers) < REGISTERS:
        raise ValueError(f"expected {REGISTERS} registers, got {len(registers)}")
    r = registers
    values = PzemValues(
        voltage_v=r[0] / 10, current_a=(r[1] + (r[2] << 16)) / 1000,
        power_w=(r[3] + (r[4] << 16)) / 10, energy_wh=float(r[5] + (r[6] << 16)),
        frequency_hz=r[7] / 10, power_factor=r[8] / 100, alarm=r[9] == 0xFFFF,
    )
    if values.voltage_v > 300 or values.power_factor > 1.0 or values.current_a > 100.5:
        raise ValueError(f"implausible reading {values}")
    return values


def encode(values: PzemValues) -> list[int]:
    """The registers a meter showing ``values`` answers with (for tests and the simulator)."""
    amps = round(values.current_a * 1000)
    deciwatts = round(values.power_w * 10)
    wh = int(values.energy_wh)
    return [round(values.voltage_v * 10), amps & 0xFFFF, amps >> 16, deciwatts & 0xFFFF,
            deciwatts >> 16, wh & 0xFFFF, wh >> 16, round(values.frequency_hz * 10),
            round(values.power_factor * 100), 0xFFFF if values.alarm else 0]


def make_client(bus: ModbusConfig):
    """A pymodbus client for the bus (not yet connected)."""
    from pymodbus.client import ModbusSerialClient, ModbusTcpClient
    from pymodbus.framer import FramerType

    framer = FramerType.RTU if bus.framer == "rtu" else FramerType.SOCKET
    if bus.transport == "tcp":
        return ModbusTcpClient(bus.host, port=bus.tcp_port, framer=framer, timeout=bus.timeout, retries=0)
    return ModbusSerialClient(bus.port, framer=framer, baudrate=bus.baudrate, bytesize=8, parity="N",
                              stopbits=1, timeout=bus.timeout, retries=0)


class PzemBus:
    """A :class:`~edge.charging.model.PowerSource`: every PZEM on one bus, polled in turn."""

    name = "pzem"

    def __init__(self, bus: ModbusConfig, meters: list[PzemMeter], *, clock: Clock, client=None):
        self._bus = bus
        self._meters = list(meters)
        self._clock = clock
        self._client = client or make_client(bus)

    @property
    def circuits(self) -> tuple[str, ...]:
        return tuple(m.circuit for m in self._meters)

    def poll(self) -> list[Poll]:
        return [self._read(meter) for meter in self._meters]

    def _read(self, meter: PzemMeter) -> Poll:
        from pymodbus.exceptions import ModbusException

        now = self._clock.now()
        try:
            if not self._client.connected and not self._client.connect():
                return Unreadable(meter.circuit, now, f"cannot open the Modbus bus ({self._where()})")
            answer = self._client.read_input_registers(0, count=REGISTERS, device_id=meter.address)
            if answer.isError():
                return Unreadable(meter.circuit, now, f"PZEM address {meter.address} answered with an error: {answer}")
            v = decode(answer.registers)
        except (ModbusException, OSError, ValueError) as exc:
            self._client.close()
            return Unreadable(meter.circuit, now, f"PZEM address {meter.address} on {self._where()}: {exc}")
        return Reading(meter.circuit, now, v.voltage_v, v.current_a, v.power_w, v.energy_wh)

    def _where(self) -> str:
        b = self._bus
        return b.port if b.transport == "serial" else f"{b.host}:{b.tcp_port}"

    def close(self) -> None:
        self._client.close()

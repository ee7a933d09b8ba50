"""``gatewarden doctor`` on a charging Pi: PZEM-004T meters answered by pymodbus's own server."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from edge.charging.pzem import PzemValues, encode
from gatewarden.doctor.meters import plausible
from gatewarden.doctor.run import run_checks
from gatewarden.doctor.seams import Env
from tests.support.broker import free_port

pytestmark = pytest.mark.timeout(60)


class MeterServer:
    """A Modbus TCP server speaking RTU frames (an RS485 gateway) with PZEMs at the given addresses."""

    def __init__(self, meters: dict[int, PzemValues]):
        from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext

        devices = {address: ModbusDeviceContext(ir=ModbusSequentialDataBlock(1, encode(values) + [0] * 6))
                   for address, values in meters.items()}
        self.context = ModbusServerContext(devices=devices, single=False)
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.server = None
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self._serve(),), daemon=True)

    async def _serve(self) -> None:
        from pymodbus.framer import FramerType
        from pymodbus.server import ModbusTcpServer

        self.server = ModbusTcpServer(self.context, address=("127.0.0.1", self.port), framer=FramerType.RTU)
        self.loop.call_soon(self.ready.set)
        await self.server.serve_forever()

    def start(self) -> "MeterServer":
        from tests.support.broker import wait_port

        self.thread.start()
        self.ready.wait(5)
        wait_port(self.port, 5)
        return self

    def stop(self) -> None:
        if self.server is not None and self.thread.is_alive():
            asyncio.run_coroutine_threadsafe(self.server.shutdown(), self.loop).result(5)
        self.thread.join(5)


@pytest.fixture
def meters():
    server = MeterServer({1: PzemValues(229.8, 1.2, 250.0, 1234, 50.0, 0.91, False),
                          2: PzemValues(230.4, 0.0, 0.0, 88, 50.0, 0.0, False)}).start()
    yield server
    server.stop()


def write_config(tmp_path: Path, broker_port: int, modbus_port: int) -> Path:
    path = tmp_path / "charging.toml"
    path.write_text(f"""
[site]
id = "pingan-2"
[storage]
dir = "{tmp_path / 'data'}"
[mqtt]
port = {broker_port}
[device]
id = "shed"
kind = "charging"
[charging.modbus]
transport = "tcp"
host = "127.0.0.1"
tcp_port = {modbus_port}
timeout = 0.3
[[meters]]
kind = "pzem"
circuit = "shed-a"
address = 1
[[meters]]
kind = "pzem"
circuit = "shed-b"
address = 2
""", encoding="utf-8")
    return path


def test_healthy_meters_pass(tmp_path, broker, meters):
    checks = run_checks(str(write_config(tmp_path, broker.port, meters.port)),
                        Env(ntp=lambda: True, meter_seconds=2))
    assert [(c.id, c.status) for c in checks if c.status != "ok"] == []
    found = {c.id: c for c in checks}
    assert found["meter.shed-a"].message("en") == "The meter answers: 229.8 V, 1.2 A, 250 W."
    assert found["meter.shed-b"].status == "ok"


def test_silent_meter_is_its_own_failure(tmp_path, broker, meters):
    config = write_config(tmp_path, broker.port, meters.port)
    meters.stop()  # the gateway or the meters lost power
    checks = run_checks(str(config), Env(ntp=lambda: True, meter_seconds=1))
    failed = [c for c in checks if c.status == "fail"]
    assert sorted(c.id for c in failed) == ["meter.shed-a", "meter.shed-b"]
    assert all(c.key == "meter.silent" for c in failed)
    assert "RS485" in failed[0].message("zh") and "A/B" in failed[0].message("en")


def test_meter_at_a_wrong_address_fails_and_the_other_passes(tmp_path, broker):
    server = MeterServer({1: PzemValues(229.8, 1.2, 250.0, 1234, 50.0, 0.91, False)}).start()
    try:
        checks = {c.id: c for c in run_checks(str(write_config(tmp_path, broker.port, server.port)),
                                               Env(ntp=lambda: True, meter_seconds=1))}
    finally:
        server.stop()
    assert checks["meter.shed-a"].status == "ok"
    assert (checks["meter.shed-b"].status, checks["meter.shed-b"].key) == ("fail", "meter.silent")


@pytest.mark.parametrize("voltage,current,power,problem", [
    (229.8, 1.2, 250.0, ""),
    (None, 1.0, 220.0, ""),
    (229.8, None, 0.0, ""),
    (120.0, 1.0, 100.0, "voltage 120 V outside 180–260 V"),
    (229.8, 1.0, 900.0, "power above voltage × current"),
    (229.8, 150.0, 250.0, "current 150 A"),
    (229.8, 1.0, -5.0, "power < 0"),
])
def test_plausible_readings(voltage, current, power, problem):
    assert plausible(voltage, current, power) == problem

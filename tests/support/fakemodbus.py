"""Modbus devices on pymodbus's own server (RTU frames over TCP, like an RS485-to-Ethernet gateway).

* :class:`PzemServer` — several PZEM-004T v3 meters on one bus; ``registers[address]`` is what each answers;
* :class:`FakeModbusRelay` — a relay board's coils; records every write (``changes``, ``state``).
"""

from __future__ import annotations

import asyncio
import threading

from tests.support.broker import free_port, wait_port
from tests.support.fakeswitch import Recorder


class ModbusServer:
    """pymodbus's TCP server with RTU framing, on its own event loop thread."""

    def __init__(self, devices) -> None:
        self.port = free_port()
        self._devices = devices
        self._loop = asyncio.new_event_loop()
        self._server = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        from pymodbus.framer import FramerType
        from pymodbus.server import ModbusTcpServer

        async def main():
            self._server = ModbusTcpServer(self._devices, framer=FramerType.RTU, address=("127.0.0.1", self.port))
            await self._server.serve_forever()

        self._loop.run_until_complete(main())

    def start(self):
        self._thread.start()
        wait_port(self.port)
        return self

    def stop(self) -> None:
        if self._server is not None:
            asyncio.run_coroutine_threadsafe(self._server.shutdown(), self._loop).result(5)
        self._thread.join(5)


class PzemServer(ModbusServer):
    """Several PZEMs on one simulated bus; ``registers[address]`` is what each one answers."""

    def __init__(self, addresses) -> None:
        from pymodbus.simulator import DataType, SimData, SimDevice

        from edge.charging.pzem import PzemValues, encode

        self.registers = {a: encode(PzemValues(230.0, 0.0, 0.0, 0.0, 50.0, 1.0, False)) for a in addresses}
        super().__init__([SimDevice(id=a, simdata=[SimData(0, count=10, values=0, datatype=DataType.REGISTERS)],
                                    action=self._action(a)) for a in addresses])

    def _action(self, address):
        async def action(_fc, start, _address, _count, registers, _set_values):
            for i, value in enumerate(self.registers[address]):
                registers[i - start] = value
        return action


class FakeModbusRelay(ModbusServer, Recorder):
    """A relay board (coils 0..coils-1) at ``address``; keys ``coil:<n>``."""

    def __init__(self, address: int = 1, coils: int = 8) -> None:
        from pymodbus.simulator import DataType, SimData, SimDevice

        Recorder.__init__(self)
        self.address = address
        ModbusServer.__init__(self, [SimDevice(id=address, simdata=[SimData(0, count=coils, values=0,
                                                                            datatype=DataType.REGISTERS)],
                                               action=self._action)])

    async def _action(self, function_code, _start, address, _count, _registers, set_values):
        if function_code in (5, 15) and set_values is not None:
            for offset, value in enumerate(set_values):
                self.record(f"coil:{address + offset}", bool(value))
        return None

"""A radio without hardware: bleak's own backend seam (``BaseBleakScanner``) driven by code.

``FakeRadio().backend`` is a ``BaseBleakScanner`` subclass to pass as ``backend=`` to
``bleak.BleakScanner`` (our :class:`~edge.ble.scanner.Scanner` takes it as ``backend=``).  The
real bleak path runs — ``create_or_update_device``, ``call_detection_callbacks``, the registered
detection callback — on the scanner's event loop, with BlueZ-shaped ``details`` (``props`` with
``AddressType``).  Used by the tests, the benchmark and the simulator.

``radio.advertise(...)`` sends one advertisement while scanning; ``silent`` makes the radio deaf
(as a hung BlueZ does), ``fail_starts`` makes the next starts raise, ``refuse_passive`` mimics a
BlueZ without the experimental advertisement monitor.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.exc import BleakError

from .decode import EDDYSTONE_UUID


class FakeRadio:
    """The air around a fake adapter; thread-safe."""

    def __init__(self, *, refuse_passive: bool = False):
        self.refuse_passive = refuse_passive
        self.silent = False
        self.fail_starts = 0
        self.starts = 0
        self.stops = 0
        self.modes: list[str] = []
        self.kwargs: list[dict[str, Any]] = []
        self.power_cycles = 0
        self._lock = threading.Lock()
        self._current: _FakeBackendBase | None = None
        radio = self

        class FakeBackend(_FakeBackendBase):
            _radio = radio

        self.backend: type[BaseBleakScanner] = FakeBackend

    @property
    def scanning(self) -> bool:
        with self._lock:
            return self._current is not None

    def advertise(self, address: str, rssi: int, *, manufacturer_data: dict[int, bytes] | None = None,
                  service_data: dict[str, bytes] | None = None, address_type: str = "random",
                  name: str | None = None) -> bool:
        """Send one advertisement; False when nobody is scanning or the radio is silent."""
        with self._lock:
            backend = None if self.silent else self._current
        if backend is None:
            return False
        adv = AdvertisementData(name, dict(manufacturer_data or {}), dict(service_data or {}),
                                list(service_data or {}), None, rssi, ())
        backend.loop.call_soon_threadsafe(backend.deliver, address, address_type, name, adv)
        return True

    def eddystone(self, address: str, rssi: int, payload: bytes, **kw: Any) -> bool:
        return self.advertise(address, rssi, service_data={EDDYSTONE_UUID: payload}, **kw)

    def ibeacon(self, address: str, rssi: int, payload: bytes, **kw: Any) -> bool:
        return self.advertise(address, rssi, manufacturer_data={0x004C: payload}, **kw)

    def _started(self, backend: "_FakeBackendBase", mode: str, kwargs: dict[str, Any]) -> None:
        with self._lock:
            self.modes.append(mode)
            self.kwargs.append(kwargs)
            if self.fail_starts > 0:
                self.fail_starts -= 1
                raise BleakError("org.bluez.Error.NotReady: Resource Not Ready")
            if mode == "passive" and self.refuse_passive:
                raise BleakError("passive scanning on Linux requires BlueZ >= 5.56 with --experimental enabled")
            self.starts += 1
            self._current = backend

    def _stopped(self, backend: "_FakeBackendBase") -> None:
        with self._lock:
            self.stops += 1
            if self._current is backend:
                self._current = None


class _FakeBackendBase(BaseBleakScanner):
    _radio: FakeRadio

    def __init__(self, detection_callback: Any, service_uuids: Any, scanning_mode: str = "active", **kwargs: Any):
        super().__init__(detection_callback, service_uuids)
        self.mode = scanning_mode
        self.kwargs = kwargs
        self.loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.seen_devices = {}
        self._radio._started(self, self.mode, self.kwargs)

    async def stop(self) -> None:
        self._radio._stopped(self)

    def deliver(self, address: str, address_type: str, name: str | None, adv: AdvertisementData) -> None:
        details = {"path": f"/org/bluez/hci0/dev_{address.upper().replace(':', '_')}",
                   "props": {"Address": address.upper(), "AddressType": address_type}}
        device = self.create_or_update_device(address.upper(), address.upper(), name, details, adv)
        self.call_detection_callbacks(device, adv)


class FakeAdapterControl:
    """Adapter control for tests: counts power cycles; ``heals`` un-silences the radio."""

    def __init__(self, radio: FakeRadio, *, heals: bool = False, fails: bool = False):
        self.radio = radio
        self.heals = heals
        self.fails = fails

    def power_cycle(self, adapter: str) -> None:
        self.radio.power_cycles += 1
        if self.fails:
            raise OSError(f"cannot power-cycle {adapter}")
        if self.heals:
            self.radio.silent = False

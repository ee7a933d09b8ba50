"""The Bluetooth scanner (蓝牙扫描器): bleak in, :class:`~edge.ble.model.Sighting` out.

Two threads:

* the **radio thread** runs an asyncio loop with bleak's ``BleakScanner`` scanning continuously
  (passive with or-patterns where BlueZ allows it, else active) and the recovery watchdog.  The
  detection callback converts bleak's objects into our frozen
  :class:`~edge.ble.model.Advertisement` and only enqueues it (a full queue is counted, logged
  once a minute, and the advertisement dropped);
* the **decode thread** takes advertisements off the queue, runs the
  :class:`~edge.ble.pipeline.Pipeline` (decoders, EID resolver) and hands each valid sighting to
  every subscriber.  Subscribers run on this thread and must be quick (decide or enqueue).

Recovery (``edge.ble.watchdog``): no advertisement for ``silence`` → restart scanning → power-cycle
the adapter → call ``on_fatal`` (by default the process exits with :data:`EXIT_ADAPTER` so systemd
restarts it).  Every rung is a fault event; the first advertisement afterwards clears them.

``backend=`` takes a ``bleak.backends.scanner.BaseBleakScanner`` subclass (e.g.
:class:`edge.ble.fake.FakeRadio` ``.backend``); ``None`` uses the platform's (BlueZ).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bleak import BleakScanner
from bleak.args.bluez import OrPattern
from bleak.assigned_numbers import AdvertisementDataType as AD

from edge.events import EventSink
from gwcommon.clock import Clock

from . import watchdog
from .adapter import AdapterControl, SystemAdapterControl
from .config import ScannerConfig
from .model import Advertisement, Sighting
from .pipeline import CLONE, Pipeline

logger = logging.getLogger(__name__)

EXIT_ADAPTER = 75  # EX_TEMPFAIL: systemd's Restart=on-failure starts us again
OR_PATTERNS = [
    OrPattern(0, AD.MANUFACTURER_SPECIFIC_DATA, b"\x4c\x00\x02\x15"),  # iBeacon
    OrPattern(0, AD.SERVICE_DATA_UUID16, b"\xaa\xfe"),  # Eddystone
    OrPattern(0, AD.FLAGS, b"\x06"),  # most tags and phones (keeps the watchdog fed)
    OrPattern(0, AD.FLAGS, b"\x1a"),
    OrPattern(0, AD.FLAGS, b"\x02"),
]
Subscriber = Callable[[Sighting], None]
_IDLE = Advertisement(address="00:00:00:00:00:00", rssi=0)  # "nothing arrived": time for the tick


def to_advertisement(device: Any, adv: Any, at: float) -> Advertisement:
    """bleak's ``BLEDevice`` + ``AdvertisementData`` → our frozen Advertisement (the boundary)."""
    details = device.details if isinstance(device.details, dict) else {}
    props = details.get("props") or {}
    return Advertisement(
        address=device.address.lower(), rssi=int(adv.rssi),
        manufacturer_data=tuple(adv.manufacturer_data.items()),
        service_data=tuple((k.lower(), v) for k, v in adv.service_data.items()),
        local_name=adv.local_name, at=at, address_type=props.get("AddressType"))


def _exit_process(reason: str) -> None:
    logger.critical("Bluetooth scanner gives up: %s; exiting with %d for systemd", reason, EXIT_ADAPTER)
    logging.shutdown()
    os._exit(EXIT_ADAPTER)


class Scanner:
    """Continuous scanning with recovery; see the module docstring."""

    def __init__(self, config: ScannerConfig, *, sink: EventSink, clock: Clock, pipeline: Pipeline,
                 backend: type | None = None, adapter_control: AdapterControl | None = None,
                 on_fatal: Callable[[str], None] | None = None, state_file: Path | None = None,
                 tick: float = 1.0):
        self.config = config
        self.sink = sink
        self.clock = clock
        self.pipeline = pipeline
        self.backend = backend
        self.adapter_control = adapter_control or SystemAdapterControl()
        self.on_fatal = on_fatal or _exit_process
        self.state_file = state_file
        self.tick = tick
        self.dropped = 0
        self.mode: str | None = None  # the mode scanning runs in
        self.last_heard = 0.0
        self._queue: queue.Queue[Advertisement | None] = queue.Queue(maxsize=config.queue_size)
        self._subscribers: list[Subscriber] = []
        self._passive_refused = config.mode == "active"
        self._bleak: BleakScanner | None = None
        self._ladder = watchdog.LadderState()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._last_drop_log = float("-inf")

    def subscribe(self, fn: Subscriber) -> None:
        """Call ``fn(sighting)`` for every valid sighting (on the decode thread)."""
        self._subscribers.append(fn)

    def start(self) -> None:
        now = self.clock.monotonic()
        self.last_heard = now
        self._ladder = watchdog.LadderState(step_at=now, raised=self._load_raised())
        for name, target in (("ble-decode", self._decode_loop), ("ble-radio", self._radio_thread)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def stats(self) -> dict[str, int]:
        """Counters for metrics and the status page."""
        return {**self.pipeline.counts, "queue_dropped": self.dropped, "queued": self._queue.qsize(),
                "ladder_level": self._ladder.level}

    # --- radio thread -------------------------------------------------------------------------

    def _on_advert(self, device: Any, adv: Any) -> None:
        at = self.clock.monotonic()
        self.last_heard = at
        try:
            self._queue.put_nowait(to_advertisement(device, adv, at))
        except queue.Full:
            self.dropped += 1
            if time.monotonic() - self._last_drop_log > 60:
                self._last_drop_log = time.monotonic()
                logger.warning("decode queue full (%d): %d advertisements dropped so far",
                               self.config.queue_size, self.dropped)

    def _radio_thread(self) -> None:
        asyncio.run(self._supervise())

    async def _supervise(self) -> None:
        await self._start_scanning()
        while not self._stopping.is_set():
            await asyncio.sleep(self.tick)
            await self._watch()
        await self._stop_scanning()

    async def _watch(self) -> None:
        self._ladder, actions = watchdog.on_tick(
            self._ladder, now=self.clock.monotonic(), last_heard=self.last_heard,
            silence=self.config.silence.total_seconds(), adapter=self.config.adapter)
        await self._perform(actions)

    async def _perform(self, actions: list[watchdog.Action]) -> None:
        for action in actions:
            if isinstance(action, watchdog.FaultAction):
                self._emit_fault(action.code, action.active, action.detail)
                self._save_raised()
            elif action.step == watchdog.RESTART:
                await self._stop_scanning()
                await self._start_scanning()
            elif action.step == watchdog.POWER_CYCLE:
                await self._power_cycle()
            else:
                await self._stop_scanning()
                self.on_fatal(f"no Bluetooth advertisements on {self.config.adapter}")

    async def _power_cycle(self) -> None:
        await self._stop_scanning()
        try:
            await asyncio.to_thread(self.adapter_control.power_cycle, self.config.adapter)
        except OSError as exc:
            logger.error("power-cycling %s failed: %s", self.config.adapter, exc)
        await self._start_scanning()

    async def _start_scanning(self) -> None:
        mode = "active" if self._passive_refused else "passive"
        args: dict[str, Any] = {"adapter": self.config.adapter}
        if mode == "passive":
            args["or_patterns"] = OR_PATTERNS
        try:
            scanner = BleakScanner(self._on_advert, None, mode, bluez=args, backend=self.backend)  # type: ignore[arg-type]
            await scanner.start()
        except Exception as exc:  # bleak, D-Bus and OS errors all mean "cannot scan now"
            if mode == "passive" and self.config.mode == "auto" and _passive_unsupported(exc):
                logger.warning("passive scanning unavailable (%s); scanning actively", exc)
                self._passive_refused = True
                return await self._start_scanning()
            logger.error("cannot start scanning on %s: %s", self.config.adapter, exc)
            self._ladder, actions = watchdog.start_failed(
                self._ladder, now=self.clock.monotonic(), error=str(exc) or type(exc).__name__,
                adapter=self.config.adapter)
            return await self._perform(actions)
        self._bleak, self.mode = scanner, mode
        logger.info("scanning %s on %s", mode, self.config.adapter)

    async def _stop_scanning(self) -> None:
        scanner, self._bleak = self._bleak, None
        if scanner is None:
            return
        try:
            await scanner.stop()
        except Exception as exc:  # a wedged BlueZ may refuse; the next start tells
            logger.warning("stopping the scanner failed: %s", exc)

    # --- decode thread ------------------------------------------------------------------------

    def _decode_loop(self) -> None:
        last_tick = time.monotonic()
        while True:
            try:
                adv = self._queue.get(timeout=self.tick)
            except queue.Empty:
                adv = _IDLE
            if adv is None:
                return
            try:
                if adv is not _IDLE:
                    self._decode(adv)
                if time.monotonic() - last_tick >= self.tick:
                    last_tick = time.monotonic()
                    self._pipeline_tick()
            except Exception:  # one bad advertisement or subscriber must not stop the scanner
                logger.exception("decoding an advertisement from %s failed", adv.address)

    def _pipeline_tick(self) -> None:
        fault = self.pipeline.tick(self.clock.monotonic())
        if fault:
            self._emit_fault(CLONE, fault.active, fault.detail)

    def _decode(self, adv: Advertisement) -> None:
        sightings, fault = self.pipeline.process(adv, unix=self.clock.now().timestamp())
        if fault:
            self._emit_fault(CLONE, fault.active, fault.detail)
        for sighting in sightings:
            for fn in self._subscribers:
                fn(sighting)

    # --- faults -------------------------------------------------------------------------------

    def _emit_fault(self, code: str, active: bool, detail: str) -> None:
        (logger.warning if active else logger.info)("fault %s %s: %s", code, "raised" if active else "cleared", detail)
        self.sink.emit("fault", {"code": code, "active": active, "detail": detail})

    def _load_raised(self) -> frozenset[str]:
        if self.state_file is None or not self.state_file.exists():
            return frozenset()
        try:
            return frozenset(json.loads(self.state_file.read_text(encoding="utf-8")).get("raised", []))
        except (OSError, ValueError, AttributeError) as exc:
            logger.warning("ignoring unreadable %s: %s", self.state_file, exc)
            return frozenset()

    def _save_raised(self) -> None:
        if self.state_file is None:
            return
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"raised": sorted(self._ladder.raised)}), encoding="utf-8")
        tmp.replace(self.state_file)


def _passive_unsupported(exc: Exception) -> bool:
    text = str(exc).lower()
    return any(hint in text for hint in ("passive", "or_patterns", "experimental", "5.56", "advertisementmonitor"))

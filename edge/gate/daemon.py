"""``gatewarden edge`` for a gate device: the ``gate`` source (registered in :mod:`edge.sources`).

Wires the gate device to the outbox (events), the publisher (commands, the retained allowlist)
and, when the config has a ``[scanner]`` section, the Bluetooth scanner (sightings).  Everything
keeps working while the broker is away: the allowlist is on disk, events wait in the outbox.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from edge.allowlist import Allowlist
from edge.timesync import clock_trusted, flag_path
from gwcommon.clock import Clock
from gwcommon.exc import ConfigError

from .device import GateDevice

logger = logging.getLogger(__name__)


class GateHandle:
    """What :func:`start` returns: ``stop()`` ends the scanner(s), then the gate device."""

    def __init__(self, device: GateDevice, scanner: Any | None):
        self.device, self.scanner = device, scanner
        self.lpr: Any = None

    def stop(self) -> None:
        if self.lpr is not None:
            self.lpr.stop()
        if self.scanner is not None:
            self.scanner.stop()
        self.device.stop()


class Radios:
    """One scanner per radio (the [scanner] adapter and each lane's own ``radio``), started and
    stopped together; they share one decoding pipeline (one EID resolver: one listening place)."""

    def __init__(self, scanners: dict[str, Any]):
        self.scanners = scanners

    def start(self) -> None:
        for scanner in self.scanners.values():
            scanner.start()

    def stop(self) -> None:
        for scanner in self.scanners.values():
            scanner.stop()

    def stats(self) -> dict[str, dict[str, int]]:
        return {radio: scanner.stats() for radio, scanner in self.scanners.items()}


class _SharedPipeline:
    """The pipeline behind a lock: each radio's scanner decodes on its own thread."""

    def __init__(self, pipeline: Any):
        self._pipeline, self._lock = pipeline, threading.Lock()

    @property
    def counts(self) -> Any:
        return self._pipeline.counts

    def process(self, adv: Any, *, unix: float) -> Any:
        with self._lock:
            return self._pipeline.process(adv, unix=unix)

    def tick(self, at: float) -> Any:
        with self._lock:
            return self._pipeline.tick(at)


def start(config: Any, sink: Any, publisher: Any, clock: Clock, stop_event: threading.Event,
          *, pin_factory: Any = None, backend: type | None = None) -> GateHandle:
    """Start the gate device (and its scanner); returns at once."""
    if config.device.kind != "gate":
        raise ConfigError(f"[gate] is for a device of kind 'gate', but device.kind is '{config.device.kind}'")
    trusted = None if config.replay is not None else clock_trusted(flag_path(config.storage.dir, config.device.id))
    allowlist = Allowlist.in_storage(config.storage.dir, clock=clock, clock_trusted=trusted)
    settings = getattr(config, "scanner", None)
    device = GateDevice(config.gate, sink=sink, allowlist=allowlist, clock=clock, pin_factory=pin_factory,
                        default_radio=settings.adapter if settings is not None else "hci0",
                        state_dir=config.storage.dir)
    shared = [r for r, lanes in device.radios.items() if len(lanes) > 1]
    if settings is not None and shared:
        logger.warning("gate %s: lanes %s share the radio %s, which cannot tell which lane a tag is at: their "
                       "tags never open (ambiguous) until each lane names its own radio (docs/gate.md)",
                       config.device.id, ", ".join(device.radios[shared[0]]), shared[0])
    scanner = make_scanner(config, sink, clock, device, backend=backend)
    if publisher is not None:
        publisher.on_allowlist(device.handle_allowlist)
        publisher.on_command(device.handle_command)
    device.start()
    handle = GateHandle(device, scanner)
    if getattr(config, "lpr", None) is not None:  # plate cameras feed this gate's lanes (edge.lpr)
        from edge.lpr.daemon import start as start_lpr

        try:
            handle.lpr = start_lpr(config, sink, clock, gate_device=device)
        except BaseException:
            handle.stop()
            raise
    if scanner is not None:
        scanner.start()
    else:
        logger.warning("gate %s: no [scanner] section, so no tags are read (only buttons and commands open)",
                       config.device.id)
    return handle


def make_scanner(config: Any, sink: Any, clock: Clock, device: GateDevice, *, backend: type | None = None) -> Any:
    """The Bluetooth scanner(s) from ``[scanner]``: one per radio named by the lanes (each sighting
    tagged with its radio, so the device can tell lanes apart); None without a [scanner] section."""
    settings = getattr(config, "scanner", None)
    if settings is None:
        return None
    from edge.ble.config import load_eid_keys
    from edge.ble.eid import EidResolver
    from edge.ble.pipeline import Pipeline
    from edge.ble.scanner import Scanner
    from edge.ble.tlm import BatteryStamp

    resolver = EidResolver(keys=load_eid_keys(settings), clone_window=settings.clone_window.total_seconds(),
                           clone_hold=settings.clone_hold.total_seconds())
    pipeline = Pipeline(settings.source or config.device.id, resolver=resolver, mac_tags=settings.mac_tags,
                        any_static_mac=settings.any_static_mac)
    pipeline.watch_macs(_mac_tags(device.allowlist))
    device.sink = BatteryStamp(device.sink, pipeline.batteries, clock.monotonic)  # TLM voltages (edge.ble.tlm)
    device.on_allowlist_change = lambda: pipeline.watch_macs(_mac_tags(device.allowlist))
    radios = list(device.radios) if settings.adapter in device.radios else [settings.adapter, *device.radios]
    if len(radios) == 1:
        scanner = Scanner(settings, sink=sink, clock=clock, pipeline=pipeline, backend=backend)
        scanner.subscribe(lambda sighting: device.sighted(sighting, radio=settings.adapter))
        return scanner
    shared = _SharedPipeline(pipeline)
    scanners: dict[str, Any] = {}
    for radio in radios:
        scanner = Scanner(settings.model_copy(update={"adapter": radio}), sink=sink, clock=clock,
                          pipeline=shared, backend=backend)  # type: ignore[arg-type]
        scanner.subscribe(lambda sighting, radio=radio: device.sighted(sighting, radio=radio))
        scanners[radio] = scanner
    return Radios(scanners)


def _mac_tags(allowlist: Allowlist) -> list[str]:
    """Static addresses on the allowlist, so the scanner accepts them as ``mac:`` tags."""
    return [tag for tag in allowlist.tags() if tag.startswith("mac:")]

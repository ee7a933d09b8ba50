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
    """What :func:`start` returns: ``stop()`` ends the scanner, then the gate device."""

    def __init__(self, device: GateDevice, scanner: Any | None):
        self.device, self.scanner = device, scanner
        self.lpr: Any = None

    def stop(self) -> None:
        if self.lpr is not None:
            self.lpr.stop()
        if self.scanner is not None:
            self.scanner.stop()
        self.device.stop()


def start(config: Any, sink: Any, publisher: Any, clock: Clock, stop_event: threading.Event,
          *, pin_factory: Any = None, backend: type | None = None) -> GateHandle:
    """Start the gate device (and its scanner); returns at once."""
    if config.device.kind != "gate":
        raise ConfigError(f"[gate] is for a device of kind 'gate', but device.kind is '{config.device.kind}'")
    trusted = None if config.replay is not None else clock_trusted(flag_path(config.storage.dir, config.device.id))
    allowlist = Allowlist.in_storage(config.storage.dir, clock=clock, clock_trusted=trusted)
    device = GateDevice(config.gate, sink=sink, allowlist=allowlist, clock=clock, pin_factory=pin_factory)
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
    """The Bluetooth scanner from ``[scanner]``, feeding every lane of ``device``; None without one."""
    settings = getattr(config, "scanner", None)
    if settings is None:
        return None
    from edge.ble.config import load_eid_keys
    from edge.ble.eid import EidResolver
    from edge.ble.pipeline import Pipeline
    from edge.ble.scanner import Scanner

    resolver = EidResolver(keys=load_eid_keys(settings), clone_window=settings.clone_window.total_seconds(),
                           clone_hold=settings.clone_hold.total_seconds())
    pipeline = Pipeline(settings.source or config.device.id, resolver=resolver, mac_tags=settings.mac_tags,
                        any_static_mac=settings.any_static_mac)
    pipeline.watch_macs(_mac_tags(device.allowlist))
    scanner = Scanner(settings, sink=sink, clock=clock, pipeline=pipeline, backend=backend)
    scanner.subscribe(device.sighted)
    device.on_allowlist_change = lambda: pipeline.watch_macs(_mac_tags(device.allowlist))
    return scanner


def _mac_tags(allowlist: Allowlist) -> list[str]:
    """Static addresses on the allowlist, so the scanner accepts them as ``mac:`` tags."""
    return [tag for tag in allowlist.tags() if tag.startswith("mac:")]

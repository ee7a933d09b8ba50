"""Starting a lane device from its config: ``edge.sources`` calls :func:`start` for ``[lane]``."""

from __future__ import annotations

import logging
import threading
from typing import Any

from edge.ble.build import make_scanner
from edge.ble.config import ScannerConfig
from edge.ble.tlm import BatteryStamp
from gwcommon.clock import Clock
from gwcommon.exc import ConfigError

from .device import LaneDevice

logger = logging.getLogger(__name__)


class LaneHandle:
    """What :func:`start` returns: ``stop()`` ends the scanner, then the device."""

    def __init__(self, device: LaneDevice, scanner: Any):
        self.device, self.scanner = device, scanner
        self.lpr: Any = None

    def stop(self) -> None:
        if self.lpr is not None:
            self.lpr.stop()
        self.scanner.stop()
        self.device.stop()


def start(config: Any, sink: Any, publisher: Any, clock: Clock, stop_event: threading.Event,
          *, backend: type | None = None, adapter_control: Any = None, camera: Any = None,
          on_fatal: Any = None, tick: float = 1.0) -> LaneHandle:
    """Start the lane device and its scanner; returns at once (keyword arguments are test seams)."""
    if config.device.kind != "lane":
        raise ConfigError(f"[lane] is for a device of kind 'lane', but device.kind is '{config.device.kind}'")
    lane = config.lane
    settings = config.scanner or ScannerConfig()
    scanner = make_scanner(settings, sink=sink, clock=clock, device_id=config.device.id,
                           storage_dir=config.storage.dir, backend=backend, adapter_control=adapter_control,
                           on_fatal=on_fatal, tick=tick)
    scanner.pipeline.watch_macs(t for z in lane.zones for t in z.tags if t.startswith("mac:"))
    if camera is None and lane.camera:
        camera = _camera(lane.camera, sink, config)
    stamped = BatteryStamp(sink, scanner.pipeline.batteries, clock.monotonic)  # TLM voltages (edge.ble.tlm)
    device = LaneDevice(lane, sink=stamped, clock=clock, tz=config.site.tz, camera=camera,
                        spot_trackers=_spot_trackers(lane) if camera is not None else None, tick=tick,
                        state_file=config.storage.dir / f"lane-state-{config.device.id}.json")
    scanner.subscribe(device.sighted)
    device.start()
    handle = LaneHandle(device, scanner)
    if getattr(config, "lpr", None) is not None:  # plate cameras over the zones (edge.lpr.strip)
        from edge.lpr.daemon import start as start_lpr

        allowlist = None
        if any(c.ocr_band for c in config.lpr.cameras):  # OCR-tolerant strip cameras match the registered plates
            from edge.allowlist import Allowlist

            allowlist = Allowlist.in_storage(config.storage.dir, clock=clock)
            if publisher is not None:
                publisher.on_allowlist(allowlist.update)
        try:
            handle.lpr = start_lpr(config, sink, clock, lane_device=device, allowlist=allowlist)
        except BaseException:
            device.stop()
            raise
    scanner.start()
    logger.info("lane device %s watching %s", config.device.id, ", ".join(z.name for z in lane.zones))
    return handle


def _camera(source: str, sink: Any, config: Any) -> Any:
    from edge.camera import OpenCVCamera

    def fault(code: str, active: bool, detail: str) -> None:
        sink.emit("fault", {"code": code, "active": active, "detail": detail})

    try:
        return OpenCVCamera(source, name=config.device.id, on_fault=fault)
    except ValueError as exc:
        raise ConfigError(f"lane.camera: {exc}") from None


def _spot_trackers(lane: Any) -> dict[str, Any]:
    """One SpotTracker per zone with spots; unreadable empty-spot pictures are a ConfigError."""
    import cv2

    from edge.spots import Spot, SpotTracker

    trackers = {}
    for zone in lane.zones:
        if not zone.spots:
            continue
        refs = {s.name: [_read_image(cv2, p) for p in s.empty] for s in zone.spots}
        try:
            trackers[zone.name] = SpotTracker(
                [Spot(s.name, s.box) for s in zone.spots], refs, on=lane.spot_on, off=lane.spot_off,
                dwell=lane.spot_dwell.total_seconds(), clear_dwell=lane.spot_clear.total_seconds())
        except ValueError as exc:
            raise ConfigError(f"lane.zones.{zone.name}.spots: {exc}") from None
    return trackers


def _read_image(cv2: Any, path: Any) -> Any:
    image = cv2.imread(str(path))
    if image is None:
        raise ConfigError(f"lane: cannot read the empty-spot picture {path}")
    return image

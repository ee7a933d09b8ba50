"""Prometheus metrics of an edge device (边缘设备监控指标), on a port of its own.

Optional: only with an ``[edge_metrics]`` section.  A small HTTP server (prometheus_client's, on
its own ``CollectorRegistry``) answers ``GET /metrics`` from counters the parts already keep —
nothing here counts by itself:

- the outbox: events waiting (outbox depth), emitted, rejected, snapshots dropped;
- the publisher: published, refused by the broker (publish failures), rewinds, connects, acks;
- the Bluetooth scanner: advertisements seen, sightings, decode-queue drops (``Scanner.stats()``);
- the gate device: decisions and other counters (``GateDevice.counters``), and for each camera
  its frames and read failures (sensor read errors);
- the plate cameras' listener (``[lpr]``): pushes, reads, refusals (``Receiver.counters``);
- any other source's device that keeps a ``counters`` mapping.

It listens on the loopback address by default; an address reachable from the network shows the
device's counts to anyone there (no names or tags are in them).  See docs/metrics.md.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any, Iterator

from pydantic import Field

from gwcommon.config import Section

logger = logging.getLogger(__name__)


class EdgeMetricsConfig(Section):
    """``[edge_metrics]``: serve this device's counters to Prometheus."""

    listen: str = Field("127.0.0.1:9101", pattern=r"^[^\s:]*:\d{1,5}$",
                        description="host:port of the metrics server (127.0.0.1: only this Pi; 0.0.0.0: the network).")


class EdgeCollector:
    """Reads an :class:`edge.daemon.EdgeDaemon`'s parts at each scrape."""

    def __init__(self, daemon: Any):
        self.daemon = daemon

    def describe(self) -> list:
        return []

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        d = self.daemon
        labels = {"device": d.config.device.id, "kind": d.config.device.kind}
        yield _gauge_info(labels)
        yield GaugeMetricFamily("gatewarden_edge_outbox_events", "Events waiting in the outbox for the hub's ack.",
                                value=d.outbox.count())
        yield GaugeMetricFamily("gatewarden_edge_connected", "1 while connected to the broker.",
                                value=float(d.publisher.connected))
        yield _counters(CounterMetricFamily, "gatewarden_edge_outbox", "Outbox counters.", asdict(d.outbox.stats))
        yield _counters(CounterMetricFamily, "gatewarden_edge_publisher",
                        "Publisher counters (refused: publish failures the broker reported).", asdict(d.publisher.stats))
        for name, handle in d.handles:
            yield from self._source(name, handle)

    def _source(self, name: str, handle: Any) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily

        scanner = getattr(handle, "scanner", None)
        if scanner is not None:
            stats = {k: v for k, v in scanner.stats().items() if k not in ("queued", "ladder_level")}
            yield _counters(CounterMetricFamily, "gatewarden_edge_ble",
                            "Bluetooth scanner: advertisements seen, sightings, refusals, queue drops.", stats)
        device = getattr(handle, "device", None)
        counters = getattr(device, "counters", None)
        if counters:
            yield _counters(CounterMetricFamily, "gatewarden_edge_source",
                            f"Counters of the {name} source (passage_open/passage_deny: decisions).", dict(counters),
                            extra={"source": name})
        cameras = _cameras(device)
        if cameras:
            yield from _camera_families(cameras)
        lpr = getattr(handle, "lpr", None)
        if lpr is not None:
            yield _counters(CounterMetricFamily, "gatewarden_edge_lpr",
                            "Plate cameras: pushes, reads, heartbeats, refused and bad pushes, reads not used.",
                            dict(lpr.receiver.counters), extra={"source": name})


def _gauge_info(labels: dict[str, str]) -> Any:
    from prometheus_client.core import GaugeMetricFamily

    family = GaugeMetricFamily("gatewarden_edge_info", "This device.", labels=list(labels))
    family.add_metric(list(labels.values()), 1)
    return family


def _counters(cls: Any, name: str, text: str, values: dict[str, Any], *, extra: dict[str, str] | None = None) -> Any:
    extra = extra or {}
    family = cls(name, text, labels=[*extra, "what"])
    for what, value in sorted(values.items()):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            family.add_metric([*extra.values(), what], value)
    return family


def _cameras(device: Any) -> dict[str, Any]:
    cameras = getattr(device, "cameras", None)
    if isinstance(cameras, dict):
        return cameras
    camera = getattr(device, "camera", None)
    return {getattr(camera, "name", "camera"): camera} if camera is not None else {}


def _camera_families(cameras: dict[str, Any]) -> Iterator[Any]:
    from prometheus_client.core import CounterMetricFamily

    frames = CounterMetricFamily("gatewarden_edge_camera_frames", "Frames read from each camera.", labels=["camera"])
    failures = CounterMetricFamily("gatewarden_edge_camera_failures",
                                   "Camera open/read failures (sensor read errors).", labels=["camera"])
    for name, camera in sorted(cameras.items()):
        frames.add_metric([name], getattr(camera, "frames", 0))
        failures.add_metric([name], getattr(camera, "failures", 0))
    yield frames
    yield failures


class MetricsServer:
    """prometheus_client's HTTP server on ``listen`` with the daemon's collector."""

    def __init__(self, daemon: Any, settings: EdgeMetricsConfig):
        from prometheus_client import CollectorRegistry

        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(EdgeCollector(daemon))
        host, _, port = settings.listen.rpartition(":")
        self.host, self.port = host or "0.0.0.0", int(port)
        self._server: Any = None
        self._thread: Any = None

    def start(self) -> "MetricsServer":
        from prometheus_client import start_http_server

        self._server, self._thread = start_http_server(self.port, addr=self.host, registry=self.registry)
        self.port = self._server.server_address[1]
        logger.info("metrics on http://%s:%d/metrics", self.host, self.port)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def start(daemon: Any) -> MetricsServer | None:
    """Start the metrics server when the config has ``[edge_metrics]``; a busy port is logged, not fatal."""
    settings = getattr(daemon.config, "edge_metrics", None)
    if settings is None:
        return None
    try:
        return MetricsServer(daemon, settings).start()
    except OSError as exc:
        logger.error("edge_metrics.listen: cannot listen on %s: %s (the device runs without metrics)",
                     settings.listen, exc.strerror or exc)
        return None

"""Prometheus metrics of the hub (监控指标) at ``GET /metrics`` on the web view.

Everything is read, at scrape time, from what the hub already keeps — the ingest and writer
counters, the quarantine counts, the ``devices`` table and the alert outbox — through one
collector on the hub's own ``CollectorRegistry`` (never the process-global one, so two hubs in
one test process do not mix).  Only request latency is measured here, by a middleware.

Who may read it (:func:`open_to_all`): without a token only when ``[metrics] public = true``.
A loopback ``listen`` proves nothing — a TCP tunnel (frp, ssh -R) to a loopback port looks local,
with or without ``web.public_url`` — so otherwise a scraper sends ``Authorization: Bearer <token>``
with a token from ``gatewarden hub token create``.
See docs/metrics.md.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterator

from fastapi import Request, Response
from pydantic import Field

from gwcommon.config import Section
from gwcommon.timefmt import parse_ts

if TYPE_CHECKING:
    from hub.core.port import HubPort as Hub

logger = logging.getLogger(__name__)

ALERT_STATES = ("pending", "sending", "sent", "failed", "dead")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class MetricsConfig(Section):
    """``[metrics]``: the hub's Prometheus endpoint."""

    enabled: bool = Field(True, description="Serve Prometheus metrics at /metrics on the web view.")
    public: bool = Field(False, description="Serve /metrics without a token (it shows device ids and counts, nothing "
                                            "personal). Off: a token is needed, also on a loopback address, "
                                            "which a tunnel makes reachable from outside.")


def is_loopback(listen: str) -> bool:
    """Whether ``host:port`` binds the loopback address only."""
    host = listen.rpartition(":")[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def open_to_all(metrics: MetricsConfig, web: Any) -> bool:
    """/metrics needs no token only when configured public (a tunnel to a loopback port looks local)."""
    return bool(metrics.public)


def ack_lag(row: dict) -> int | None:
    """Events the device has issued that the hub has not acknowledged yet."""
    issued = max(row.get("hb_last_seq") or 0, row.get("last_seq") or 0)
    acked = row.get("ack_seq")
    return None if acked is None else max(0, issued - acked)


def watermark_lag(row: dict, now: datetime) -> float | None:
    """Seconds the device's watermark is behind the hub's wall clock."""
    mark = row.get("watermark")
    return None if not mark else (now - parse_ts(mark)).total_seconds()


class HubCollector:
    """Reads the hub's counters and tables each time Prometheus scrapes."""

    def __init__(self, hub: "Hub"):
        self.hub = hub

    def describe(self) -> list:
        return []  # families are only known at scrape time

    def collect(self) -> Iterator[Any]:
        yield from self._ingest()
        yield from self._writer()
        try:
            db = self._reader()
        except Exception as exc:  # a missing or locked database must not break the scrape
            logger.warning("metrics: cannot read the hub database: %s", exc)
            return
        try:
            yield from self._devices(db)
            yield from self._alerts(db)
        finally:
            db.conn.close()

    def _reader(self):
        from hub.core.db import open_reader

        return open_reader(self.hub.db_path)

    def _ingest(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        stats = self.hub.ingest.stats
        for name, value, text in (
                ("gatewarden_events_ingested", stats.events, "Events stored (new ids)."),
                ("gatewarden_events_duplicate", stats.duplicates, "Events received again (already stored)."),
                ("gatewarden_snapshots_stored", stats.snapshots, "Snapshots stored."),
                ("gatewarden_event_handler_errors", stats.handler_errors, "Area handlers that failed on an event.")):
            yield CounterMetricFamily(name, text, value=value)
        outcomes = CounterMetricFamily("gatewarden_mqtt_messages", "Messages from the edge, by what became of them.",
                                       labels=["outcome"])
        for outcome, count in sorted(dict(stats.by_kind).items()):
            outcomes.add_metric([outcome], count)
        yield outcomes
        quarantined = CounterMetricFamily("gatewarden_events_quarantined", "Messages kept in the quarantine, by reason.",
                                          labels=["code"])
        for code, count in sorted(self.hub.quarantine.counts().items()):
            quarantined.add_metric([code], count)
        yield quarantined
        yield GaugeMetricFamily("gatewarden_mqtt_connected", "1 while the hub is connected to the broker.",
                                value=float(self.hub.link.connected.is_set()))

    def _writer(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        stats = self.hub.writer.stats
        yield CounterMetricFamily("gatewarden_writer_batches", "Transactions committed by the writer.", value=stats.batches)
        yield CounterMetricFamily("gatewarden_writer_failed_jobs", "Writer jobs that failed.", value=stats.failed_jobs)
        yield CounterMetricFamily("gatewarden_rule_sweeps", "Rounds over every area's tick (the metric keeps its name).", value=stats.tick_rounds)
        yield CounterMetricFamily("gatewarden_rule_sweep_errors", "Rule sweeps that raised.", value=stats.tick_errors)
        yield GaugeMetricFamily("gatewarden_rule_sweep_seconds", "Duration of the newest pass over the rule sweeps.",
                                value=stats.last_tick_round_ms / 1000)
        yield GaugeMetricFamily("gatewarden_writer_commit_seconds", "Duration of the newest writer transaction.",
                                value=stats.last_commit_ms / 1000)
        yield GaugeMetricFamily("gatewarden_writer_backlog", "Jobs waiting for the writer.", value=self.hub.writer.backlog)

    def _devices(self, db) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        now = self.hub.clock.now()
        families = {
            "ack": GaugeMetricFamily("gatewarden_device_ack_lag_events",
                                     "Events the device issued that the hub has not acknowledged.", labels=["device"]),
            "wm": GaugeMetricFamily("gatewarden_device_watermark_lag_seconds",
                                    "How far the device's watermark is behind the hub's clock.", labels=["device"]),
            "online": GaugeMetricFamily("gatewarden_device_online", "1 when the device counts as online.",
                                        labels=["device", "kind"]),
            "outbox": GaugeMetricFamily("gatewarden_device_outbox_events",
                                        "Events waiting in the device's outbox (its newest heartbeat).", labels=["device"]),
            "skew": GaugeMetricFamily("gatewarden_device_clock_skew_seconds",
                                      "Device clock minus hub clock at its newest heartbeat.", labels=["device"]),
        }
        for row in db.query("SELECT * FROM devices ORDER BY device"):
            self._device_row(families, row, now)
        yield from families.values()

    @staticmethod
    def _device_row(families: dict, row: dict, now: datetime) -> None:
        device = row["device"]
        families["online"].add_metric([device, row.get("kind") or ""], float(bool(row.get("online"))))
        if (lag := ack_lag(row)) is not None:
            families["ack"].add_metric([device], lag)
        if (wm := watermark_lag(row, now)) is not None:
            families["wm"].add_metric([device], wm)
        if row.get("hb_outbox") is not None:
            families["outbox"].add_metric([device], row["hb_outbox"])
        if row.get("skew_ms") is not None:
            families["skew"].add_metric([device], row["skew_ms"] / 1000)

    def _alerts(self, db) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        family = GaugeMetricFamily("gatewarden_alert_messages", "Chat messages by target and state "
                                   "(pending, sending, sent, failed, dead).", labels=["target", "state"])
        counts: dict[tuple[str, str], int] = {}
        if db["alert_outbox"].exists():
            for target, state, n in db.execute("SELECT target, state, count(*) FROM alert_outbox GROUP BY 1, 2"):
                counts[(target, state)] = n
        for target in sorted({t for t, _ in counts}):
            for state in ALERT_STATES:
                family.add_metric([target, state], counts.get((target, state), 0))
        yield family


def attach(hub: "Hub") -> Any:
    """Add ``GET /metrics`` and the request-latency middleware to the hub's web app; returns the
    metrics registry (None when ``[metrics] enabled = false``)."""
    config: MetricsConfig = hub.config.metrics
    if not config.enabled:
        return None
    from prometheus_client import CollectorRegistry, Histogram

    registry = CollectorRegistry(auto_describe=False)
    latency = Histogram("gatewarden_http_request_duration_seconds", "Web view and API request duration.",
                        ["method", "route", "status"], registry=registry, buckets=LATENCY_BUCKETS)
    registry.register(HubCollector(hub))
    _add_middleware(hub, latency)
    _add_route(hub, registry, open_to_all(config, hub.config.web))
    return registry


def _add_middleware(hub: "Hub", latency: Any) -> None:
    @hub.web.middleware("http")
    async def time_requests(request, call_next):
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            route = request.scope.get("route")
            name = getattr(route, "path", None) or "unmatched"  # the template: bounded label values
            latency.labels(request.method, name, str(status)).observe(time.perf_counter() - started)


def _add_route(hub: "Hub", registry: Any, public: bool) -> None:
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    @hub.web.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        if not public and not _token_ok(hub, request.headers.get("authorization", "")):
            return Response("/metrics needs Authorization: Bearer <token> (gatewarden hub token create); "
                            "see docs/metrics.md\n", status_code=401, media_type="text/plain",
                            headers={"WWW-Authenticate": "Bearer"})
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def _token_ok(hub: "Hub", header: str) -> bool:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return False
    from hub.core.db import open_reader
    from hub.web.auth import token_principal

    db = open_reader(hub.db_path)
    try:
        return token_principal(db, token.strip()) is not None
    finally:
        db.conn.close()

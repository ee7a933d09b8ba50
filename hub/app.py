"""The hub (中心机): one process that stores what the edge devices report, runs the areas' rules,
and serves the web view.  The composition root: areas plug in through the narrow interface
:class:`hub.core.port.HubPort`, which :class:`Hub` implements (see docs/hub.md):

- ``hub.on_event(kind, handler)``: ``handler(db, event, ctx)`` runs on the writer thread inside
  the transaction that stores a *new* event (never for a repeat);
- ``hub.add_tick(fn)``: ``fn(db, site_time)`` runs every ~0.2 s on the writer thread, each call
  in its own transaction;
- ``hub.publish(topic, payload, retain=...)``: outbound MQTT at QoS 1;
- ``hub.web``: the FastAPI app; ``hub.site_time()``: the site clock;
- ``hub.area(name)``: the object another area's ``attach`` returned (``hub.area("overnight")``).

Start order: open and migrate the database, load device state, start the writer, attach the
areas (:mod:`hub.areas`; they may already use ``hub.writer.call``), start the web server, then MQTT.  Stop order is the reverse, and every message the
broker handed over is either committed and acked or left unacked for the next session.
"""

from __future__ import annotations

import importlib
import logging
from functools import update_wrapper
from pathlib import Path
from typing import Any, Callable, Sequence

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlite_utils import Database

from gwcommon.clock import Clock, SystemClock
from gwcommon.timefmt import format_ts
from gwcommon.version import package_version
from gwcommon.wire import EVENT_KINDS
from hub import areas as area_list
from hub import schema
from hub.config import HubConfig
from hub.core.db import Writer, open_db
from hub.core.devices import DeviceBook
from hub.core.httpserver import WebServer, create_app
from hub.core.ingest import EventContext, Ingest
from hub.core.intake import Intake
from hub.core.mqttlink import HubLink
from hub.core.quarantine import Quarantine
from hub.core.watermark import MonotoneSiteClock, SiteTime, site_time

logger = logging.getLogger(__name__)

__all__ = ["Hub", "SiteTime", "EventContext"]


class Hub:
    """The hub process: MQTT ingest, one database writer, the areas, the web view."""

    def __init__(self, config: HubConfig, *, clock: Clock | None = None,
                 areas: Sequence[str] | None = None):
        self.config = config
        self.clock: Clock = clock or SystemClock()
        storage = Path(config.storage.dir)
        self.db_path = storage / "hub.db"
        self.snapshots_dir = storage / "snapshots"
        self.snapshots_dir.mkdir(parents=True, exist_ok=True)
        self.db: Database = open_db(self.db_path, migrations=schema.all_sets())
        self.writer = Writer(self.db)
        self.book = DeviceBook(offline_after=config.hub.offline_after, tolerance=config.hub.clock_tolerance)
        self.book.load(self.db, self.clock.now())
        self._site_clock = MonotoneSiteClock()
        self.quarantine = Quarantine()
        self.quarantine.load(self.db)
        self.ingest = Ingest(config.site.id, book=self.book, quarantine=self.quarantine,
                             snapshots_dir=self.snapshots_dir, tz=config.site.tz, publish=self.publish)
        with self.db.conn:
            self.ingest.restore_waiting(self.db, self.clock.now())
        self.intake = Intake(self.writer, self.ingest)
        self.link = HubLink(config.mqtt, config.site.id, clock=self.clock, deliver=self.intake.deliver)
        self.web: FastAPI = create_app()
        _add_healthz(self.web, self)
        self.server = WebServer(self.web, config.web.listen)
        self.writer.add_tick(self._tick)
        self.areas: list[tuple[str, str]] = area_list.resolve(area_list.AREAS if areas is None else areas)
        self._attached: dict[str, Any] = {}
        self.pages: list[str] = list(area_list.PAGES)
        self._on_stop: list[Callable[[], None]] = []
        self.started = False

    # -- the interface areas use ------------------------------------------------------------------

    def site_time(self) -> SiteTime:
        """The site's event-time clock (docs/contract.md §2), safe to call from any thread; never goes back."""
        return self._site_clock.advance(site_time(self.book.views(), now=self.clock.now(),
                                                  offline_after=self.config.hub.offline_after))

    def on_event(self, kind: str, handler: Callable[[Database, Any, EventContext], None]) -> None:
        """Run ``handler(db, event, ctx)`` inside the transaction storing each new ``kind`` event."""
        if kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {kind!r}; choose one of {', '.join(EVENT_KINDS)}")
        self.ingest.handlers[kind].append(handler)

    def add_tick(self, fn: Callable[[Database, SiteTime], None]) -> None:
        """Run ``fn(db, site_time)`` regularly on the writer thread, in its own transaction."""
        if self.started:
            raise RuntimeError("add_tick must be called before the hub starts (in attach)")

        def tick(db: Database) -> None:
            fn(db, self.site_time())

        self.writer.add_tick(update_wrapper(tick, fn) if hasattr(fn, "__name__") else tick)

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        """Send a message at QoS 1 (kept in memory and sent on reconnect while the broker is away)."""
        self.link.publish(topic, payload, retain=retain)

    def area(self, name: str) -> Any:
        """The object the area ``name`` returned from ``attach`` (LookupError when not attached)."""
        try:
            return self._attached[name]
        except KeyError:
            raise LookupError(f"the {name!r} area is not attached "
                              f"(attached: {', '.join(self._attached) or 'none'})") from None

    def has_area(self, name: str) -> bool:
        return name in self._attached

    def attach(self, name: str, module: str) -> Any:
        """Attach one area (``module.attach(self)``) and keep what it returns under ``name``."""
        area = importlib.import_module(module).attach(self)
        if area is not None:  # an area switched off in the config attaches nothing
            self._attached[name] = area
        return area

    def on_stop(self, fn: Callable[[], None]) -> None:
        """Run ``fn()`` when the hub stops, after MQTT intake has stopped and before the writer does
        (latest registered first), so an area can end its threads and close its connections."""
        self._on_stop.append(fn)

    # -- life cycle ------------------------------------------------------------------------------

    def start(self) -> "Hub":
        self.writer.start()  # first, so that an area's attach may already use writer.call
        try:
            for name, module in self.areas:
                self.attach(name, module)
            self.server.start()
        except BaseException:
            self.writer.stop()
            self.db.close()
            raise
        self.link.start()
        self.started = True
        logger.info("hub for site %s started: database %s, %d device(s) known",
                    self.config.site.id, self.db_path, len(self.book.views()))
        return self

    def stop(self) -> None:
        """Stop taking messages, store and ack what was taken, then close everything."""
        if not self.started:
            self.db.close()
            return
        self.started = False
        self.link.stop_intake()
        self.intake.close()
        for fn in reversed(self._on_stop):
            try:
                fn()
            except Exception:
                logger.exception("stopping %s failed", getattr(fn, "__qualname__", fn))
        try:
            self.writer.call(self._tick)  # publish the last acks, write device state
        except Exception:
            logger.exception("final writer tick failed")
        self.writer.stop()
        self.link.stop()
        self.server.stop()
        self.db.close()
        logger.info("hub stopped")

    def __enter__(self) -> "Hub":
        return self if self.started else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def web_port(self) -> int:
        """The port the web view listens on (useful with ``listen = "127.0.0.1:0"``)."""
        return self.server.port

    def writer_alive(self) -> bool:
        thread = self.writer._thread
        return thread is not None and thread.is_alive()

    # -- internals -------------------------------------------------------------------------------

    def _tick(self, db: Database) -> None:
        self.ingest.tick(db, self.clock.now())


def _add_healthz(app: FastAPI, hub: Hub) -> None:
    @app.get("/healthz")
    def healthz() -> JSONResponse:
        body = health(hub)
        return JSONResponse(body, status_code=200 if body["ok"] else 503)


def problem(*, writer_alive: bool, storage_full: bool, ingest_failing: bool) -> str | None:
    """Why /healthz answers 503, as one code (docs/zh/安装指南.md explains each); None when healthy."""
    if not writer_alive:
        return "writer_stopped"
    if storage_full:
        return "storage_full"
    if ingest_failing:
        return "ingest_failing"
    return None


def health(hub: Hub) -> dict:
    """What ``GET /healthz`` reports (no login): liveness, counts, the site clock; no names,
    plates or ids."""
    site_time = hub.site_time()
    stats = hub.ingest.stats
    views = hub.book.views()
    online = hub.book.online_count(hub.clock.now())
    failing = hub.intake.failing(hub.clock.monotonic())
    full = hub.writer.storage_full
    reason = problem(writer_alive=hub.writer_alive(), storage_full=full, ingest_failing=failing)
    return {
        "ok": reason is None,
        "reason": reason,
        "ingest_failing": failing,
        "storage_full": full,
        "site": hub.config.site.id,
        "version": package_version(),
        "mqtt_connected": hub.link.connected.is_set(),
        "devices": len(views),
        "devices_online": online,
        "site_time": format_ts(site_time.now),
        "provisional": site_time.provisional,
        "events_received": stats.events,
        "duplicates": stats.duplicates,
        "quarantined": hub.quarantine.total,
        "handler_errors": stats.handler_errors,
        "ingest_errors": hub.intake.errors,
        "ingest_backlog": hub.intake.backlog,
        "writer_backlog": hub.writer.backlog,
    }

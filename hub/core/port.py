"""The narrow interface an area receives: :class:`HubPort`.

``attach(hub: HubPort)`` in an area's module registers what the area does and returns the area
object; the hub keeps it under the area's name, and another area or a page finds it with
``hub.area("overnight")`` (never as an attribute hung on the hub, never in a module-level table).
:class:`hub.app.Hub` is the one implementation; a test may hand an area any object with these
members.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Protocol

from fastapi import FastAPI
from sqlite_utils import Database

from gwcommon.clock import Clock
from hub.core.db import Writer
from hub.core.devices import DeviceBook
from hub.core.ingest import EventContext, Ingest
from hub.core.intake import Intake
from hub.core.mqttlink import HubLink
from hub.core.quarantine import Quarantine
from hub.core.watermark import SiteTime

EventHandler = Callable[[Database, Any, EventContext], None]
Tick = Callable[[Database, SiteTime], None]


class HubPort(Protocol):
    """What an area may use of the hub."""

    config: Any  # hub.config.HubConfig: every area's section, assembled by the composition root
    clock: Clock
    db: Database  # the writer's connection: only in attach (before start) or on the writer thread
    db_path: Path
    snapshots_dir: Path
    writer: Writer  # writer.call(job) / writer.submit(job): every write goes through it
    web: FastAPI  # the hub's app; pages are handed to the web kit (hub.areas), not added here
    # the spine's counters, read by /healthz and the metrics integration
    ingest: Ingest
    intake: Intake
    book: DeviceBook
    quarantine: Quarantine
    link: HubLink
    pages: list[str]  # every area's page modules, in menu order (hub.areas.PAGES): for the web kit

    def site_time(self) -> SiteTime:
        """The site's event-time clock (docs/contract.md, time rules)."""

    def on_event(self, kind: str, handler: EventHandler) -> None:
        """Run ``handler(db, event, ctx)`` inside the transaction storing each new ``kind`` event."""

    def add_tick(self, fn: Tick) -> None:
        """Run ``fn(db, site_time)`` regularly on the writer thread, in its own transaction."""

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        """Send a message at QoS 1."""

    def on_stop(self, fn: Callable[[], None]) -> None:
        """Run ``fn()`` when the hub stops."""

    def area(self, name: str) -> Any:
        """The object ``attach`` of the area ``name`` returned; LookupError when not attached."""

    def has_area(self, name: str) -> bool:
        """Whether the area ``name`` is attached."""

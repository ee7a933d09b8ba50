"""The registry area plugged into the hub: it publishes the allowlist, and keeps each tag's newest
battery voltage (``battery_mv`` of passages and presence events, :func:`hub.registry.health.note_battery`).

One tick ends the visitor passes that have expired (their loaner tags are free again) and publishes the allowlist (retained, ``gatewarden/<site>/allowlist``) at start and again
whenever the registry's version moves — also after ``gatewarden registry import`` from another
process, so the gates learn a change within a second.
"""

from __future__ import annotations

import logging
from typing import Any

from gwcommon import wire
from hub.registry import health, store

logger = logging.getLogger(__name__)


class RegistryArea:
    def __init__(self, hub: Any):
        self.hub = hub
        self.site = hub.config.site.id
        self.published_version: int | None = None

    def publish_allowlist(self, db: Any, site_time: Any = None) -> None:
        """End the visitor passes that have expired by the hub's clock, then publish the allowlist
        when the registry version moved since the last one published."""
        store.expire_passes(db, at=self.hub.clock.now())
        current = store.version(db)
        if current == self.published_version:
            return
        message = store.allowlist(db, at=self.hub.clock.now())
        self.hub.publish(wire.topic(self.site, None, "allowlist"), wire.encode(message), retain=True)
        self.published_version = current
        logger.info("allowlist version %d published (%d tags)", current, len(message.entries))


def attach(hub: Any) -> RegistryArea:
    area = RegistryArea(hub)
    hub.add_tick(area.publish_allowlist)
    for kind in ("passage", "presence"):
        hub.on_event(kind, health.on_event)
    return area

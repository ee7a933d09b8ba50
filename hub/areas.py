"""The hub's areas, attached in this order when the hub starts: the only list that names them all.

Each entry is an area's name and the module whose ``attach(hub)`` registers the area's event
handlers, ticks and routes on the hub (:class:`hub.core.port.HubPort`) and returns the area
object, which the hub keeps under that name (``hub.area("overnight")``).  The web kit comes first:
the areas after it hand it their pages and blocks.
"""

from __future__ import annotations

from typing import Iterable

AREAS: dict[str, str] = {
    "web": "hub.web.app",
    "registry": "hub.registry.area",
    "overnight": "hub.overnight.area",
    "alerts": "hub.alerts.area",
    "charging": "hub.charging.area",
    "passages": "hub.passages.area",
    "homeassistant": "hub.integrations.homeassistant",
    "metrics": "hub.integrations.metrics",
    "retention": "hub.retention.area",
}

# Every area's pages (and JSON API) in menu order: modules with ``register(ctx) -> APIRouter``,
# which the web kit calls with its context; a page hands its Today, Devices or report block to
# the context there (``ctx.today[...]``).  The web kit's own pages are among them.
PAGES: list[str] = [
    "hub.web.pages.account",
    "hub.overnight.pages.today",
    "hub.overnight.pages.violations",
    "hub.overnight.pages.diary",
    "hub.overnight.pages.report",
    "hub.web.pages.audit",
    "hub.web.pages.phone",
    "hub.web.pages.devices",
    "hub.passages.pages",
    "hub.registry.pages",
    "hub.registry.page_vehicle",
    "hub.registry.page_health",
    "hub.alerts.pages.roster",
    "hub.overnight.pages.calendar",
    "hub.alerts.pages.inbox",
    "hub.charging.pages",
    "hub.charging.page_cuts",
    "hub.charging.page_bill",
    "hub.overnight.pages.night_chart",
    "hub.overnight.api",
    "hub.charging.api",
    "hub.passages.api",
]


def resolve(chosen: Iterable[str] | dict[str, str]) -> list[tuple[str, str]]:
    """(name, module) pairs for a choice of areas, each given by name or by module
    (``"alerts"``, ``"hub.alerts"`` and ``"hub.alerts.area"`` are the same area)."""
    if isinstance(chosen, dict):
        return list(chosen.items())
    by_module = {module: name for name, module in AREAS.items()}
    pairs = []
    for entry in chosen:
        if entry in AREAS:
            pairs.append((entry, AREAS[entry]))
        elif entry in by_module:
            pairs.append((by_module[entry], entry))
        elif entry.startswith("hub.") and entry.split(".")[1] in AREAS:
            pairs.append((entry.split(".")[1], entry))
        elif "." in entry:  # any other module with attach(hub), e.g. a test's, under its own name
            pairs.append((entry, entry))
        else:
            raise ValueError(f"unknown hub area {entry!r}; choose from {', '.join(AREAS)}")
    return pairs

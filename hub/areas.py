"""The hub's areas, attached in this order when the hub starts.

Each entry names a module with ``attach(hub)``, which registers the area's event handlers,
periodic sweeps and web routes on the :class:`hub.app.Hub` (see that class for the hooks).
"""

AREAS: list[str] = [
    "hub.web.app",
    "hub.overnight.area",
    "hub.alerts",
    "hub.charging.area",
    "hub.integrations.homeassistant",
    "hub.integrations.metrics",
    "hub.retention.area",
]

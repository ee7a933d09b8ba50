"""Wiring of the web view: ``attach(hub)`` adds the pages, the JSON API, static files and error
handling to ``hub.web`` (the hub's FastAPI app, which serves /healthz)."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any

from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from . import schema  # noqa: F401  (registers the web migrations)
from .context import WebContext
from .deps import install_handlers

logger = logging.getLogger(__name__)

PAGES = [
    "hub.web.pages.account",
    "hub.web.pages.today",
    "hub.web.pages.violations",
    "hub.web.pages.diary",
    "hub.web.pages.report",
    "hub.web.pages.audit",
    "hub.web.pages.devices",
    "hub.web.pages.passages",
    "hub.web.pages.registry",
    "hub.web.pages.roster",
    "hub.web.pages.calendar",
    "hub.web.pages.inbox",
    "hub.web.pages.charging",
    "hub.web.pages.charging_cuts",
    "hub.web.pages.charging_bill",
    "hub.web.pages.night_chart",
    "hub.web.api",
]


def attach(hub: Any) -> WebContext:
    """Add the web view's routes, static files and error handling to ``hub.web``."""
    ctx = WebContext(hub)
    app = hub.web
    _serve_schema(app)
    install_handlers(app, ctx)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="web-static")
    for name in PAGES:
        # the routes go straight into app.routes (not an include_router branch), so the route
        # table test sees every path and method
        app.router.routes.extend(importlib.import_module(name).register(ctx).routes)
    app.state.web = ctx
    logger.info("web view attached: %d pages", len(ctx.nav))
    return ctx


def _serve_schema(app: Any) -> None:
    """The OpenAPI schema FastAPI generates, at /openapi.json (public: it describes, holds no data).
    FastAPI's /docs pages are not served: they load their scripts from a CDN."""
    if any(getattr(r, "path", None) == "/openapi.json" for r in app.router.routes):
        return

    @app.get("/openapi.json", include_in_schema=False)
    def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

"""``GET /api/charging``: the current state of every charging circuit (docs/contract.md, API)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from hub.charging.query import charging_state
from hub.web.api import api_router
from hub.web.auth import Principal
from hub.web.context import WebContext
from hub.web.deps import need


def register(ctx: WebContext) -> APIRouter:
    router = api_router()
    viewer = need(ctx, "viewer")

    @router.get("/charging", summary="The current state of every charging circuit")
    def api_charging(who: Principal = Depends(viewer)) -> dict:
        return charging_state(ctx.reader(), ctx.hub.config, now=ctx.now())

    return router

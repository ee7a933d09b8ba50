"""Today (今日): what the warden needs at 7 a.m. on one phone screen."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ..auth import Principal
from ..context import NavItem, WebContext
from ..deps import need
from . import sections


def register(ctx: WebContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    ctx.nav.insert(0, NavItem("/", "nav.today", "viewer"))

    @router.get("/")
    def today(request: Request, who: Principal = Depends(need(ctx, "viewer"))) -> Response:
        parts = {name: build(ctx) for name, build in sections.TODAY.items()}
        return ctx.render(request, "today.html", who, title_key="nav.today", parts=parts,
                          now=ctx.now())
    return router

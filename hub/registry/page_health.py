"""Tag health (标签健康) for the committee: tags not heard for ``[registry] tag_silent_after``
(:mod:`hub.registry.health`), on their own page and as a block of the monthly report."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from hub.registry import health

from hub.web.auth import Principal
from hub.web.context import NavItem, WebContext
from hub.web.deps import need


def register(ctx: WebContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    ctx.nav.append(NavItem("/registry/health", "nav.tag_health", "committee"))
    silent_after = ctx.hub.config.registry.tag_silent_after

    def report_block(db, start: datetime, end: datetime) -> list[dict]:
        """The month's tag health: as it stood at the end of the month (or now, for this month)."""
        return health.silent_tags(db, now=min(end, ctx.now()), silent_after=silent_after)
    ctx.report_blocks["tag_health"] = report_block

    @router.get("/registry/health")
    def health_page(request: Request, who: Principal = Depends(need(ctx, "committee"))) -> Response:
        silent = health.silent_tags(ctx.reader(), now=ctx.now(), silent_after=silent_after)
        return ctx.render(request, "tag_health.html", who, title_key="nav.tag_health", silent=silent,
                          days=silent_after.days, lookback=silent_after.days * health.LOOKBACK)
    return router

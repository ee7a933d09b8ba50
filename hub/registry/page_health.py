"""Tag health (标签健康) for the committee: tags not heard for ``[registry] tag_silent_after`` and
the tags' battery voltages, low ones (below ``tag_low_battery_mv``) flagged
(:mod:`hub.registry.health`), on their own page and as blocks of the monthly report."""

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
    low_mv = ctx.hub.config.registry.tag_low_battery_mv

    def report_block(db, start: datetime, end: datetime) -> list[dict]:
        """The month's tag health: as it stood at the end of the month (or now, for this month)."""
        return health.silent_tags(db, now=min(end, ctx.now()), silent_after=silent_after)
    ctx.report_blocks["tag_health"] = report_block

    def battery_block(db, start: datetime, end: datetime) -> list[dict]:
        """The tags whose newest voltage by the month's end (or now) is low."""
        return health.batteries(db, now=min(end, ctx.now()), low_mv=low_mv, only_low=True)
    ctx.report_blocks["tag_battery"] = battery_block

    @router.get("/registry/health")
    def health_page(request: Request, who: Principal = Depends(need(ctx, "committee"))) -> Response:
        db, now = ctx.reader(), ctx.now()
        silent = health.silent_tags(db, now=now, silent_after=silent_after)
        return ctx.render(request, "tag_health.html", who, title_key="nav.tag_health", silent=silent,
                          days=silent_after.days, lookback=silent_after.days * health.LOOKBACK,
                          batteries=health.batteries(db, now=now, low_mv=low_mv), low_volts=low_mv / 1000)
    return router

"""``GET /api/violations``: the violations, newest deadline first (docs/contract.md, API)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from hub.web.api import Page, api_router
from hub.web.auth import Principal
from hub.web.context import BadRequest, WebContext
from hub.web.deps import need
from hub.web.filters import FilterError, parse_limit
from hub.overnight.pages import violations as violation_page


class ViolationItem(BaseModel):
    """The violation payload of docs/contract.md §1, with the zone and the reason of the last change."""

    id: str
    plate: str | None = Field(description="Registered plate, normalised; null for an untagged car.")
    household: str | None
    rule: str = Field(description="overnight or fire_lane.")
    deadline: str = Field(description="RFC 3339 (UTC).")
    state: str = Field(description="open, resolved, retracted or excused.")
    provisional: bool
    evidence: list[str] = Field(description="Snapshot URLs (need the same login or token).")
    ts: str = Field(description="When this state began.")
    zone: str = ""
    slot: str | None = None
    reason: str = ""
    by: str = ""


class ViolationPage(Page):
    items: list[ViolationItem]  # type: ignore[assignment]


def register(ctx: WebContext) -> APIRouter:
    router = api_router()
    viewer = need(ctx, "viewer")

    @router.get("/violations", response_model=ViolationPage, summary="Violations, newest deadline first")
    def api_violations(start: str | None = Query(None, alias="from", description="Deadline from: day (site time) or RFC 3339."),
                       to: str | None = Query(None, description="Deadline to: day (inclusive) or RFC 3339 (exclusive)."),
                       state: str | None = Query(None, description="open, resolved, retracted or excused."),
                       plate: str | None = Query(None, description="A whole plate (exact) or part of one."),
                       household: str | None = Query(None, description="Household (房号), exact."),
                       rule: str | None = Query(None, description="overnight or fire_lane."),
                       cursor: str | None = Query(None, description="The 'next' of the previous page."),
                       limit: str | None = Query(None, description="Items per page, 1-500."),
                       who: Principal = Depends(viewer)) -> dict:
        params = {"from": start, "to": to, "state": state, "plate": plate, "household": household, "rule": rule}
        try:
            items, nxt = violation_page.query(ctx, params, cursor=cursor, limit=parse_limit(limit, ctx.config.page_size))
        except FilterError as exc:
            raise BadRequest(exc) from None
        return {"items": items, "next": nxt}

    return router

"""The JSON API of CONTRACT.md §5, beside the pages, in the OpenAPI schema FastAPI generates.

``Authorization: Bearer <token>`` (``gatewarden hub token create``) or a login session.  Lists
answer ``{"items": [...], "next": cursor|null}``, newest first; pass ``next`` back as ``cursor``
for the following page.  A bad parameter gets 400 ``{"error": "<parameter>: <reason>"}``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from hub.charging.query import charging_state

from .auth import Principal
from .context import BadRequest, WebContext
from .deps import need
from .filters import FilterError, parse_limit
from hub.passages import pages as passage_page
from hub.overnight.pages import violations as violation_page


class PassageItem(BaseModel):
    id: str = Field(description="Event id.")
    ts: str = Field(description="When the barrier cycle ended (RFC 3339, UTC).")
    device: str
    lane: str | None
    direction: str | None = Field(description="in or out.")
    tag: str | None
    plate: str | None = Field(description="Registered plate of the tag, when known.")
    household: str | None
    decision: str | None = Field(description="open or deny.")
    reason: str | None
    passed: bool | None
    rssi: int | None = None
    snapshot: str | None = Field(description="URL of the snapshot (needs the same login or token).")


class ViolationItem(BaseModel):
    """The violation payload of CONTRACT.md §1, with the zone and the reason of the last change."""

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


class Page(BaseModel):
    items: list[dict[str, Any]]
    next: str | None = Field(description="Cursor of the next page, or null on the last page.")


class PassagePage(Page):
    items: list[PassageItem]  # type: ignore[assignment]


class ViolationPage(Page):
    items: list[ViolationItem]  # type: ignore[assignment]


def register(ctx: WebContext) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["api"])
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
            raise BadRequest(str(exc)) from None
        return {"items": items, "next": nxt}

    @router.get("/charging", summary="The current state of every charging circuit")
    def api_charging(who: Principal = Depends(viewer)) -> dict:
        return charging_state(ctx.reader(), ctx.hub.config, now=ctx.now())

    @router.get("/passages", response_model=PassagePage, summary="The gate log, newest first")
    def api_passages(start: str | None = Query(None, alias="from", description="Day (2026-03-02, site time) or RFC 3339."),
                     to: str | None = Query(None, description="Day (inclusive) or RFC 3339 (exclusive)."),
                     plate: str | None = Query(None, description="Registered plate, e.g. 浙A12345."),
                     lane: str | None = Query(None, description="Lane name."),
                     cursor: str | None = Query(None, description="The 'next' of the previous page."),
                     limit: str | None = Query(None, description="Items per page, 1-500."),
                     who: Principal = Depends(viewer)) -> dict:
        try:
            size = parse_limit(limit, ctx.config.page_size)
            items, nxt = passage_page.query(ctx, start=start, stop=to, plate=plate, lane=lane, cursor=cursor,
                                            limit=size)
        except FilterError as exc:
            raise BadRequest(str(exc)) from None
        return {"items": items, "next": nxt}

    return router

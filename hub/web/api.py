"""The JSON API of CONTRACT.md §5, beside the pages, in the OpenAPI schema FastAPI generates.

``Authorization: Bearer <token>`` (``gatewarden hub token create``) or a login session.  Lists
answer ``{"items": [...], "next": cursor|null}``, newest first; pass ``next`` back as ``cursor``
for the following page.  A bad parameter gets 400 ``{"error": "<parameter>: <reason>"}``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from .auth import Principal
from .context import BadRequest, WebContext
from .deps import need
from .filters import FilterError, parse_limit
from .pages import passages as passage_page


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


class Page(BaseModel):
    items: list[dict[str, Any]]
    next: str | None = Field(description="Cursor of the next page, or null on the last page.")


class PassagePage(Page):
    items: list[PassageItem]  # type: ignore[assignment]


def register(ctx: WebContext) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["api"])
    viewer = need(ctx, "viewer")

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

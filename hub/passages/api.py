"""``GET /api/passages``: the gate log, newest first (docs/contract.md, API)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from hub.core.plates import mask_plate, mask_plates_in
from hub.core.tagtext import masked_id
from hub.web.api import Page, api_router
from hub.web.auth import Principal
from hub.web.roles import allows
from hub.web.context import BadRequest, WebContext
from hub.web.deps import need
from hub.web.filters import FilterError, parse_limit
from hub.passages import pages as passage_page


class PassageItem(BaseModel):
    id: str = Field(description="Event id.")
    ts: str = Field(description="When the barrier cycle ended (RFC 3339, UTC).")
    device: str
    lane: str | None
    direction: str | None = Field(description="in or out.")
    tag: str | None = Field(description="Tag id; a plate tag's plate masked for the viewer role (plate:浙A·1**45).")
    plate: str | None = Field(description="Registered plate of the tag, when known; masked for the viewer role (浙A·1**45).")
    household: str | None
    decision: str | None = Field(description="open or deny.")
    reason: str | None
    passed: bool | None
    rssi: int | None = None
    by: str | None = Field(None, description="Who opened by hand or from afar (manual or remote).")
    note: str | None = Field(None, description="The reason that person gave; plates in it masked for the viewer role.")
    evidence: dict | None = Field(None, description="What the lane heard of the tags it judged (docs/contract.md §1); "
                                                     "a plate tag's plate masked for the viewer role.")
    snapshot: str | None = Field(description="URL of the snapshot (needs the same login or token).")


class PassagePage(Page):
    items: list[PassageItem]  # type: ignore[assignment]


def register(ctx: WebContext) -> APIRouter:
    router = api_router()
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
            raise BadRequest(exc) from None
        mask = not allows(who.role, "warden")  # plates as the Passages page shows them to this reader
        return {"items": [for_reader(item, mask=mask) for item in items], "next": nxt}

    return router


def for_reader(item: dict, *, mask: bool) -> dict:
    """A passage as the API gives it: a note only with its ``by`` (older gates put their evidence
    there); with ``mask``, every plate in it masked — the tag's car's, a plate tag's, any plate
    typed into the note and a plate tag in the evidence."""
    note = item.get("note") if item.get("by") else None
    item["note"] = mask_plates_in(note, mask=mask) if note else note
    if not mask:
        return item
    item["plate"] = mask_plate(item["plate"]) if item.get("plate") else None
    item["tag"] = masked_id(item.get("tag"))
    if item.get("evidence") and item["evidence"].get("tags"):
        item["evidence"] = {**item["evidence"],
                            "tags": [{**t, "tag": masked_id(t.get("tag"))} for t in item["evidence"]["tags"]]}
    return item

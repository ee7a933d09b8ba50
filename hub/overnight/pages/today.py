"""Today (今日): what the warden needs at 7 a.m. on one phone screen — free spaces (余位), cars
parked off-space now, this morning's violations, unacknowledged alerts, device health, charging —
and the warden's quick actions: register or clear an off-space car, open a lane remotely.

In the morning (05:00–12:00 site time) the page opens with the cars still parked off-space: each
with its plate (masked for the viewer role), household, zone label, since when, the zone's latest
picture and — for wardens and above — a ``tel:`` link to each of the owner's numbers and the
actions 已联系 (contacted: a diary line) and 已驶离 (gone).  The page reloads itself every minute.
Lanes for remote open come from ``[[gate_lanes]]`` and from the gates' recent passages."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from gwcommon.timefmt import parse_ts, stored_ts
from hub.core.plates import mask_plate
from hub.overnight import occupancy, stays, violations, warden_actions
from hub.registry import vehicle

from hub.web import audit
from hub.web.auth import Principal
from hub.web.context import BadRequest, NavItem, WebContext
from hub.web.deps import need, see_other
from hub.web.filters import FilterError, parse_label
from hub.overnight.pages import actions

ORDER = ("occupancy", "night", "stays", "violations", "alerts", "devices", "charging")
MORNING_ORDER = ("stays", "violations", "alerts", "occupancy", "night", "devices", "charging")
MORNING = range(5, 12)  # site-time hours when the cars still off-space come first
REFRESH_SECONDS = 60
LANES_SQL = """SELECT DISTINCT e.device, json_extract(e.body, '$.lane') FROM
    (SELECT device, body FROM events WHERE kind = 'passage' ORDER BY ts DESC LIMIT 2000) e
    JOIN devices d ON d.device = e.device WHERE d.kind = 'gate' ORDER BY 1, 2"""


def free_spaces(ctx: WebContext) -> dict:
    """余位: cars inside and free painted spaces by event time (hub.occupancy)."""
    return occupancy.snapshot(ctx.reader(), spaces=ctx.site.spaces, at=ctx.hub.site_time().now)


def parked(ctx: WebContext) -> dict:
    """Cars parked off-space now, each with what a warden needs to act on it."""
    db = ctx.reader()
    labels = {z.name: z.label or z.name for z in ctx.hub.config.zones}
    now = ctx.now()
    items = []
    for stay in stays.parked_now(db):
        owner = vehicle(db, stay["plate"]) if stay["plate"] else None
        since = parse_ts(stay["night_since"]) if stay["night_since"] else now
        photo = violations.evidence(db, stay["key"], stay["zone"] or "", now, since)[:1]
        items.append({**stay, "masked": mask_plate(stay["plate"]) if stay["plate"] else "",
                      "zone_label": labels.get(stay["zone"] or "", stay["zone"] or ""),
                      "phones": [p for p in (owner or {}).get("mobile", "").split(";") if p],
                      "photo": photo[0] if photo else None})
    return {"items": items, "zones": [(z.name, z.label or z.name) for z in ctx.hub.config.zones if z.kind == "night"]}


def morning_violations(ctx: WebContext) -> dict:
    """Violations whose deadline passed in the last 24 hours."""
    since = stored_ts(ctx.now() - timedelta(hours=24))
    rows = ctx.reader().execute(
        "SELECT id, plate, household, rule, state, provisional, zone, slot FROM violations "
        "WHERE deadline >= ? ORDER BY deadline DESC, id LIMIT 100", [since])
    keys = ("id", "plate", "household", "rule", "state", "provisional", "zone", "slot")
    return {"items": [dict(zip(keys, r)) for r in rows]}


def gate_lanes(ctx: WebContext) -> list[tuple[str, str, str]]:
    """(device, lane, label) of the gates' lanes: those configured in ``[[gate_lanes]]`` first,
    then any other seen in recent passages (a fresh install has none of those)."""
    found = [(g.device, g.lane, g.label or f"{ctx.labels.device(g.device)} · {g.lane}") for g in ctx.hub.config.gate_lanes]
    known = {(d, lane) for d, lane, _ in found}
    seen = [(d, lane, f"{ctx.labels.device(d)} · {lane}") for d, lane in ctx.reader().execute(LANES_SQL) if lane and (d, lane) not in known]
    return found + seen


def order(ctx: WebContext) -> tuple[str, ...]:
    return MORNING_ORDER if ctx.now().astimezone(ctx.site.tz).hour in MORNING else ORDER


def register(ctx: WebContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    ctx.nav.insert(0, NavItem("/", "nav.today", "viewer"))
    ctx.today["occupancy"] = free_spaces
    ctx.today["stays"] = parked
    ctx.today["violations"] = morning_violations

    @router.get("/")
    def today(request: Request, who: Principal = Depends(need(ctx, "viewer"))) -> Response:
        parts = {name: ctx.today[name](ctx) for name in order(ctx) if name in ctx.today}
        mine = {name: block(ctx, who) for name, block in ctx.account_blocks.items()}  # e.g. my next shift
        return ctx.render(request, "today.html", who, title_key="nav.today", now=ctx.now(), refresh=REFRESH_SECONDS,
                          parts={k: v for k, v in parts.items() if v is not None}, lanes=gate_lanes(ctx),
                          mine={k: v for k, v in mine.items() if v is not None})

    @router.post("/stays")
    def mark_stay(request: Request, op: Annotated[str, Form()], plate: Annotated[str, Form(max_length=20)] = "",
                  zone: Annotated[str, Form(max_length=64)] = "", slot: Annotated[str, Form(max_length=64)] = "",
                  note: Annotated[str, Form(max_length=500)] = "",
                  who: Principal = Depends(need(ctx, "warden", write=True))) -> Response:
        if op not in ("register", "clear"):
            raise BadRequest("err.op")
        actions.mark(ctx, request, who, op, plate=plate.strip(), zone=zone.strip(), slot=slot.strip(), note=note.strip())
        return see_other("/")

    @router.post("/stays/contacted")
    def contacted(request: Request, plate: Annotated[str, Form(max_length=20)],
                  note: Annotated[str, Form(max_length=500)] = "",
                  who: Principal = Depends(need(ctx, "warden", write=True))) -> Response:
        """已联系: the warden reached the owner; a diary line and an audit entry."""
        address = ctx.address(request)

        def job(db):
            try:
                warden_actions.contacted(db, plate=plate, by=who.name, at=ctx.now(), note=note)
            except warden_actions.WardenActionError as exc:
                raise BadRequest(exc) from None
            audit.record(db, ctx.now(), who.name, "owner_contacted", target=plate.strip(), address=address)
        ctx.write(job)
        return see_other("/?contacted=1")

    @router.post("/occupancy")
    def count_cars(request: Request, inside: Annotated[int, Form(ge=0, le=100_000)],
                   note: Annotated[str, Form(max_length=500)] = "",
                   who: Principal = Depends(need(ctx, "warden", write=True))) -> Response:
        address, at = ctx.address(request), ctx.hub.site_time().now

        def job(db):
            try:
                occupancy.correct(db, inside, by=who.name, at=at, note=note.strip())
            except warden_actions.WardenActionError as exc:
                raise BadRequest(exc) from None
            audit.record(db, ctx.now(), who.name, "occupancy_count", target=str(inside), address=address)
        ctx.write(job)
        return see_other("/")

    @router.post("/lanes/open")
    def open_lane(request: Request, target: Annotated[str, Form(max_length=200)],
                  reason: Annotated[str, Form(max_length=500)] = "",
                  who: Principal = Depends(need(ctx, "warden", write=True))) -> Response:
        device, _, lane = target.partition("/")
        try:
            lane = parse_label("lane", lane)
        except FilterError as exc:
            raise BadRequest(exc) from None
        if (device, lane) not in {(d, lane_) for d, lane_, _ in gate_lanes(ctx)}:
            raise BadRequest("err.lane_unknown", target=target[:80])
        actions.open_lane(ctx, request, who, device, lane, reason)
        return see_other("/?opened=1")
    return router

"""Today (今日): what the warden needs at 7 a.m. on one phone screen — free spaces (余位), cars
parked off-space now, this morning's violations, unacknowledged alerts, device health, charging —
and the warden's quick actions: register or clear an off-space car, open a lane remotely."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from gwcommon.timefmt import stored_ts
from hub.overnight import warden_actions
from hub.overnight import occupancy
from hub.overnight import stays

from hub.web import audit
from hub.web.auth import Principal
from hub.web.context import BadRequest, NavItem, WebContext
from hub.web.deps import need, see_other
from hub.web.filters import FilterError, parse_label
from hub.overnight.pages import actions

ORDER = ("occupancy", "stays", "violations", "alerts", "devices", "charging")
LANES_SQL = """SELECT DISTINCT e.device, json_extract(e.body, '$.lane') FROM
    (SELECT device, body FROM events WHERE kind = 'passage' ORDER BY ts DESC LIMIT 2000) e
    JOIN devices d ON d.device = e.device WHERE d.kind = 'gate' ORDER BY 1, 2"""


def free_spaces(ctx: WebContext) -> dict:
    """余位: cars inside and free painted spaces by event time (hub.occupancy)."""
    return occupancy.snapshot(ctx.reader(), spaces=ctx.site.spaces, at=ctx.hub.site_time().now)


def parked(ctx: WebContext) -> dict:
    return {"items": stays.parked_now(ctx.reader()), "zones": [z.name for z in ctx.hub.config.zones if z.kind == "night"]}


def morning_violations(ctx: WebContext) -> dict:
    """Violations whose deadline passed in the last 24 hours."""
    since = stored_ts(ctx.now() - timedelta(hours=24))
    rows = ctx.reader().execute(
        "SELECT id, plate, household, rule, state, provisional, zone, slot FROM violations "
        "WHERE deadline >= ? ORDER BY deadline DESC, id LIMIT 100", [since])
    keys = ("id", "plate", "household", "rule", "state", "provisional", "zone", "slot")
    return {"items": [dict(zip(keys, r)) for r in rows]}


def gate_lanes(ctx: WebContext) -> list[tuple[str, str]]:
    """(device, lane) pairs of the gates, from their recent passages."""
    return [(d, lane) for d, lane in ctx.reader().execute(LANES_SQL) if lane]


def register(ctx: WebContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    ctx.nav.insert(0, NavItem("/", "nav.today", "viewer"))
    ctx.today["occupancy"] = free_spaces
    ctx.today["stays"] = parked
    ctx.today["violations"] = morning_violations

    @router.get("/")
    def today(request: Request, who: Principal = Depends(need(ctx, "viewer"))) -> Response:
        parts = {name: ctx.today[name](ctx) for name in ORDER if name in ctx.today}
        return ctx.render(request, "today.html", who, title_key="nav.today", now=ctx.now(),
                          parts={k: v for k, v in parts.items() if v is not None}, lanes=gate_lanes(ctx))

    @router.post("/stays")
    def mark_stay(request: Request, op: Annotated[str, Form()], plate: Annotated[str, Form(max_length=20)] = "",
                  zone: Annotated[str, Form(max_length=64)] = "", slot: Annotated[str, Form(max_length=64)] = "",
                  note: Annotated[str, Form(max_length=500)] = "",
                  who: Principal = Depends(need(ctx, "warden", write=True))) -> Response:
        if op not in ("register", "clear"):
            raise BadRequest("err.op")
        actions.mark(ctx, request, who, op, plate=plate.strip(), zone=zone.strip(), slot=slot.strip(), note=note.strip())
        return see_other("/")

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
            raise BadRequest(str(exc)) from None
        if (device, lane) not in gate_lanes(ctx):
            raise BadRequest("err.lane_unknown", target=target[:80])
        actions.open_lane(ctx, request, who, device, lane, reason)
        return see_other("/?opened=1")
    return router

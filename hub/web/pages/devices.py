"""Devices (设备): online, last seen, clock skew, outbox backlog, active faults.

Reads the ingest area's ``devices`` table and the fault events; chat targets' faults come from
the block the alerts area hands in (``ctx.device_blocks["targets"]``) when it is installed, the
hub's own findings (a copied tag) from ``ctx.device_blocks["hub_faults"]`` (the passages area).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlite_utils import Database

from gwcommon.timefmt import parse_ts
from hub.core.watermark import is_online

from ..auth import Principal
from ..context import NavItem, WebContext
from ..deps import need

DEVICE_COLUMNS = ("device", "kind", "version", "status_online", "last_seen", "skew_ms", "hb_outbox",
                  "watermark", "events", "duplicates", "clock_ahead")


def devices(db: Database, now: datetime, offline_after: timedelta) -> list[dict]:
    """Every known device; ``online`` by the contract's rule at ``now`` (hub wall clock)."""
    rows = db.execute(f"SELECT {', '.join(DEVICE_COLUMNS)} FROM devices ORDER BY kind, device")
    found = [dict(zip(DEVICE_COLUMNS, r)) for r in rows]
    for row in found:
        seen = parse_ts(row["last_seen"]) if row["last_seen"] else None
        status = None if row["status_online"] is None else bool(row["status_online"])
        row["online"] = is_online(status_online=status, last_seen=seen, now=now, offline_after=offline_after)
    return found


def active_faults(db: Database) -> list[dict]:
    """The newest fault event per (device, code), kept when it says the fault is active."""
    # likelihood(): faults are few among a million passages; tell the planner, so it reads them
    # by the (kind, ts) index instead of scanning every event (ANALYZE alone cannot know).
    rows = db.execute("""
        SELECT device, json_extract(body, '$.code') AS code, MAX(ts) AS ts, body
        FROM events WHERE likelihood(kind = 'fault', 0.001) GROUP BY device, code ORDER BY ts DESC""")
    faults = []
    for device, code, ts, body in rows:
        data = json.loads(body)
        if data.get("active"):
            faults.append({"device": device, "code": code, "since": ts, "detail": data.get("detail", ""),
                           "circuit": data.get("circuit") or ""})
    return faults


def hub_faults(ctx: WebContext) -> list[dict]:
    """Faults the hub's areas found themselves (e.g. a copied tag), handed in as ``ctx.device_blocks["hub_faults"]``."""
    return ctx.device_blocks["hub_faults"](ctx) if "hub_faults" in ctx.device_blocks else []


def health(ctx: WebContext) -> dict:
    """The Today page's device block: how many are online, which faults are active."""
    db = ctx.reader()
    rows = devices(db, ctx.now(), ctx.hub.config.hub.offline_after)
    return {"online": sum(1 for r in rows if r["online"]), "total": len(rows),
            "offline": [r["device"] for r in rows if not r["online"]], "faults": active_faults(db) + hub_faults(ctx)}


def register(ctx: WebContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    ctx.nav.append(NavItem("/devices", "nav.devices", "viewer"))
    ctx.today["devices"] = health

    @router.get("/devices")
    def devices_page(request: Request, who: Principal = Depends(need(ctx, "viewer"))) -> Response:
        db = ctx.reader()
        targets = ctx.device_blocks["targets"](ctx) if "targets" in ctx.device_blocks else None
        rows = devices(db, ctx.now(), ctx.hub.config.hub.offline_after)
        lang = ctx.lang(request)
        faults = [{**f, "detail": ctx.fault_details[f["code"]](f, lang)} if f["code"] in ctx.fault_details else f
                  for f in active_faults(db) + hub_faults(ctx)]
        return ctx.render(request, "devices.html", who, title_key="nav.devices", devices=rows,
                          faults=faults, targets=targets)
    return router

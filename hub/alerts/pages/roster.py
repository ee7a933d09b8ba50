"""Roster (值班表) and alerts (告警): who is on duty now, the duty roster with CSV import and
export (editing one shift and swapping two: :mod:`hub.alerts.pages.shifts`), open alerts on the Today page and acknowledging them (确认), chat targets' faults.

The alerts area (hub.alerts) owns the tables and rules; this page calls its functions.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from gwcommon.timefmt import stored_ts
from hub.alerts import outbox, roster, roster_edit
from hub.alerts.pages import shifts

from hub.web import audit
from hub.web.auth import Principal
from hub.web.context import BadRequest, NavItem, WebContext
from hub.web.deps import RowId, csv_download, need, see_other
from hub.web.roles import allows

MAX_FILE = 1024 * 1024
DONE = ("added", "saved", "removed", "swapped")
ALERT_SQL = """SELECT id, kind, severity, subject, payload, created_at FROM alerts
    WHERE acked_at IS NULL AND closed IS NULL AND severity IN ('warning', 'safety') AND created_at >= ?
    ORDER BY created_at DESC LIMIT 20"""


def open_alerts(ctx: WebContext) -> dict:
    """The Today page's block: warnings and safety alerts nobody has acknowledged (last 2 days)."""
    since = stored_ts(ctx.now() - timedelta(days=2))
    rows = ctx.reader().execute(ALERT_SQL, [since]).fetchall()
    items = [{"id": i, "kind": k, "severity": s, "subject": subj or "", "payload": json.loads(p or "{}"),
              "created_at": c} for i, k, s, subj, p, c in rows]
    return {"items": items}


def chat_targets(ctx: WebContext) -> list[dict]:
    """The Devices page's block: every chat target that has had a fault, and whether it still has."""
    rows = ctx.reader().execute("SELECT target, code, detail, since, active FROM alert_target_faults ORDER BY target")
    return [{"name": t, "fault": bool(a), "since": s, "detail": f"{c or ''} {d or ''}".strip()} for t, c, d, s, a in rows]


def register(ctx: WebContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    ctx.nav.append(NavItem("/roster", "nav.roster", "viewer"))
    ctx.today["alerts"] = open_alerts
    ctx.device_blocks["targets"] = chat_targets
    committee_w = need(ctx, "committee", write=True)

    def show(request: Request, who: Principal, *, status: int = 200, problems=(), imported=None,
             error: str = "") -> Response:
        rows = roster_edit.shifts(ctx.reader())
        entries = [s.entry for s in rows]
        duty = roster.on_duty(entries, ctx.now().astimezone(ctx.tz))
        names = shifts.my_names(ctx, who)
        wardens = [s for s in rows if s.entry.role == "warden"]
        committee = allows(who.role, "committee")
        own = wardens if committee else [s for s in wardens if roster_edit.is_mine(s.entry, names)]
        others = wardens if committee else [s for s in wardens if not roster_edit.is_mine(s.entry, names)]
        done = request.query_params.get("done", "")
        return ctx.render(request, "roster.html", who, status=status, title_key="nav.roster", shifts=rows,
                          duty=duty, problems=list(problems), imported=imported, error=error,
                          done=done if done in DONE else "", own=own, others=others,
                          mine=shifts.my_shift(ctx, who), swaps=shifts.recent_swaps(ctx))

    @router.get("/roster")
    def roster_page(request: Request, who: Principal = Depends(need(ctx, "viewer"))) -> Response:
        return show(request, who)

    @router.get("/roster/export.csv")
    def export(who: Principal = Depends(need(ctx, "viewer"))) -> Response:
        return csv_download(roster.export_csv(roster.load(ctx.reader())), "roster.csv")

    @router.post("/roster/import")
    async def import_file(request: Request, file: Annotated[UploadFile, File()],
                          who: Principal = Depends(committee_w)) -> Response:
        data = await file.read(MAX_FILE + 1)
        if len(data) > MAX_FILE:
            raise BadRequest("ros.too_large", limit=MAX_FILE // (1024 * 1024))
        try:
            entries = roster.parse_csv(data)
        except roster.RosterError as exc:
            return show(request, who, status=400, problems=exc.problems)
        address = ctx.address(request)

        def job(db):
            count = roster.replace_all(db, entries)
            audit.record(db, ctx.now(), who.name, "roster_import", target=file.filename or "",
                         detail={"rows": count}, address=address)
            return count
        return show(request, who, imported=await run_in_threadpool(ctx.write, job))

    shifts.add_routes(ctx, router, show)

    @router.post("/alerts/{alert_id}/ack")
    def ack(request: Request, alert_id: RowId, who: Principal = Depends(need(ctx, "warden", write=True))) -> Response:
        address = ctx.address(request)

        def job(db):
            outcome = outbox.acknowledge(db, alert_id, by=who.name, now=ctx.now())
            if outcome == "unknown":
                raise BadRequest("err.not_found")
            if outcome == "acked":
                audit.record(db, ctx.now(), who.name, "alert_ack", target=str(alert_id), address=address)
        ctx.write(job)
        return see_other("/")
    return router

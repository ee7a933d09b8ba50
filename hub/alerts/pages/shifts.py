"""Editing the roster on the web view (值班表编辑): the committee adds, edits and removes a shift;
a warden swaps one of their own shifts with another warden's (换班), the committee any two; every
change is in the audit log, and both wardens of a swap see it (the Roster page lists the recent
swaps, 我的账号 the ones that concern you, with your next shift).  A swap is also told in the chat:
a short info notice (topic ``roster_swap``, worded by :mod:`hub.alerts.render`) through the alert
outbox, naming both shifts and who swapped, without mobile numbers.

The rules live in :mod:`hub.alerts.roster_edit`; this module reads the forms and records the audit.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated, Any, Callable

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from gwcommon.timefmt import format_ts
from hub.alerts import queue_notice, roster, roster_edit

from hub.web import audit
from hub.web.auth import Principal, find_user
from hub.web.context import WebContext
from hub.web.deps import RowId, need, see_other
from hub.web.roles import allows

RECENT_SWAPS = timedelta(days=30)
Text = Annotated[str, Form(max_length=200)]


def my_names(ctx: WebContext, who: Principal) -> list[str]:
    """The names the logged-in person may have in the roster: display name and login name."""
    user = find_user(ctx.reader(), who.name) if who.kind == "session" else None
    return [who.name, (user or {}).get("display_name") or ""]


def recent_swaps(ctx: WebContext, names: list[str] | None = None) -> list[dict[str, Any]]:
    """Swaps of the last 30 days, newest first (only those touching ``names`` when given)."""
    since = format_ts(ctx.now() - RECENT_SWAPS)
    rows = ctx.reader().execute("SELECT ts, actor, detail FROM web_audit WHERE action = 'roster_swap' AND ts >= ? "
                                "ORDER BY id DESC LIMIT 50", [since]).fetchall()
    found = []
    for ts, actor, detail in rows:
        pair = json.loads(detail or "{}")
        a, b = pair.get("first", {}), pair.get("second", {})
        if names is None or any(roster_edit.is_mine(roster.Entry(name=p.get("name", "")), names) for p in (a, b)):
            found.append({"ts": ts, "by": actor, "first": a, "second": b})
    return found


def my_shift(ctx: WebContext, who: Principal) -> dict[str, Any] | None:
    """The block of 我的账号 (and of the Roster page): my next shift and the swaps that concern me."""
    names = my_names(ctx, who)
    entries = roster.load(ctx.reader())
    if not any(roster_edit.is_mine(e, names) for e in entries):
        return None
    return {"next": roster_edit.next_shift(entries, names, ctx.now().astimezone(ctx.tz)),
            "swaps": recent_swaps(ctx, names)}


def form_entry(name: str, mobile: str, role: str, day: str, start: str, end: str, position: str,
               feishu_id: str, note: str) -> roster.Entry:
    """A shift from the form, checked as an imported row is (BadRow when wrong)."""
    return roster.parse_row({"name": name, "mobile": mobile, "role": role, "day": day, "start": start,
                             "end": end, "position": position, "feishu_id": feishu_id, "note": note})


def add_routes(ctx: WebContext, router: APIRouter, show: Callable[..., Response]) -> None:
    """The edit and swap routes; ``show(request, who, status=, error=, ...)`` renders the Roster page."""
    committee_w, warden_w = need(ctx, "committee", write=True), need(ctx, "warden", write=True)
    ctx.account_blocks["shift"] = my_shift

    def change(request: Request, who: Principal, job: Callable[[Any], Any], done: str) -> Response:
        try:
            ctx.write(job)
        except roster.BadRow as exc:
            return show(request, who, status=400, error=exc.text(ctx.lang(request)))
        return see_other(f"/roster?done={done}")

    @router.post("/roster/shifts")
    def add_shift(request: Request, name: Text = "", mobile: Text = "", role: Text = "warden", day: Text = "",
                  start: Text = "", end: Text = "", position: Text = "1", feishu_id: Text = "", note: Text = "",
                  who: Principal = Depends(committee_w)) -> Response:
        address = ctx.address(request)

        def job(db):
            entry = form_entry(name, mobile, role, day, start, end, position, feishu_id, note)
            shift_id = roster_edit.add(db, entry)
            audit.record(db, ctx.now(), who.name, "roster_shift_add", target=str(shift_id),
                         detail=roster_edit.describe(entry), address=address)
        return change(request, who, job, "added")

    @router.get("/roster/shifts/{shift_id}")
    def edit_form(request: Request, shift_id: RowId, who: Principal = Depends(need(ctx, "committee"))) -> Response:
        found = [s for s in roster_edit.shifts(ctx.reader()) if s.id == shift_id]
        if not found:
            return show(request, who, status=404, error=roster.BadRow("shift_gone", id=shift_id).text(ctx.lang(request)))
        return ctx.render(request, "roster_shift.html", who, title_key="ros.edit", shift=found[0])

    @router.post("/roster/shifts/{shift_id}")
    def edit_shift(request: Request, shift_id: RowId, name: Text = "", mobile: Text = "", role: Text = "warden",
                   day: Text = "", start: Text = "", end: Text = "", position: Text = "1", feishu_id: Text = "",
                   note: Text = "", who: Principal = Depends(committee_w)) -> Response:
        address = ctx.address(request)

        def job(db):
            entry = form_entry(name, mobile, role, day, start, end, position, feishu_id, note)
            old = roster_edit.update(db, shift_id, entry)
            audit.record(db, ctx.now(), who.name, "roster_shift_edit", target=str(shift_id),
                         detail={"before": roster_edit.describe(old), "after": roster_edit.describe(entry)},
                         address=address)
        return change(request, who, job, "saved")

    @router.post("/roster/shifts/{shift_id}/remove")
    def remove_shift(request: Request, shift_id: RowId, who: Principal = Depends(committee_w)) -> Response:
        address = ctx.address(request)

        def job(db):
            old = roster_edit.remove(db, shift_id)
            audit.record(db, ctx.now(), who.name, "roster_shift_remove", target=str(shift_id),
                         detail=roster_edit.describe(old), address=address)
        return change(request, who, job, "removed")

    @router.post("/roster/swap")
    def swap(request: Request, first: Annotated[int, Form(ge=1, le=2**62)],
             second: Annotated[int, Form(ge=1, le=2**62)], who: Principal = Depends(warden_w)) -> Response:
        address = ctx.address(request)
        mine = None if allows(who.role, "committee") else my_names(ctx, who)

        def job(db):
            a, b = roster_edit.swap(db, first, second, mine=mine)
            pair = {"first": roster_edit.describe(a), "second": roster_edit.describe(b)}
            audit.record(db, ctx.now(), who.name, "roster_swap", target=f"{first}<->{second}", detail=pair,
                         address=address)
            queue_notice(db, dedup_key=f"roster_swap:{first}:{second}:{format_ts(ctx.now())}", now=ctx.now(),
                         title=f"roster_swap: {a.name} <-> {b.name}", path="/roster", topic="roster_swap",
                         values={**pair, "by": who.name})
        return change(request, who, job, "swapped")

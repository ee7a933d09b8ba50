"""Deadline calendar (截止日历): the coming 60 days with their kind (working day, weekend, statutory
holiday, 调休 make-up working day) and the morning deadline that applies, the days the holiday
package does not know, and the committee's overrides — set one (a date made a working day or a
holiday, optionally with its own deadline, and a note) or remove one.

:mod:`hub.overnight.calendar_edits` decides what a day is and whether a change may be made; the changes go
through ``hub.overnight.calendar.set_override`` / ``remove_override`` on the writer thread, with the audit
entry in the same transaction.  The overnight rule reads the overrides on every tick, so a change
applies to the next deadline it decides.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from hub.overnight import calendar
from hub.overnight import calendar_edits
from hub.overnight.calendar_edits import ChangeRefused

from hub.web import audit
from hub.web import i18n
from hub.web.auth import Principal
from hub.web.context import NavItem, WebContext
from hub.web.deps import need, see_other

DAYS = 60
OVERRIDES_SQL = "SELECT day, kind, deadline, note, by, updated_at FROM calendar_overrides ORDER BY day"
Text = Annotated[str, Form()]


def register(ctx: WebContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    ctx.nav.append(NavItem("/calendar", "nav.calendar", "committee"))
    rule = calendar.DeadlineRule.from_config(ctx.hub.config.rules.overnight, ctx.tz)
    committee_w = need(ctx, "committee", write=True)

    def show(request: Request, who: Principal, *, status: int = 200, error: str = "",
             form: dict | None = None) -> Response:
        today = ctx.now().astimezone(ctx.tz).date()
        overrides = calendar.load_overrides(ctx.reader())
        days = calendar_edits.coming_days(today, DAYS, rule, overrides)
        keys = ("day", "kind", "deadline", "note", "by", "updated_at")
        listed = [dict(zip(keys, r), label=f"override_{r[1]}") for r in ctx.reader().execute(OVERRIDES_SQL)]
        notice = _notice(ctx.lang(request), request.query_params, rule, overrides)
        return ctx.render(request, "calendar.html", who, status=status, title_key="nav.calendar", days=days,
                          today=today, rule=rule, unknown=calendar.unknown_years(d.day for d in days),
                          overrides=listed, error=error, notice=notice,
                          form=form or {"day": "", "kind": "holiday", "deadline": "", "note": ""})

    @router.get("/calendar")
    def calendar_page(request: Request, who: Principal = Depends(need(ctx, "viewer"))) -> Response:
        return show(request, who)

    @router.post("/calendar/overrides")
    async def set_override(request: Request, day: Text = "", kind: Text = "", deadline: Text = "", note: Text = "",
                           who: Principal = Depends(committee_w)) -> Response:
        form = {"day": day[:40], "kind": kind[:40], "deadline": deadline[:40], "note": note[:1000]}
        address = ctx.address(request)

        def job(db: Any) -> calendar.Override:
            today = ctx.now().astimezone(ctx.tz).date()
            wanted = calendar_edits.parse_override(day, kind, deadline, note, today=today, rule=rule)
            before = calendar.load_overrides(db)
            calendar_edits.check_change(wanted.day, before=before, after={**before, wanted.day: wanted}, rule=rule,
                                        now=ctx.now(), decided=_decided(db, wanted.day))
            calendar.set_override(db, wanted.day, wanted.kind, deadline=wanted.deadline, note=wanted.note,
                                  by=who.name, at=ctx.now())
            audit.record(db, ctx.now(), who.name, "calendar_override", target=wanted.day.isoformat(), address=address,
                         detail={"kind": wanted.kind, "note": wanted.note,
                                 "deadline": wanted.deadline.strftime("%H:%M") if wanted.deadline else None})
            return wanted
        try:
            done = await run_in_threadpool(ctx.write, job)
        except ChangeRefused as refused:
            return show(request, who, status=400, error=i18n.text(ctx.lang(request), refused.key, **refused.values),
                        form=form)
        return see_other(f"/calendar?saved={done.day.isoformat()}")

    @router.post("/calendar/overrides/remove")
    async def remove_override(request: Request, day: Text = "", who: Principal = Depends(committee_w)) -> Response:
        address = ctx.address(request)

        def job(db: Any) -> str:
            wanted = calendar_edits.parse_day(day, today=ctx.now().astimezone(ctx.tz).date())
            before = calendar.load_overrides(db)
            if wanted not in before:
                raise ChangeRefused("cal.err.no_override", day=wanted.isoformat())
            after = {d: o for d, o in before.items() if d != wanted}
            calendar_edits.check_change(wanted, before=before, after=after, rule=rule, now=ctx.now(),
                                        decided=_decided(db, wanted))
            calendar.remove_override(db, wanted)
            old = before[wanted]
            audit.record(db, ctx.now(), who.name, "calendar_override_remove", target=wanted.isoformat(),
                         address=address, detail={"kind": old.kind, "note": old.note,
                                                  "deadline": old.deadline.strftime("%H:%M") if old.deadline else None})
            return wanted.isoformat()
        try:
            removed = await run_in_threadpool(ctx.write, job)
        except ChangeRefused as refused:
            return show(request, who, status=400, error=i18n.text(ctx.lang(request), refused.key, **refused.values))
        return see_other(f"/calendar?removed={removed}")
    return router


def _decided(db: Any, day: Any) -> bool:
    """Whether the overnight rule has decided the morning of ``day`` already."""
    return db.execute("SELECT 1 FROM ovn_deadlines WHERE day = ?", [day.isoformat()]).fetchone() is not None


def _notice(lang: str, query: Any, rule: calendar.DeadlineRule, overrides: dict) -> str:
    """The line after a change (POST → redirect → GET), from the redirect's query and the table."""
    try:
        day = date.fromisoformat(query.get("saved") or query.get("removed") or "")
    except ValueError:
        return ""
    if query.get("saved"):
        deadline = calendar_edits.describe(day, rule, overrides).deadline.strftime("%H:%M")
        return i18n.text(lang, "cal.saved", day=day.isoformat(), deadline=deadline)
    return i18n.text(lang, "cal.removed", day=day.isoformat())

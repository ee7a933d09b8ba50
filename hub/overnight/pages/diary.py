"""Patrol diary (巡查日记): the chronological log the committee reads at its monthly meeting;
wardens add notes (楼道堆物, 化粪池满溢…)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from hub.overnight import diary
from hub.overnight import warden_actions

from hub.web import audit
from hub.web.auth import Principal
from hub.web.context import BadRequest, NavItem, WebContext
from hub.web.deps import need, see_other
from hub.web.filters import FilterError, parse_choice, parse_plate, parse_window

MAX_ROWS = 1000


def register(ctx: WebContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    ctx.nav.append(NavItem("/diary", "nav.diary", "viewer"))

    @router.get("/diary")
    def diary_page(request: Request, who: Principal = Depends(need(ctx, "viewer"))) -> Response:
        q = request.query_params
        today = ctx.now().astimezone(ctx.tz).date()
        form = {"from": q.get("from", str(today - timedelta(days=6)))[:40], "to": q.get("to", str(today))[:40],
                "kind": q.get("kind", "")[:40], "plate": q.get("plate", "")[:20]}
        try:
            window = parse_window(form["from"], form["to"], ctx.tz)
            rows = diary.entries(ctx.reader(), start=window.start, end=window.end, limit=MAX_ROWS,
                                 kind=parse_choice("kind", form["kind"], diary.KINDS) or None,
                                 plate=parse_plate(form["plate"]) or None)
            error = ""
        except FilterError as exc:
            rows, error = [], exc.text(ctx.lang(request))
        rows = [{**row, "text": diary.line_text(row, ctx.lang(request))} for row in rows]
        return ctx.render(request, "diary.html", who, status=400 if error else 200, title_key="nav.diary",
                          rows=rows, form=form, kinds=diary.KINDS, error=error, full=len(rows) >= MAX_ROWS)

    @router.post("/diary/notes")
    def add_note(request: Request, text: Annotated[str, Form(max_length=2000)] = "",
                 plate: Annotated[str, Form(max_length=20)] = "",
                 who: Principal = Depends(need(ctx, "warden", write=True))) -> Response:
        address = ctx.address(request)
        try:
            plate_text = parse_plate(plate) or None
        except FilterError as exc:
            raise BadRequest(exc) from None

        def job(db):
            try:
                note_id = warden_actions.add_note(db, text, by=who.name, at=ctx.now(), plate=plate_text)
            except warden_actions.WardenActionError as exc:
                raise BadRequest(exc) from None
            audit.record(db, ctx.now(), who.name, "diary_note", target=str(note_id), detail={"plate": plate_text},
                         address=address)
        ctx.write(job)
        return see_other("/diary")
    return router

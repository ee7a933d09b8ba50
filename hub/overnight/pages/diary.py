"""Patrol diary (巡查日记): the chronological log the committee reads at its monthly meeting;
wardens add notes (楼道堆物, 化粪池满溢…).  The screen pages through 200 lines at a time; the
printout (/diary/print) streams every line of the range with the compound's name and the dates."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response

from hub.core import glossary
from hub.overnight import diary
from hub.overnight import warden_actions

from hub.web import audit, i18n
from hub.web import export as export_file
from hub.web.auth import Principal
from hub.web.context import BadRequest, NavItem, WebContext
from hub.web.deps import need, see_other
from hub.web.filters import FilterError, parse_choice, parse_plate, parse_window

PAGE = 200  # lines per screen page; the printout has them all
EXPORT_HEADINGS = ("w.time", "diary.kind", "w.plate", "w.household", "w.zone", "w.detail", "w.by")


def register(ctx: WebContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    ctx.nav.append(NavItem("/diary", "nav.diary", "viewer"))

    def chosen(request: Request) -> tuple[dict, dict]:
        """The filter form as typed, and what it selects (FilterError when wrong)."""
        q = request.query_params
        today = ctx.now().astimezone(ctx.tz).date()
        form = {"from": q.get("from", str(today - timedelta(days=6)))[:40], "to": q.get("to", str(today))[:40],
                "kind": q.get("kind", "")[:40], "plate": q.get("plate", "")[:20]}
        window = parse_window(form["from"], form["to"], ctx.tz)
        return form, {"start": window.start, "end": window.end,
                      "kind": parse_choice("kind", form["kind"], diary.KINDS) or None,
                      "plate": parse_plate(form["plate"]) or None}

    @router.get("/diary")
    def diary_page(request: Request, who: Principal = Depends(need(ctx, "viewer")),
                   after: Annotated[int | None, Query(ge=1, le=2**62)] = None) -> Response:
        form = {"from": "", "to": "", "kind": "", "plate": ""}
        try:
            form, where = chosen(request)
            mark = ctx.reader().execute("SELECT ts, id FROM diary WHERE id = ?", [after]).fetchone() if after else None
            rows = diary.entries(ctx.reader(), limit=PAGE + 1, after=tuple(mark) if mark else None, **where)
            error = ""
        except FilterError as exc:
            rows, error = [], exc.text(ctx.lang(request))
        more = len(rows) > PAGE
        rows = rows[:PAGE]
        query = urlencode({k: v for k, v in form.items() if v})
        rows = [shown(row, ctx.lang(request)) for row in rows]
        return ctx.render(request, "diary.html", who, status=400 if error else 200, title_key="nav.diary",
                          rows=rows, form=form, kinds=diary.KINDS, error=error, query=query, paged=after is not None,
                          next_page=f"/diary?{query}&after={rows[-1]['id']}" if more else "")

    @router.get("/diary/print")
    def diary_print(request: Request, who: Principal = Depends(need(ctx, "viewer"))) -> Response:
        """The whole range for printing, streamed (no line limit), with the compound and the dates."""
        try:
            form, where = chosen(request)
        except FilterError as exc:
            raise BadRequest(exc) from None
        lang = ctx.lang(request)
        return ctx.stream(request, "diary_print.html", who, title_key="nav.diary", form=form, now=ctx.now(),
                          rows=(shown(r, lang) for r in every_line(where)))

    @router.get("/diary.{fmt}")
    def diary_export(request: Request, fmt: str, who: Principal = Depends(need(ctx, "committee"))) -> Response:
        """The whole range as CSV or Excel."""
        export_file.check_format(fmt)
        try:
            form, where = chosen(request)
        except FilterError as exc:
            raise BadRequest(exc) from None
        lang = ctx.lang(request)
        _ = i18n.translator(lang)
        rows = ([ctx.local(r["ts"]), _("diary." + r["kind"]), r["plate"], r["household"],
                 ctx.labels.zone(r["zone"]), r["text"], r["who"]]
                for r in (shown(r, lang) for r in every_line(where)))
        return export_file.download(fmt, f"diary_{export_file.span(form)}", lang, sheet="nav.diary",
                                    headings=EXPORT_HEADINGS, rows=rows)

    def shown(row: dict, lang: str) -> dict:
        """A line as a reader sees it: its words in ``lang`` and who wrote it (中心机 for the hub)."""
        by = row.get("by") or ""
        return {**row, "text": diary.line_text(row, lang, ctx.labels.zones),
                "who": glossary.kind("hub", lang) if by == "hub" else ctx.labels.device(by)}

    def every_line(where: dict):
        """Every line the filter selects, read 500 at a time."""
        return export_file.paged(lambda after, limit: diary.entries(ctx.reader(), limit=limit, after=after, **where),
                                 lambda r: (r["ts"], r["id"]))

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

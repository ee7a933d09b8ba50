"""Violations (违规记录): filter by day, state, plate and household; evidence photos; history;
resolve (warden) or excuse (committee) with a reason; identify an untagged car's plate."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from hub.overnight import diary
from hub.overnight import queries as violations
from hub.web import export as export_file
from hub.web import i18n
from hub.web.auth import Principal
from hub.web.context import BadRequest, NavItem, NotFound, WebContext
from hub.web.deps import need, see_other
from hub.web.filters import (VIOLATION_STATES, FilterError, decode_cursor, encode_cursor, parse_choice, parse_label, parse_plate, parse_window)
from hub.overnight.pages import actions

RULES = ("overnight", "fire_lane")
FILTERS = ("from", "to", "state", "plate", "household", "rule")
Reason = Annotated[str, Form(max_length=500)]
EXPORT_HEADINGS = ("w.deadline", "w.rule", "w.plate", "w.household", "w.zone", "exp.slot", "w.state",
                   "exp.provisional", "w.reason", "w.by")


def query(ctx: WebContext, params: dict, *, cursor: str | None, limit: int) -> tuple[list[dict], str | None]:
    """Violations for the page and the API; FilterError for bad parameters."""
    window = parse_window(params.get("from"), params.get("to"), ctx.tz)
    rows = violations.page(ctx.reader(), window=window, state=parse_choice("state", params.get("state"), VIOLATION_STATES),
                           rule=parse_choice("rule", params.get("rule"), RULES),
                           plate=parse_plate(params.get("plate")), household=parse_label("household", params.get("household")),
                           after=decode_cursor(cursor), limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(rows[-1]["deadline"], rows[-1]["id"]) if more else None)


def register(ctx: WebContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    ctx.nav.append(NavItem("/violations", "nav.violations", "viewer"))

    @router.get("/violations")
    def violations_page(request: Request, who: Principal = Depends(need(ctx, "viewer"))) -> Response:
        form = {k: request.query_params.get(k, "")[:100] for k in FILTERS}
        try:
            rows, cursor = query(ctx, form, cursor=request.query_params.get("cursor"), limit=ctx.config.page_size)
        except FilterError as exc:
            return ctx.render(request, "violations.html", who, status=400, title_key="nav.violations", rows=[],
                              next=None, form=form, error=exc.text(ctx.lang(request)), states=VIOLATION_STATES, rules=RULES)
        return ctx.render(request, "violations.html", who, title_key="nav.violations", rows=rows, next=cursor,
                          form=form, error="", states=VIOLATION_STATES, rules=RULES)

    @router.get("/violations/{violation_id}")
    def violation_page(request: Request, violation_id: str, who: Principal = Depends(need(ctx, "viewer"))) -> Response:
        db = ctx.reader()
        found = violations.get(db, violation_id[:64])
        if found is None:
            raise NotFound("err.not_found")
        lang = ctx.lang(request)
        history = [{**line, "text": diary.line_text(line, lang, ctx.labels.zones)}
                   for line in violations.history(db, found["id"])]
        return ctx.render(request, "violation.html", who, title_key="nav.violations", v=found, history=history)

    @router.get("/violations.{fmt}")
    def export(request: Request, fmt: str, who: Principal = Depends(need(ctx, "committee"))) -> Response:
        """The filtered violations as CSV or Excel (every page of them)."""
        form = {k: request.query_params.get(k, "")[:100] for k in FILTERS}
        export_file.check_format(fmt)
        try:
            query(ctx, form, cursor=None, limit=1)  # refuses a bad filter before the file starts
        except FilterError as exc:
            raise BadRequest(exc) from None
        lang = ctx.lang(request)
        _ = i18n.translator(lang)
        everything = export_file.paged(lambda after, limit: query(ctx, form, cursor=after, limit=limit)[0],
                                       lambda v: encode_cursor(v["deadline"], v["id"]))
        rows = ([ctx.local(v["deadline"]), _("rule." + v["rule"]), v["plate"] or _("vio.untagged"), v["household"],
                 ctx.labels.zone(v["zone"]), v["slot"], _("state." + v["state"]),
                 _("w.yes") if v["provisional"] else "", v["reason"], v["by"]] for v in everything)
        return export_file.download(fmt, f"violations_{export_file.span(form)}", lang, sheet="nav.violations",
                                    headings=EXPORT_HEADINGS, rows=rows)

    _action_routes(ctx, router)
    return router


def _action_routes(ctx: WebContext, router: APIRouter) -> None:
    @router.post("/violations/{violation_id}/resolve")
    def resolve(request: Request, violation_id: str, reason: Reason = "",
                who: Principal = Depends(need(ctx, "warden", write=True))) -> Response:
        actions.settle(ctx, request, who, "resolve", violation_id, reason)
        return see_other(f"/violations/{violation_id}")

    @router.post("/violations/{violation_id}/excuse")
    def excuse(request: Request, violation_id: str, reason: Reason = "",
               who: Principal = Depends(need(ctx, "committee", write=True))) -> Response:
        actions.settle(ctx, request, who, "excuse", violation_id, reason)
        return see_other(f"/violations/{violation_id}")

    @router.post("/violations/{violation_id}/identify")
    def identify(request: Request, violation_id: str, plate: Annotated[str, Form(max_length=20)],
                 who: Principal = Depends(need(ctx, "warden", write=True))) -> Response:
        actions.identify(ctx, request, who, violation_id, plate)
        return see_other(f"/violations/{violation_id}")

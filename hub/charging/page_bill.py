"""The shed's electricity bill shared by circuit (电费分摊表): one printable page per month.

``GET /charging/bill?month=2026-03``: kWh per circuit (named by label) as bars, then the table —
kWh, share and amount at ``[rules.charging] tariff_yuan_per_kwh`` — with its total; under a circuit,
its sockets with a meter of their own (``part_of``) and the rest of the circuit.  The page
prints on one sheet (the filters and menu are not printed).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from hub.charging import bill
from hub.web import charts, i18n
from hub.web.auth import Principal
from hub.web.context import BadRequest, WebContext
from hub.web.deps import need
from hub.web.filters import FilterError, month_bounds, parse_month


def build(ctx: WebContext, year: int, month: int, lang: str) -> dict:
    start, end = month_bounds(year, month, ctx.tz)
    labels = {c.name: c.display for c in ctx.hub.config.circuits}
    tariff = ctx.hub.config.rules.charging.tariff_yuan_per_kwh
    part_of = {c.name: c.part_of for c in ctx.hub.config.circuits if c.part_of is not None}
    rows, total = bill.share(bill.month_kwh(ctx.reader(), start, end), tariff, part_of)
    rest = i18n.text(lang, "bill.rest")

    def named_row(r: bill.Share) -> dict:
        return {"label": rest if r.circuit == bill.REST else labels.get(r.circuit, r.circuit),
                "kwh": r.kwh, "share": r.share, "yuan": r.yuan, "ports": [named_row(p) for p in r.ports]}

    named = [named_row(r) for r in rows]
    chart = charts.stacked_bars([n["label"] for n in named], [("kWh", [n["kwh"] for n in named])],
                                title=i18n.text(lang, "bill.chart")) if named else ""
    return {"month": f"{year:04d}-{month:02d}", "rows": named, "total": total, "tariff": tariff, "chart": chart,
            "has_ports": any(n["ports"] for n in named)}


def register(ctx: WebContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/charging/bill")
    def bill_page(request: Request, who: Principal = Depends(need(ctx, "viewer"))) -> Response:
        try:
            year, month = parse_month(request.query_params.get("month"), ctx.now().astimezone(ctx.tz).date())
        except FilterError as exc:
            raise BadRequest(exc) from None
        return ctx.render(request, "charging_bill.html", who, title_key="bill.title",
                          bill=build(ctx, year, month, ctx.lang(request)))
    return router

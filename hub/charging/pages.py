"""Charging (充电棚): every circuit now, a chart of power over the last 24 h or any day, incidents.

The charging area (hub.charging) owns the state and the incidents; this page reads them, and the
charts (:mod:`hub.charging.page_charts`) from the stored ``charging`` events.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from gwcommon.timefmt import parse_ts
from hub.charging import bill, store
from hub.charging.area import limits_for
from hub.charging.query import charging_state
from hub.charging.rules import incident_text

from hub.web import export as export_file
from hub.web import i18n
from hub.web.auth import Principal
from hub.web.context import BadRequest, NavItem, WebContext
from hub.web.deps import need
from hub.web.filters import YEARS, FilterError, parse_window

EXPORT_HEADINGS = ("dev.since", "chg.circuit", "w.rule", "w.state", "w.detail", "exp.closed")


def window_of(ctx: WebContext, day_text: str | None) -> tuple[datetime, datetime, bool]:
    """[start, end) of the chart: the last 24 h, or one local day (``2026-03-02``)."""
    if not day_text:
        end = ctx.now()
        return end - timedelta(hours=24), end, False
    try:
        day = date.fromisoformat(day_text) if day_text.isascii() else None
    except ValueError:
        day = None
    if day is None or not YEARS[0] <= day.year <= YEARS[1]:
        raise BadRequest(f"day: {day_text[:20]!r} is not a date like 2026-03-02") from None
    start = datetime.combine(day, time(0), ctx.tz).astimezone(timezone.utc)
    return start, start + timedelta(days=1), True


def chart(ctx: WebContext, start: datetime, end: datetime, lang: str) -> str:
    from hub.charging.page_charts import charts as charging_charts

    s = start.timestamp()
    ticks = [(s + h * 3600, (start + timedelta(hours=h)).astimezone(ctx.tz).strftime("%H:%M")) for h in range(0, 25, 4)]
    return charging_charts(ctx, start, end, lang, ticks)


def now_block(ctx: WebContext) -> dict:
    return charging_state(ctx.reader(), ctx.hub.config, now=ctx.now())


def worded(ctx: WebContext, incidents: list[dict], lang: str) -> list[dict]:
    """Incidents with their sentence in ``lang`` (``text``), worded again from their facts."""
    return [{**i, "text": incident_text(i, limits_for(ctx.hub.config, i["circuit"]), lang)} for i in incidents]


def charging_incidents(db, start: datetime, end: datetime) -> list[dict]:
    """The monthly report's block: charging incidents that began in the month, counted per rule."""

    counts: dict[str, int] = {}
    for incident in store.incidents(db, since=start, limit=100_000):
        if parse_ts(incident["since"]) < end:
            counts[incident["rule"]] = counts.get(incident["rule"], 0) + 1
    return [{"rule": r, "count": n} for r, n in sorted(counts.items(), key=lambda kv: -kv[1])]  # worded by chg.rule.*


def kwh_per_month(db, bounds: list, part_of: dict[str, str] | None = None) -> list[float]:
    """The shed's kWh in each month (every circuit together), for the monthly report's trend."""
    return [round(bill.total_kwh(month, part_of), 1) for month in bill.months_kwh(db, bounds)]


def register(ctx: WebContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    ctx.nav.append(NavItem("/charging", "nav.charging", "viewer"))
    ctx.today["charging"] = now_block
    ctx.report_blocks["charging"] = charging_incidents
    part_of = {c.name: c.part_of for c in ctx.hub.config.circuits if c.part_of is not None}
    ctx.report_trends["charging_kwh"] = lambda db, bounds: kwh_per_month(db, bounds, part_of)

    @router.get("/charging")
    def charging_page(request: Request, who: Principal = Depends(need(ctx, "viewer"))) -> Response:
        day = request.query_params.get("day", "")[:20]
        start, end, chosen = window_of(ctx, day)
        since = start if chosen else ctx.now() - timedelta(days=30)
        incidents = worded(ctx, [i for i in store.incidents(ctx.reader(), since=since, limit=200)
                                 if not chosen or parse_ts(i["since"]) < end], ctx.lang(request))
        from hub.charging.page_cuts import rows as cut_rows
        return ctx.render(request, "charging.html", who, title_key="nav.charging", state=now_block(ctx),
                          chart=chart(ctx, start, end, ctx.lang(request)), day=day, incidents=incidents,
                          cuts=cut_rows(ctx, ctx.lang(request)),
                          labels={c.name: c.display for c in ctx.hub.config.circuits},
                          month_ago=(ctx.now().astimezone(ctx.tz).date() - timedelta(days=30)).isoformat(),
                          today=ctx.now().astimezone(ctx.tz).date().isoformat())

    @router.get("/charging/incidents.{fmt}")
    def incidents_export(request: Request, fmt: str, who: Principal = Depends(need(ctx, "committee"))) -> Response:
        """Charging incidents that began in a date range, as CSV or Excel, with the circuits' names."""
        export_file.check_format(fmt)
        form = {k: request.query_params.get(k, "")[:40] for k in ("from", "to")}
        try:
            window = parse_window(form["from"], form["to"], ctx.tz)
        except FilterError as exc:
            raise BadRequest(exc) from None
        lang = ctx.lang(request)
        _ = i18n.translator(lang)
        labels = {c.name: c.display for c in ctx.hub.config.circuits}
        found = store.incidents(ctx.reader(), since=window.start, limit=-1)  # -1: SQLite's "no limit"
        rows = [[ctx.local(i["since"]), labels.get(i["circuit"], i["circuit"]), _("chg.rule." + i["rule"]),
                 _("chg.state." + i["state"]), i["text"], ctx.local(i["closed_at"])]
                for i in reversed(worded(ctx, found, lang)) if window.end is None or parse_ts(i["since"]) < window.end]
        return export_file.download(fmt, f"charging_incidents_{export_file.span(form)}", lang,
                                    sheet="chg.incidents", headings=EXPORT_HEADINGS, rows=rows)
    return router

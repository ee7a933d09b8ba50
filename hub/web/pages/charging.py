"""Charging (充电棚): every circuit now, a chart of power over the last 24 h or any day, incidents.

The charging area (hub.charging) owns the state and the incidents; this page reads them, and the
chart from the stored ``charging`` events (largest reading per 5 minutes per circuit).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from gwcommon.timefmt import format_ts, parse_ts
from hub.charging import store
from hub.charging.query import charging_state

from .. import charts, i18n
from ..auth import Principal
from ..context import BadRequest, NavItem, WebContext
from ..deps import need
from ..filters import YEARS
from . import sections

BUCKET = 300  # seconds per chart point


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


def power_series(ctx: WebContext, start: datetime, end: datetime) -> dict[str, list[tuple[float, float]]]:
    rows = ctx.reader().execute(
        "SELECT json_extract(body, '$.circuit'), (CAST(strftime('%s', ts) AS INTEGER) / ?) * ?, "
        "max(json_extract(body, '$.power_w')) FROM events WHERE kind = 'charging' AND ts >= ? AND ts < ? "
        "GROUP BY 1, 2 ORDER BY 1, 2", [BUCKET, BUCKET, format_ts(start), format_ts(end)])
    series: dict[str, list[tuple[float, float]]] = {}
    for circuit, bucket, watts in rows:
        series.setdefault(circuit, []).append((float(bucket), float(watts or 0)))
    return series


def chart(ctx: WebContext, start: datetime, end: datetime, lang: str) -> str:
    s, e = start.timestamp(), end.timestamp()
    ticks = [(s + h * 3600, (start + timedelta(hours=h)).astimezone(ctx.tz).strftime("%H:%M")) for h in range(0, 25, 4)]
    series = sorted(power_series(ctx, start, end).items())
    return charts.lines(series, x_span=(s, e), x_ticks=ticks, unit="W",
                        title=i18n.text(lang, "chg.chart"))


def now_block(ctx: WebContext) -> dict:
    return charging_state(ctx.reader(), ctx.hub.config, now=ctx.now())


def register(ctx: WebContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    ctx.nav.append(NavItem("/charging", "nav.charging", "viewer"))
    sections.TODAY["charging"] = now_block

    @router.get("/charging")
    def charging_page(request: Request, who: Principal = Depends(need(ctx, "viewer"))) -> Response:
        day = request.query_params.get("day", "")[:20]
        start, end, chosen = window_of(ctx, day)
        since = start if chosen else ctx.now() - timedelta(days=30)
        incidents = [i for i in store.incidents(ctx.reader(), since=since, limit=200)
                     if not chosen or parse_ts(i["since"]) < end]
        return ctx.render(request, "charging.html", who, title_key="nav.charging", state=now_block(ctx),
                          chart=chart(ctx, start, end, ctx.lang(request)), day=day, incidents=incidents)
    return router

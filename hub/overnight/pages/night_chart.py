"""Cars inside over the night (余位曲线), with the morning's deadline marked: a block of the Today page.

The night shown is the one under way, or the last one once its deadline has passed: from an hour
before ``night_start`` to an hour after the deadline (the committee's calendar decides which
deadline, a holiday's included).  Cars inside start from :func:`hub.occupancy.recount` at the left
edge and follow every passage through a gate (and a warden's count re-bases it), by event time, up
to the site clock.  The painted spaces are a line: cars above it are parked off the spaces.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from gwcommon.timefmt import format_ts, parse_ts
from hub.overnight import calendar, occupancy

from hub.web import i18n, timechart
from hub.web.context import WebContext


def night_of(now: datetime, rule: calendar.DeadlineRule, overrides: Any) -> tuple[datetime, datetime]:
    """(night start, deadline) of the night under way, or of the last one when none is."""
    upcoming = calendar.next_deadline(now, rule, overrides)
    start = calendar.night_start_for(upcoming, rule)
    if now >= start:
        return start, upcoming
    last = calendar.latest_deadline(now, rule, overrides)
    return calendar.night_start_for(last, rule), last


def inside_curve(db: Any, *, spaces: int, start: datetime, end: datetime) -> list[tuple[float, float]]:
    """Cars inside as steps: (epoch seconds, cars) at ``start`` and at every change up to ``end``."""
    inside = occupancy.recount(db, spaces=spaces, at=start)["inside"]
    moves = db.execute(
        "SELECT ts, json_extract(body, '$.direction'), NULL FROM events WHERE kind = 'passage' AND ts > ? AND ts <= ? "
        "AND json_extract(body, '$.passed') = 1 UNION ALL SELECT ts, 'count', inside FROM occupancy_counts "
        "WHERE ts > ? AND ts <= ? ORDER BY 1", [format_ts(start), format_ts(end)] * 2).fetchall()
    points = [(start.timestamp(), float(inside))]
    for ts, what, counted in moves:
        inside = counted if what == "count" else max(0, inside + (1 if what == "in" else -1 if what == "out" else 0))
        points.append((parse_ts(ts).timestamp(), float(inside)))
    points.append((end.timestamp(), float(inside)))
    return points


def steps(curve: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The curve drawn as steps: each count holds until the next change."""
    out: list[tuple[float, float]] = []
    for x, y in curve:
        if out and out[-1][1] != y:
            out.append((x, out[-1][1]))
        out.append((x, y))
    return out


def chart(ctx: WebContext, lang: str) -> dict:
    """The Today block: the chart's SVG and the deadline it marks."""
    rule = calendar.DeadlineRule.from_config(ctx.hub.config.rules.overnight, ctx.tz)
    db = ctx.reader()
    overrides = calendar.load_overrides(db) if ctx.has_table("calendar_overrides") else {}
    now = ctx.hub.site_time().now
    night_start, deadline = night_of(now, rule, overrides)
    left, right = night_start - timedelta(hours=1), deadline + timedelta(hours=1)
    spaces = ctx.site.spaces
    curve = inside_curve(db, spaces=spaces, start=left, end=min(now, right))
    hours = int((right - left).total_seconds() // 3600)
    ticks = [((left + timedelta(hours=h)).timestamp(), (left + timedelta(hours=h)).astimezone(ctx.tz).strftime("%H:%M"))
             for h in range(0, hours + 1, 2)]
    local_deadline = deadline.astimezone(ctx.tz).strftime("%H:%M")
    svg = timechart.render(timechart.TimeChart(
        title=i18n.text(lang, "night.title"), x_span=(left.timestamp(), right.timestamp()), x_ticks=ticks,
        integer=True, unit=i18n.text(lang, "night.unit"),
        series=[timechart.Series(i18n.text(lang, "today.inside"), steps(curve))],
        refs=[timechart.RefLine(float(spaces), i18n.text(lang, "night.spaces", n=spaces), colour="#1b7f3a")],
        bands=[timechart.Band(night_start.timestamp(), deadline.timestamp(), i18n.text(lang, "chg.night"))],
        markers=[timechart.Marker(deadline.timestamp(), i18n.text(lang, "night.deadline", t=local_deadline),
                                  shown=True)]))
    return {"svg": svg, "deadline": deadline}


def block(ctx: WebContext) -> dict | None:
    """The Today block, in both languages (the template picks the page's)."""
    if not ctx.has_table("occupancy_counts"):
        return None
    return {"svg": {lang: chart(ctx, lang)["svg"] for lang in ("zh", "en")}}


def register(ctx: WebContext):
    from fastapi import APIRouter

    ctx.today["night"] = block
    return APIRouter(include_in_schema=False)

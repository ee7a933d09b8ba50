"""The charging page's pictures: every circuit at a glance, then one chart per circuit.

The overview draws each circuit's power (largest reading per 5 minutes) in its own colour, named by
its label.  Each circuit's own chart adds its breaker's rating and alarm level (at the nominal
220 V), the night shaded (``[rules.overnight]`` night_start → deadline), a marker at every
incident and every power cut, and the charger count as a step line on a whole-number axis on the
right.  A stairwell circuit where nobody may charge says so in its title.
"""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from typing import Any

from gwcommon.timefmt import format_ts, parse_ts

from hub.web import i18n, timechart
from hub.web.context import WebContext

BUCKET = 300
NOMINAL_V = 220.0


def buckets(ctx: WebContext, start: datetime, end: datetime) -> dict[str, list[tuple[float, float, float]]]:
    """Per circuit: (bucket start, largest power, largest count) every 5 minutes."""
    rows = ctx.reader().execute(
        "SELECT json_extract(body, '$.circuit'), (CAST(strftime('%s', ts) AS INTEGER) / ?) * ?, "
        "max(json_extract(body, '$.power_w')), max(json_extract(body, '$.loads')) FROM events "
        "WHERE kind = 'charging' AND ts >= ? AND ts < ? GROUP BY 1, 2 ORDER BY 1, 2",
        [BUCKET, BUCKET, format_ts(start), format_ts(end)])
    found: dict[str, list[tuple[float, float, float]]] = {}
    for circuit, bucket, watts, loads in rows:
        found.setdefault(circuit, []).append((float(bucket), float(watts or 0), float(loads or 0)))
    return found


def nights(start: datetime, end: datetime, tz: Any, night_start: time, deadline: time) -> list[tuple[float, float]]:
    """The nights (night_start → next deadline, local) overlapping [start, end), as epoch spans."""
    spans, day = [], (start.astimezone(tz) - timedelta(days=1)).date()
    while datetime.combine(day, night_start, tz) < end:
        a = datetime.combine(day, night_start, tz)
        b = datetime.combine(day + timedelta(days=1), deadline, tz)
        if b > start:
            spans.append((max(a, start).timestamp(), min(b, end).timestamp()))
        day += timedelta(days=1)
    return spans


def marks(ctx: WebContext, start: datetime, end: datetime, lang: str) -> dict[str, list[timechart.Marker]]:
    """Incidents and power cuts in the window, per circuit."""
    db = ctx.reader()
    found: dict[str, list[timechart.Marker]] = {}
    for circuit, rule, since in db.execute(
            "SELECT circuit, rule, since FROM charging_incidents WHERE since >= ? AND since < ?",
            [format_ts(start), format_ts(end)]):
        found.setdefault(circuit, []).append(timechart.Marker(
            parse_ts(since).timestamp(), i18n.text(lang, f"chg.rule.{rule}"), "#9a6100"))
    for ts, body in db.execute(
            "SELECT ts, body FROM events WHERE kind = 'fault' AND json_extract(body, '$.code') = 'power_cut' "
            "AND json_extract(body, '$.active') = 1 AND ts >= ? AND ts < ?", [format_ts(start), format_ts(end)]):
        circuit = json.loads(body).get("circuit")
        if circuit:
            found.setdefault(circuit, []).append(timechart.Marker(
                parse_ts(ts).timestamp(), i18n.text(lang, "chg.cut_marker"), "#b3261e"))
    return found


def circuits_in_order(ctx: WebContext, reporting: set[str]) -> list[tuple[str, Any]]:
    """Configured circuits first (their order fixes their colours), then any others reporting."""
    configured = [(c.name, c) for c in ctx.hub.config.circuits]
    names = {n for n, _ in configured}
    return configured + [(name, None) for name in sorted(reporting - names)]


def charts(ctx: WebContext, start: datetime, end: datetime, lang: str, x_ticks: list[tuple[float, str]]) -> str:
    """The overview and one chart per circuit, as SVG markup."""
    data = buckets(ctx, start, end)
    ordered = circuits_in_order(ctx, set(data))
    night = ctx.hub.config.rules.overnight
    bands = [timechart.Band(a, b, i18n.text(lang, "chg.night"))
             for a, b in nights(start, end, ctx.tz, night.night_start, night.deadline)]
    span = (start.timestamp(), end.timestamp())
    overview = timechart.TimeChart(
        title=i18n.text(lang, "chg.chart"), x_span=span, x_ticks=x_ticks, unit="W", bands=bands,
        series=[timechart.Series(_label(name, c), [(t, w) for t, w, _ in data.get(name, [])]) for name, c in ordered])
    out = [timechart.render(overview)]
    found = marks(ctx, start, end, lang)
    alarm_pct = ctx.hub.config.rules.charging.load_alarm_pct
    for k, (name, c) in enumerate(ordered):
        out.append(timechart.render(_one(name, c, k, data.get(name, []), span, x_ticks, bands,
                                         found.get(name, []), alarm_pct, lang)))
    return "\n".join(out)


def _label(name: str, c: Any) -> str:
    return c.display if c is not None else name


def _one(name, c, k, points, span, x_ticks, bands, markers, alarm_pct, lang) -> timechart.TimeChart:
    label = _label(name, c)
    breaker_a = c.breaker_a if c is not None else 16.0
    breaker_w = breaker_a * NOMINAL_V
    title = i18n.text(lang, "chg.no_charging_title", label=label) if c is not None and c.no_charging else label
    refs = [timechart.RefLine(breaker_w, i18n.text(lang, "chg.breaker_line", a=f"{breaker_a:g}", w=f"{breaker_w:.0f}")),
            timechart.RefLine(breaker_w * alarm_pct / 100,
                              i18n.text(lang, "chg.alarm_line", pct=f"{alarm_pct:g}", w=f"{breaker_w * alarm_pct / 100:.0f}"),
                              colour="#9a6100")]
    return timechart.TimeChart(
        title=title, x_span=span, x_ticks=x_ticks, unit="W", bands=bands, refs=refs, markers=markers,
        series=[timechart.Series(i18n.text(lang, "chg.power_of", label=label), [(t, w) for t, w, _ in points])],
        steps=timechart.Series(i18n.text(lang, "chg.count_line"), [(t, n) for t, _, n in points]),
        steps_unit=i18n.text(lang, "chg.loads"), first_colour=k)

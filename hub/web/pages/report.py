"""Monthly report (月报) for the committee's meeting (社情自理会): violations per week, repeat
offenders (红黑榜), gate denials, charging incidents when the charging area is installed;
printable, and as CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from gwcommon.timefmt import format_ts, parse_ts
from hub import diary
from hub.csvsafe import neutralise_row

from .. import charts, i18n
from ..auth import Principal
from ..context import BadRequest, NavItem, WebContext
from ..deps import csv_download, need

STANDING, EXCUSED, RETRACTED = ("open", "resolved"), "excused", "retracted"


def parse_month(text: str | None, today: date) -> tuple[int, int]:
    if not text:
        return today.year, today.month
    if not re.fullmatch(r"\d{4}-\d{2}", text) or not 1 <= int(text[5:]) <= 12:
        raise BadRequest(f"month: {text[:20]!r} is not a month like 2026-03")
    return int(text[:4]), int(text[5:])


def weeks_of(year: int, month: int) -> list[date]:
    """The Mondays of the weeks that overlap the month."""
    first = date(year, month, 1)
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    monday = first - timedelta(days=first.weekday())
    return [monday + timedelta(weeks=i) for i in range((last - monday).days // 7 + 1)]


def build(ctx: WebContext, year: int, month: int) -> dict:
    db = ctx.reader()
    start, end = diary.month_bounds(year, month, ctx.tz)
    span = [format_ts(start), format_ts(end)]
    mondays = weeks_of(year, month)
    counts = {k: [0] * len(mondays) for k in ("standing", "excused", "retracted")}
    for deadline, state in db.execute("SELECT deadline, state FROM violations WHERE deadline >= ? AND deadline < ?", span):
        day = parse_ts(deadline).astimezone(ctx.tz).date()
        week = (day - mondays[0]).days // 7
        counts["standing" if state in STANDING else state][week] += 1
    denials = db.execute(
        "SELECT json_extract(body, '$.reason'), count(*) FROM events WHERE kind = 'passage' AND ts >= ? AND ts < ? "
        "AND json_extract(body, '$.decision') = 'deny' GROUP BY 1 ORDER BY 2 DESC", span).fetchall()
    return {"year": year, "month": month, "weeks": [m.strftime("%m-%d") for m in mondays], "counts": counts,
            "vehicles": diary.monthly_ranking(db, year, month, tz=ctx.tz, by="vehicle"),
            "households": diary.monthly_ranking(db, year, month, tz=ctx.tz, by="household"),
            "denials": [{"reason": r or "", "count": n} for r, n in denials],
            "charging": charging_incidents(db, start, end)}


def charging_incidents(db, start: datetime, end: datetime) -> list[dict]:
    """Charging incidents that began in the month, counted per rule (None without the charging area)."""
    from hub.charging import store
    from hub.rules.charging import TITLES

    counts: dict[str, int] = {}
    for incident in store.incidents(db, since=start, limit=100_000):
        if parse_ts(incident["since"]) < end:
            counts[incident["rule"]] = counts.get(incident["rule"], 0) + 1
    return [{"rule": TITLES.get(r, r), "count": n} for r, n in sorted(counts.items(), key=lambda kv: -kv[1])]


def chart(report: dict, lang: str) -> str:
    _ = i18n.translator(lang)
    series = [(_("rep.standing"), report["counts"]["standing"]), (_("state.excused"), report["counts"]["excused"]),
              (_("state.retracted"), report["counts"]["retracted"])]
    return charts.stacked_bars([_("rep.week_of", day=w) for w in report["weeks"]], series, title=_("rep.per_week"))


class _SafeWriter:
    """A csv writer whose cells are formula-safe (hub/csvsafe.py)."""

    def __init__(self, writer) -> None:
        self.writer = writer

    def writerow(self, row: list) -> None:
        self.writer.writerow(neutralise_row(row))


def to_csv(report: dict) -> bytes:
    out = io.StringIO()
    w = _SafeWriter(csv.writer(out))
    w.writerow(["部分 section", "项目 item", "数量 count"])
    for i, week in enumerate(report["weeks"]):
        for kind in ("standing", "excused", "retracted"):
            w.writerow([f"violations_per_week:{kind}", week, report["counts"][kind][i]])
    for row in report["vehicles"]:
        w.writerow(["repeat_vehicle", row["vehicle"], row["count"]])
    for row in report["households"]:
        w.writerow(["repeat_household", row["household"], row["count"]])
    for row in report["denials"]:
        w.writerow(["gate_denials", row["reason"], row["count"]])
    for row in report["charging"]:
        w.writerow(["charging_incidents", row["rule"], row["count"]])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def register(ctx: WebContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    ctx.nav.append(NavItem("/report", "nav.report", "committee"))
    committee = need(ctx, "committee")

    def month_of(request: Request) -> tuple[int, int]:
        return parse_month(request.query_params.get("month"), ctx.now().astimezone(ctx.tz).date())

    @router.get("/report")
    def report_page(request: Request, who: Principal = Depends(committee)) -> Response:
        report = build(ctx, *month_of(request))
        return ctx.render(request, "report.html", who, title_key="nav.report", r=report,
                          chart=chart(report, ctx.lang(request)), month=f"{report['year']:04d}-{report['month']:02d}")

    @router.get("/report.csv")
    def report_csv(request: Request, who: Principal = Depends(committee)) -> Response:
        year, month = month_of(request)
        return csv_download(to_csv(build(ctx, year, month)), f"report-{year:04d}-{month:02d}.csv")
    return router

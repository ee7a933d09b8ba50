"""Monthly report (月报) for the committee's meeting (社情自理会): violations per week, repeat
offenders (红黑榜), gate denials, charging incidents when the charging area is installed, tags not
heard for long (标签健康) when the registry's pages are; month to month over the last 12 months
(violations, and the shed's kWh with the charging area); printable, and as CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from gwcommon import catalogue
from gwcommon.timefmt import format_ts, parse_ts
from hub.overnight import diary
from hub.core.csvsafe import neutralise_row

from hub.web import charts
from hub.web import i18n
from hub.web.auth import Principal
from hub.web.context import BadRequest, NavItem, WebContext
from hub.web.deps import csv_download, need
from hub.web.filters import FilterError, parse_month

STANDING, EXCUSED, RETRACTED = ("open", "resolved"), "excused", "retracted"
ALL = -1  # SQLite's LIMIT -1: no limit


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
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return {"year": year, "month": month, "first": date(year, month, 1).isoformat(), "last": last.isoformat(),
            "weeks": [m.strftime("%m-%d") for m in mondays], "counts": counts,
            # every vehicle and household with a standing violation, not a top 20 (no silent cap)
            "vehicles": diary.monthly_ranking(db, year, month, tz=ctx.tz, by="vehicle", limit=ALL),
            "households": diary.monthly_ranking(db, year, month, tz=ctx.tz, by="household", limit=ALL),
            "denials": [{"reason": r or "", "count": n} for r, n in denials],
            "charging": ctx.report_blocks["charging"](db, start, end) if "charging" in ctx.report_blocks else [],
            **{name: ctx.report_blocks[name](db, start, end) if name in ctx.report_blocks else []
               for name in ("tag_health", "tag_battery")}}


TREND_MONTHS = 12


def months_back(year: int, month: int, n: int = TREND_MONTHS) -> list[tuple[int, int]]:
    """The ``n`` months ending with (year, month), oldest first."""
    index = year * 12 + month - 1
    return [divmod(i, 12) for i in range(index - n + 1, index + 1)]


def trends(ctx: WebContext, year: int, month: int) -> dict:
    """Month to month over the last 12 months: violations by outcome, and the shed's kWh."""
    db = ctx.reader()
    months = [(y, m + 1) for y, m in months_back(year, month)]
    bounds = [diary.month_bounds(y, m, ctx.tz)[0] for y, m in months] + [diary.month_bounds(year, month, ctx.tz)[1]]
    index = {ym: i for i, ym in enumerate(months)}
    counts = {k: [0] * len(months) for k in ("standing", "excused", "retracted")}
    for deadline, state in db.execute("SELECT deadline, state FROM violations WHERE deadline >= ? AND deadline < ?",
                                      [format_ts(bounds[0]), format_ts(bounds[-1])]):
        day = parse_ts(deadline).astimezone(ctx.tz).date()
        counts["standing" if state in STANDING else state][index[(day.year, day.month)]] += 1
    kwh_of = ctx.report_trends.get("charging_kwh")
    return {"months": [f"{y:04d}-{m:02d}" for y, m in months], "counts": counts,
            "kwh": kwh_of(db, bounds) if kwh_of is not None else None}


def trend_charts(trend: dict, lang: str) -> list[tuple[str, str]]:
    """(title, SVG): the violations per month (counts: whole-number ticks) and, with the charging
    area, the shed's kWh per month."""
    _ = i18n.translator(lang)
    labels = [_("rep.month_short", year=m[:4], month=int(m[5:])) for m in trend["months"]]
    span = {"first": trend["months"][0], "last": trend["months"][-1]}
    series = [(_("rep.standing"), trend["counts"]["standing"]), (_("state.excused"), trend["counts"]["excused"]),
              (_("state.retracted"), trend["counts"]["retracted"])]
    title = _("rep.per_month", **span)
    made = [(title, charts.stacked_bars(labels, series, title=title))]
    if trend["kwh"] is not None:
        title = _("rep.kwh_per_month", **span)
        made.append((title, charts.stacked_bars(labels, [(_("rep.kwh"), trend["kwh"])], title=title, integer=False)))
    return made


def chart(report: dict, lang: str) -> str:
    _ = i18n.translator(lang)
    series = [(_("rep.standing"), report["counts"]["standing"]), (_("state.excused"), report["counts"]["excused"]),
              (_("state.retracted"), report["counts"]["retracted"])]
    return charts.stacked_bars([_("rep.week_of", day=w) for w in report["weeks"]], series, title=_("rep.per_week"))


class _SafeWriter:
    """A csv writer whose cells are formula-safe (hub/core/csvsafe.py)."""

    def __init__(self, writer) -> None:
        self.writer = writer

    def writerow(self, row: list) -> None:
        self.writer.writerow(neutralise_row(row))


def to_csv(report: dict, lang: str = "zh", trend: dict | None = None) -> bytes:
    """The month as a spreadsheet the committee opens in Excel/WPS: headings and section names in
    ``lang`` from the catalogue (rep.csv.*), one row per number."""
    def _(key: str, **values) -> str:
        return catalogue.t(key, lang, **values)

    out = io.StringIO()
    w = _SafeWriter(csv.writer(out))
    w.writerow([_("rep.csv.section"), _("rep.csv.item"), _("rep.csv.count")])
    for i, week in enumerate(report["weeks"]):
        for kind, word in (("standing", "rep.standing"), ("excused", "state.excused"), ("retracted", "state.retracted")):
            w.writerow([_("rep.csv.per_week", state=_(word)), _("rep.week_of", day=week),
                        report["counts"][kind][i]])
    for row in report["vehicles"]:
        w.writerow([_("rep.vehicles"), row["vehicle"], row["count"]])
    for row in report["households"]:
        w.writerow([_("rep.households"), row["household"], row["count"]])
    for row in report["denials"]:
        w.writerow([_("rep.denials"), _(f"reason.{row['reason']}"), row["count"]])
    for row in report["charging"]:
        w.writerow([_("rep.charging"), _(f"chg.rule.{row['rule']}"), row["count"]])
    for row in report.get("tag_health", []):
        w.writerow([_("rep.tag_health"), f'{row["plate"]} {row["household"]} {row["tag"]}', row["days"]])
    for row in report.get("tag_battery", []):
        w.writerow([_("rep.tag_battery"), f'{row["plate"]} {row["household"]} {row["tag"]}', row["mv"]])
    for i, month in enumerate(trend["months"] if trend else []):
        for kind, word in (("standing", "rep.standing"), ("excused", "state.excused"), ("retracted", "state.retracted")):
            w.writerow([_("rep.csv.per_month", state=_(word)), month, trend["counts"][kind][i]])
        if trend["kwh"] is not None:
            w.writerow([_("rep.csv.kwh_per_month"), month, trend["kwh"][i]])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def register(ctx: WebContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    ctx.nav.append(NavItem("/report", "nav.report", "committee"))
    committee = need(ctx, "committee")

    def month_of(request: Request) -> tuple[int, int]:
        try:
            return parse_month(request.query_params.get("month"), ctx.now().astimezone(ctx.tz).date())
        except FilterError as exc:
            raise BadRequest(exc) from None

    @router.get("/report")
    def report_page(request: Request, who: Principal = Depends(committee)) -> Response:
        year, month = month_of(request)
        report, lang = build(ctx, year, month), ctx.lang(request)
        return ctx.render(request, "report.html", who, title_key="nav.report", r=report,
                          chart=chart(report, lang), trends=trend_charts(trends(ctx, year, month), lang),
                          month=f"{year:04d}-{month:02d}")

    @router.get("/report.csv")
    def report_csv(request: Request, who: Principal = Depends(committee)) -> Response:
        year, month = month_of(request)
        return csv_download(to_csv(build(ctx, year, month), ctx.lang(request), trends(ctx, year, month)),
                            f"report-{year:04d}-{month:02d}.csv")
    return router

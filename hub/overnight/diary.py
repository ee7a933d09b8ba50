"""The patrol diary (巡查日记): the log.

One chronological log (table ``diary``) of violations and their changes, wardens' registrations
and clearances of cars parked off-space, notes, resolutions and excuses, reminders and calendar
maintenance.  The committee reads it at the monthly meeting (社情自理会), with the monthly ranking
of repeat offenders (红黑榜) from :func:`monthly_ranking`.

What the wardens do that goes into it is in :mod:`hub.overnight.warden_actions`; the rule's
notices to the alerts area in :mod:`hub.overnight.notices`.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from gwcommon import catalogue
from gwcommon.timefmt import stored_ts
from hub.core import glossary

KINDS = ("violation_open", "violation_resolved", "violation_retracted", "violation_excused", "registration",
         "clearance", "note", "reminder", "identified", "calendar", "occupancy", "contacted", "charging")
_COLS = ("id", "ts", "kind", "plate", "household", "zone", "slot", "violation_id", "by", "text", "detail")

# The hub's own diary sentences, part of the one catalogue (gwcommon.catalogue, keys diarytext.*).
# A line is stored with its Chinese text (the record) and the facts it was made from (its kind,
# columns and detail); :func:`line_text` words it again in the reader's language.
WORDS: dict[str, tuple[str, str]] = {
    "violation": ("{rule}：{who} {state}{flag}", "{rule}: {who} {state}{flag}"),
    "with_reason": ("{line}；{reason}", "{line}; {reason}"),
    "unplated_slot": ("无牌车（{zone} {slot}号位）", "car without a plate ({zone}, space {slot})"),
    "untagged": ("未登记标签车辆", "vehicle without a registered tag"),
    "provisional": ("（暂定）", " (provisional)"),
    "reminder": ("截止前提醒：{count} 辆车仍在临时停放区", "Before the deadline: {count} car(s) still parked off-space"),
    "occupancy": ("清点在场车辆：{inside} 辆", "Counted the cars inside: {inside}"),
    "registration": ("登记夜间临时停放：{who}{place}", "Registered off-space for the night: {who}{place}"),
    "clearance": ("确认已驶离/已移入车位：{who}{place}", "Confirmed gone or moved into a space: {who}{place}"),
    "place": ("（{place}）", " ({place})"),
    "slot": ("{slot}号位", "space {slot}"),
    "unplated": ("无牌车", "car without a plate"),
    "contacted": ("已联系车主：{plate}", "Owner contacted: {plate}"),
    "contacted_note": ("{line}（{note}）", "{line} ({note})"),
    "identified": ("认定车牌 {plate}", "plate identified: {plate}"),
    "calendar_ahead": ("节假日日历缺少 {year} 年数据", "The holiday calendar has no data for {year}"),
    "calendar_now": ("{year} 年节假日未知，按周末规则判定截止时间",
                     "Holidays of {year} unknown: deadlines follow the weekday rules"),
}
catalogue.contribute("diary", WORDS, prefix="diarytext.")


def _t(key: str, lang: str, **values: Any) -> str:
    return catalogue.t("diarytext." + key, lang, **values)


def violation_text(*, rule: str, state: str, plate: str | None, zone: str | None, slot: str | None,
                   provisional: bool, reason: str, lang: str = "zh") -> str:
    """``夜间临停超时：浙A12345 已豁免（暂定）；送急诊`` — a violation's diary sentence in ``lang``."""
    who = plate or (_t("unplated_slot", lang, zone=zone, slot=slot) if slot else _t("untagged", lang))
    line = _t("violation", lang, rule=glossary.rule(rule, lang), who=who,
              state=glossary.state(state, lang), flag=_t("provisional", lang) if provisional else "")
    return _t("with_reason", lang, line=line, reason=reason) if reason else line


def stay_text(kind: str, *, plate: str | None, zone: str | None, slot: str | None, note: str,
              lang: str = "zh") -> str:
    """A warden's registration or clearance of a car parked off-space, in ``lang``."""
    place = " ".join(p for p in (zone or "", _t("slot", lang, slot=slot) if slot else "") if p)
    line = _t(kind, lang, who=plate or _t("unplated", lang), place=_t("place", lang, place=place) if place else "")
    return _t("with_reason", lang, line=line, reason=note) if note else line


def line_text(entry: dict[str, Any], lang: str, zones: Mapping[str, str] | None = None) -> str:
    """A diary line's words in ``lang``: the hub's own sentences worded again from their facts,
    a person's note (and any line the hub cannot re-word) as it was written.  ``zones``: the
    names people read for zone ids (``[[zones]] label``); an id without one stands as it is."""
    kind, detail = entry.get("kind", ""), entry.get("detail") or {}
    zone = entry.get("zone")
    zone = (zones or {}).get(zone, zone) if zone else zone
    if detail.get("words"):  # a sentence kept as facts (gwcommon.catalogue.words): charging lines
        return catalogue.say(detail["words"], lang, fallback=str(entry.get("text", "")))
    state = kind.removeprefix("violation_") if kind.startswith("violation_") else detail.get("state", "")
    if kind.startswith(("violation_", "identified")) and state in glossary.STATES and detail.get("rule") in glossary.RULES:
        reason = str(detail.get("reason") or "")
        if kind == "identified" and reason == _t("identified", "zh", plate=entry.get("plate")):
            reason = _t("identified", lang, plate=entry.get("plate"))  # the hub's own reason, worded again
        return violation_text(rule=detail["rule"], state=state, plate=entry.get("plate"), zone=zone,
                              slot=entry.get("slot"), provisional=bool(detail.get("provisional")),
                              reason=reason, lang=lang)
    if kind in ("registration", "clearance") and "note" in detail:
        return stay_text(kind, plate=entry.get("plate"), zone=zone, slot=entry.get("slot"),
                         note=detail["note"], lang=lang)
    if kind == "contacted" and "note" in detail and entry.get("plate"):
        line = _t("contacted", lang, plate=entry["plate"])
        return _t("contacted_note", lang, line=line, note=detail["note"]) if detail["note"] else line
    if kind == "calendar" and "year" in detail:
        ahead = detail.get("ahead", str(entry.get("text", "")).startswith("节假日日历缺少"))
        return _t("calendar_ahead" if ahead else "calendar_now", lang, year=detail["year"])
    if kind == "reminder" and "count" in detail:
        return _t("reminder", lang, count=detail["count"])
    if kind == "occupancy" and "inside" in detail and "note" in detail:
        line = _t("occupancy", lang, inside=detail["inside"])
        return _t("with_reason", lang, line=line, reason=detail["note"]) if detail["note"] else line
    return str(entry.get("text", ""))


def add(db: Any, *, ts: datetime, kind: str, text: str, plate: str | None = None, household: str | None = None,
        zone: str | None = None, slot: str | None = None, violation_id: str | None = None, by: str = "hub",
        detail: dict[str, Any] | None = None) -> int:
    """Write one line of the diary; returns its id."""
    cur = db.execute("INSERT INTO diary(ts, kind, plate, household, zone, slot, violation_id, by, text, detail) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     [stored_ts(ts), kind, plate, household, zone, slot, violation_id, by, text,
                      json.dumps(detail or {}, ensure_ascii=False)])
    return int(cur.lastrowid)


def add_many(db: Any, lines: list[dict[str, Any]]) -> None:
    """Write many diary lines at once (each a dict of :func:`add`'s keyword arguments)."""
    db.conn.executemany(
        "INSERT INTO diary(ts, kind, plate, household, zone, slot, violation_id, by, text, detail) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [[x["ts"] if isinstance(x["ts"], str) else stored_ts(x["ts"]), x["kind"], x.get("plate"), x.get("household"), x.get("zone"), x.get("slot"),
          x.get("violation_id"), x.get("by", "hub"), x["text"], json.dumps(x.get("detail") or {}, ensure_ascii=False)]
         for x in lines])


def entries(db: Any, *, start: datetime | None = None, end: datetime | None = None, kind: str | None = None,
            plate: str | None = None, limit: int = 200, after: tuple[str, int] | None = None) -> list[dict[str, Any]]:
    """Diary lines in time order (oldest first) within [start, end); ``after`` (a line's ``ts`` and
    ``id``) pages on: the lines after that one."""
    where, args = ["1 = 1"], []
    for clause, value in (("ts >= ?", start and stored_ts(start)), ("ts < ?", end and stored_ts(end)),
                          ("kind = ?", kind), ("plate = ?", plate)):
        if value:
            where.append(clause)
            args.append(value)
    if after is not None:
        where.append("(ts > ? OR (ts = ? AND id > ?))")
        args += [after[0], after[0], after[1]]
    rows = db.execute(f"SELECT {', '.join(_COLS)} FROM diary WHERE {' AND '.join(where)} ORDER BY ts, id LIMIT ?",
                      args + [limit])
    return [{**dict(zip(_COLS, r)), "detail": json.loads(r[-1])} for r in rows]


def month_bounds(year: int, month: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1, tzinfo=tz)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def monthly_ranking(db: Any, year: int, month: int, *, tz: ZoneInfo, by: str = "vehicle",
                    limit: int = 20) -> list[dict[str, Any]]:
    """Repeat offenders of a month (红黑榜): violations that stand (open or resolved), most first.

    ``by`` is ``vehicle`` (per plate) or ``household`` (per 房号).  Retracted and excused
    violations do not count; untagged cars nobody identified are left out.
    """
    column = {"vehicle": "plate", "household": "household"}.get(by)
    if column is None:
        raise ValueError("by must be 'vehicle' or 'household'")
    start, end = month_bounds(year, month, tz)
    rows = db.execute(
        f"SELECT {column}, count(*), sum(rule = 'fire_lane'), max(deadline) FROM violations "
        f"WHERE deadline >= ? AND deadline < ? AND state IN ('open', 'resolved') AND {column} IS NOT NULL "
        f"GROUP BY {column} ORDER BY count(*) DESC, max(deadline) DESC, {column} LIMIT ?",
        [stored_ts(start), stored_ts(end), limit])
    return [{by: name, "count": n, "fire_lane": int(f or 0), "last": last} for name, n, f, last in rows]

"""The patrol diary (巡查日记) and what the wardens do that goes into it.

One chronological log (table ``diary``) of violations and their changes, wardens' registrations
and clearances of cars parked off-space, notes, resolutions and excuses, reminders and calendar
maintenance.  The committee reads it at the monthly meeting (社情自理会), with the monthly ranking
of repeat offenders (红黑榜) from :func:`monthly_ranking`.

The warden's actions (:func:`register_offspace`, :func:`clear_offspace`, :func:`resolve`,
:func:`excuse`, :func:`identify`, :func:`add_note`) take an open database (run them on the hub's
writer: ``hub.writer.call(lambda db: diary.resolve(db, ctx, ...))`` — or use the wrappers on
:class:`hub.overnight_area.OvernightArea`) and change nothing when the input is bad.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from gwcommon.exc import GatewardenError
from gwcommon.timefmt import format_ts, utc
from hub.overnight import problems as warden_problems

KINDS = ("violation_open", "violation_resolved", "violation_retracted", "violation_excused", "registration",
         "clearance", "note", "reminder", "identified", "calendar", "occupancy")
_COLS = ("id", "ts", "kind", "plate", "household", "zone", "slot", "violation_id", "by", "text", "detail")


class WardenActionError(GatewardenError, ValueError):
    """A warden's action that cannot be carried out (unknown violation, wrong state, bad plate...):
    a ``code`` of :mod:`hub.warden_problems` and its ``params``; the message (logs) is in English,
    :meth:`text` words it in Chinese or English for people."""

    def __init__(self, code: str, **params: Any):
        self.code = code
        self.params = params
        super().__init__(self.text("en"))

    def text(self, lang: str = "zh") -> str:
        return warden_problems.text(lang, self.code, self.params)


def _ts(moment: datetime) -> str:
    return format_ts(utc(moment))


def add(db: Any, *, ts: datetime, kind: str, text: str, plate: str | None = None, household: str | None = None,
        zone: str | None = None, slot: str | None = None, violation_id: str | None = None, by: str = "hub",
        detail: dict[str, Any] | None = None) -> int:
    """Write one line of the diary; returns its id."""
    cur = db.execute("INSERT INTO diary(ts, kind, plate, household, zone, slot, violation_id, by, text, detail) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     [_ts(ts), kind, plate, household, zone, slot, violation_id, by, text,
                      json.dumps(detail or {}, ensure_ascii=False)])
    return int(cur.lastrowid)


def add_many(db: Any, lines: list[dict[str, Any]]) -> None:
    """Write many diary lines at once (each a dict of :func:`add`'s keyword arguments)."""
    db.conn.executemany(
        "INSERT INTO diary(ts, kind, plate, household, zone, slot, violation_id, by, text, detail) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [[x["ts"] if isinstance(x["ts"], str) else _ts(x["ts"]), x["kind"], x.get("plate"), x.get("household"), x.get("zone"), x.get("slot"),
          x.get("violation_id"), x.get("by", "hub"), x["text"], json.dumps(x.get("detail") or {}, ensure_ascii=False)]
         for x in lines])


def notice_many(db: Any, kind: str, payloads: list[dict[str, Any]], *, at: datetime) -> None:
    """Queue many notices of one kind (no dedup keys)."""
    created = _ts(at)
    db.conn.executemany("INSERT INTO rule_notices(kind, dedup, payload, created_at) VALUES (?, NULL, ?, ?)",
                        [[kind, json.dumps(p, ensure_ascii=False), created] for p in payloads])


def notice(db: Any, kind: str, payload: dict[str, Any], *, at: datetime, dedup: str | None = None) -> int | None:
    """Queue something for the alerting engine (table ``rule_notices``); a repeated ``dedup`` is ignored."""
    cur = db.execute("INSERT OR IGNORE INTO rule_notices(kind, dedup, payload, created_at) VALUES (?, ?, ?, ?)",
                     [kind, dedup, json.dumps(payload, ensure_ascii=False), _ts(at)])
    return int(cur.lastrowid) if cur.rowcount else None


def notices_after(db: Any, after_id: int = 0, limit: int = 100) -> list[dict[str, Any]]:
    """Notices with id > ``after_id``, oldest first (the alerting engine keeps its own cursor)."""
    return [{"id": i, "kind": k, "dedup": d, "payload": json.loads(p), "created_at": c}
            for i, k, d, p, c in db.execute("SELECT id, kind, dedup, payload, created_at FROM rule_notices "
                                            "WHERE id > ? ORDER BY id LIMIT ?", [after_id, limit])]


def entries(db: Any, *, start: datetime | None = None, end: datetime | None = None, kind: str | None = None,
            plate: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Diary lines in time order (oldest first) within [start, end)."""
    where, args = ["1 = 1"], []
    for clause, value in (("ts >= ?", start and _ts(start)), ("ts < ?", end and _ts(end)),
                          ("kind = ?", kind), ("plate = ?", plate)):
        if value:
            where.append(clause)
            args.append(value)
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
        [_ts(start), _ts(end), limit])
    return [{by: name, "count": n, "fire_lane": int(f or 0), "last": last} for name, n, f, last in rows]


# The warden's actions -------------------------------------------------------------------------

def _who(db: Any, plate: str | None, zone: str | None, slot: str | None):
    from hub.overnight import stays
    from hub.core.plates import BadPlate, parse_plate

    if plate:
        try:
            return stays.for_plate(db, parse_plate(plate))
        except BadPlate as exc:
            raise WardenActionError(exc.code, **exc.params) from None
    if zone and slot:
        return stays.for_slot(zone, slot)
    raise WardenActionError("car_unnamed")


def _warden_mark(db: Any, ctx: Any, op: str, *, plate: str | None, zone: str | None, slot: str | None,
                 by: str, at: datetime, note: str, mark_id: str | None) -> dict[str, Any]:
    from hub.overnight import stays
    from hub.overnight.rules import Mark

    if zone and zone not in ctx.zone_kinds:
        known = ", ".join(ctx.zone_kinds)
        raise WardenActionError("zone_unknown" if known else "zone_unknown_none", zone=zone, known=known)
    who = _who(db, plate, zone, slot)
    order = mark_id or f"warden:{uuid.uuid4().hex}"
    mark = Mark(utc(at), order, op, zone or "", "night" if zone else "", "warden")
    stays.record(db, who, mark, event_id=None, grace=ctx.grace, high_water=ctx.high_water())
    kind, verb = ("registration", "登记夜间临时停放") if op == "register" else ("clearance", "确认已驶离/已移入车位")
    place = f"{zone or ''}{f' {slot}号位' if slot else ''}".strip()
    text = f"{verb}：{who.plate or '无牌车'}{f'（{place}）' if place else ''}{f'；{note}' if note else ''}"
    add(db, ts=at, kind=kind, plate=who.plate, household=who.household, zone=zone, slot=slot, by=by, text=text,
        detail={"key": who.key, "mark": order})
    return {"key": who.key, "plate": who.plate, "mark": order}


def register_offspace(db: Any, ctx: Any, *, plate: str | None = None, zone: str | None = None,
                      slot: str | None = None, by: str, at: datetime, note: str = "",
                      mark_id: str | None = None) -> dict[str, Any]:
    """A warden registers a car parked off-space (by plate, or an untagged car by zone and spot)."""
    return _warden_mark(db, ctx, "register", plate=plate, zone=zone, slot=slot, by=by, at=at, note=note,
                        mark_id=mark_id)


def clear_offspace(db: Any, ctx: Any, *, plate: str | None = None, zone: str | None = None,
                   slot: str | None = None, by: str, at: datetime, note: str = "",
                   mark_id: str | None = None) -> dict[str, Any]:
    """A warden confirms the car has gone or moved into a painted space."""
    return _warden_mark(db, ctx, "clear", plate=plate, zone=zone, slot=slot, by=by, at=at, note=note,
                        mark_id=mark_id)


def _settle(db: Any, ctx: Any, vid: str, state: str, reason: str, by: str, at: datetime) -> dict[str, Any]:
    from hub.overnight import violations
    from hub.overnight.rules import Transition

    if not reason.strip():
        raise WardenActionError("reason_missing")
    current = violations.get(db, vid)
    if current is None:
        raise WardenActionError("violation_unknown", id=vid)
    if current["state"] != "open":
        raise WardenActionError("violation_not_open", id=vid, state=current["state"])
    violations.transition(db, Transition(vid, state, current["provisional"], reason.strip()), at=at,
                          site=ctx.site, by=by)
    return violations.get(db, vid)


def resolve(db: Any, ctx: Any, violation_id: str, *, reason: str, by: str, at: datetime) -> dict[str, Any]:
    """The car was dealt with (moved, owner spoken to): the violation stands but is closed."""
    return _settle(db, ctx, violation_id, "resolved", reason, by, at)


def excuse(db: Any, ctx: Any, violation_id: str, *, reason: str, by: str, at: datetime) -> dict[str, Any]:
    """The committee accepts an excuse (hospital night, snow...): the violation no longer counts."""
    return _settle(db, ctx, violation_id, "excused", reason, by, at)


def identify(db: Any, ctx: Any, violation_id: str, *, plate: str, by: str, at: datetime) -> dict[str, Any]:
    """Name the plate of an untagged car's violation (the photo shows it); published again."""
    from hub.overnight import stays
    from hub.overnight import violations
    from hub.core.plates import BadPlate, parse_plate

    current = violations.get(db, violation_id)
    if current is None:
        raise WardenActionError("violation_unknown", id=violation_id)
    try:
        plate = parse_plate(plate)
    except BadPlate as exc:
        raise WardenActionError(exc.code, **exc.params) from None
    who = stays.for_plate(db, plate)
    db.execute("UPDATE violations SET plate = ?, household = ?, updated_at = ? WHERE id = ?",
               [plate, who.household, _ts(at), violation_id])
    violations.republish(db, violation_id, at=at, site=ctx.site, by=by, reason=f"认定车牌 {plate}")
    return violations.get(db, violation_id)


def add_note(db: Any, text: str, *, by: str, at: datetime, plate: str | None = None,
             violation_id: str | None = None) -> int:
    """A warden's free note (楼道堆物, 化粪池满溢, 无法处理的事情...)."""
    if not text.strip():
        raise WardenActionError("note_empty")
    if len(text) > 2000:
        raise WardenActionError("note_too_long", limit=2000)
    return add(db, ts=at, kind="note", text=text.strip(), plate=plate, violation_id=violation_id, by=by)

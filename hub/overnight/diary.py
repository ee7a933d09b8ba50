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
from typing import Any
from zoneinfo import ZoneInfo

from gwcommon.timefmt import stored_ts

KINDS = ("violation_open", "violation_resolved", "violation_retracted", "violation_excused", "registration",
         "clearance", "note", "reminder", "identified", "calendar", "occupancy", "contacted", "charging")
_COLS = ("id", "ts", "kind", "plate", "household", "zone", "slot", "violation_id", "by", "text", "detail")


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

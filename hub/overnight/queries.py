"""Reading violations (违规记录) for the Violations page and ``GET /api/violations``.

Newest deadline first, keyset-paged on (deadline, id); filters by deadline window, state,
rule, plate (a whole plate matches exactly, a part of one matches anywhere in it) and household.
"""

from __future__ import annotations

import json

from sqlite_utils import Database

from gwcommon.timefmt import stored_ts
from hub.core.plates import is_plate

from hub.web.filters import Window

COLUMNS = ("id", "rule", "deadline", "plate", "household", "zone", "slot", "state", "provisional",
           "evidence", "ts", "reason", "by")


def page(db: Database, *, window: Window, state: str = "", rule: str = "", plate: str = "",
         household: str = "", after: tuple[str, str] | None = None, limit: int = 50) -> list[dict]:
    where, args = ["1 = 1"], []
    for clause, value in (("deadline >= ?", window.start and _bound(window.start)),
                          ("deadline < ?", window.end and _bound(window.end)),
                          ("state = ?", state), ("rule = ?", rule), ("household = ?", household)):
        if value:
            where.append(clause)
            args.append(value)
    if plate:
        where.append("plate = ?" if is_plate(plate) else "instr(plate, ?) > 0")
        args.append(plate)
    if after:
        where.append("(deadline < ? OR (deadline = ? AND id < ?))")
        args.extend([after[0], after[0], str(after[1])])
    sql = (f"SELECT {', '.join(COLUMNS)} FROM violations WHERE {' AND '.join(where)} "
           f"ORDER BY deadline DESC, id DESC LIMIT ?")
    return [item(row) for row in db.execute(sql, [*args, limit])]


def get(db: Database, violation_id: str) -> dict | None:
    row = db.execute(f"SELECT {', '.join(COLUMNS)} FROM violations WHERE id = ?", [violation_id]).fetchone()
    return item(row) if row else None


def item(row) -> dict:
    """A violation as the API gives it: the wire payload's fields, evidence as snapshot URLs."""
    data = dict(zip(COLUMNS, row))
    data["provisional"] = bool(data["provisional"])
    data["evidence"] = [f"/snapshots/{e}" for e in json.loads(data["evidence"] or "[]")]
    return data


def history(db: Database, violation_id: str) -> list[dict]:
    """The diary lines about this violation, oldest first."""
    cols = ("ts", "kind", "by", "text", "plate", "zone", "slot", "detail")
    rows = db.execute(f"SELECT {', '.join(cols)} FROM diary WHERE violation_id = ? ORDER BY ts, id", [violation_id])
    return [{**dict(zip(cols, r)), "detail": json.loads(r[-1] or "{}")} for r in rows]


def _bound(moment) -> str:
    return stored_ts(moment)

"""Reading the gate log (通行记录): passages from the stored events, newest first, keyset-paged.

Used by the Passages page and ``GET /api/passages``.  A plate filter becomes the plate's tags
(from the registry), answered by the partial index on the passage tag (schema m003).
"""

from __future__ import annotations

import json

from sqlite_utils import Database

from gwcommon.timefmt import stored_ts
from hub.web.filters import Window

COLUMNS = "e.id, e.device, e.ts, e.body, s.event_id IS NOT NULL"


def _bound(moment) -> str:
    return stored_ts(moment)


def page(db: Database, *, window: Window, tags: list[str] | None = None, lane: str = "",
         after: tuple[str, str] | None = None, limit: int = 50,
         held: list[tuple[str, str, str]] = ()) -> list[dict]:
    """Up to ``limit`` passages in ``window``, optionally only these tags / this lane.  With
    ``tags``, ``held`` adds (tag, from, until): a loaner tag only while the car held it."""
    where, args = ["e.kind = 'passage'"], []
    if window.start:
        where.append("e.ts >= ?")
        args.append(_bound(window.start))
    if window.end:
        where.append("e.ts < ?")
        args.append(_bound(window.end))
    if tags is not None:
        spans = "".join(" OR (json_extract(e.body, '$.tag') = ? AND e.ts >= ? AND e.ts <= ?)" for _ in held)
        where.append(f"(json_extract(e.body, '$.tag') IN ({', '.join('?' * len(tags)) or 'NULL'}){spans})")
        args.extend([*tags, *(value for span in held for value in span)])
    if lane:
        where.append("json_extract(e.body, '$.lane') = ?")
        args.append(lane)
    if after:
        where.append("(e.ts < ? OR (e.ts = ? AND e.id < ?))")
        args.extend([after[0], after[0], str(after[1])])
    sql = (f"SELECT {COLUMNS} FROM events e LEFT JOIN snapshots s ON s.event_id = e.id "
           f"WHERE {' AND '.join(where)} ORDER BY e.ts DESC, e.id DESC LIMIT ?")
    return [_row(*r) for r in db.execute(sql, [*args, limit])]


def _row(event_id: str, device: str, ts: str, body: str, has_snapshot: int) -> dict:
    data = json.loads(body)
    return {"id": event_id, "device": device, "ts": ts, "lane": data.get("lane"),
            "direction": data.get("direction"), "tag": data.get("tag"), "rssi": data.get("rssi"),
            "decision": data.get("decision"), "reason": data.get("reason"), "passed": data.get("passed"),
            "by": data.get("by"), "note": data.get("note"), "evidence": data.get("evidence"),
            "snapshot": f"/snapshots/{event_id}" if has_snapshot else None}


def lanes(db: Database) -> list[str]:
    """Lane names seen in the last passages (for the filter's list)."""
    rows = db.execute("SELECT DISTINCT json_extract(body, '$.lane') FROM "
                      "(SELECT body FROM events WHERE kind = 'passage' ORDER BY ts DESC LIMIT 2000)")
    return sorted(r[0] for r in rows if r[0])

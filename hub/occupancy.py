"""Cars inside the compound and free painted spaces (余位).

Counted from the gates' passages (``passed`` true: ``in`` +1, ``out`` −1) since the last count a
warden made by walking round (``occupancy_counts``), which resets the base; passages are taken by
event time, so a gate's late outbox corrects the figure instead of doubling it.

Free spaces are the painted spaces (``site.spaces``) not taken by a car inside that is parked on
a space: ``spaces − (inside − off-space)``, where off-space are the cars the overnight rule knows
to be parked off the painted spaces right now; never below 0 nor above ``spaces``.  Until a warden
has counted once, the figure starts from an empty compound and says so (``counted_at`` None).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hub import diary
from hub.stays import ts_text


def snapshot(db: Any, *, spaces: int, at: datetime) -> dict[str, Any]:
    """Cars inside, off-space and free spaces at ``at`` (event time)."""
    base = db.execute("SELECT ts, inside, by FROM occupancy_counts WHERE ts <= ? ORDER BY ts DESC, id DESC LIMIT 1",
                      [ts_text(at)]).fetchone()
    since, counted, by = (base[0], base[1], base[2]) if base else ("", 0, None)
    moves = dict(db.execute(
        "SELECT json_extract(body, '$.direction'), count(*) FROM events WHERE kind = 'passage' AND ts > ? "
        "AND ts <= ? AND json_extract(body, '$.passed') = 1 GROUP BY 1", [since, ts_text(at)]).fetchall())
    raw = counted + moves.get("in", 0) - moves.get("out", 0)
    inside = max(0, raw)
    offspace = db.execute("SELECT count(*) FROM ovn_keys WHERE parked = 1").fetchone()[0]
    free = min(spaces, max(0, spaces - (inside - offspace)))
    return {"inside": inside, "offspace": offspace, "free": free, "spaces": spaces,
            "counted_at": since or None, "counted_by": by, "entered": moves.get("in", 0),
            "left": moves.get("out", 0), "drift": raw < 0}


def correct(db: Any, inside: int, *, by: str, at: datetime, note: str = "") -> int:
    """A warden counted ``inside`` cars at ``at``: the new base of the count."""
    if not isinstance(inside, int) or isinstance(inside, bool) or not 0 <= inside <= 100_000:
        raise diary.WardenActionError(f"the count must be a whole number from 0 to 100000, got {inside!r}")
    cur = db.execute("INSERT INTO occupancy_counts(ts, inside, by, note) VALUES (?, ?, ?, ?)",
                     [ts_text(at), inside, by, note])
    diary.add(db, ts=at, kind="occupancy", by=by, text=f"清点在场车辆：{inside} 辆{f'；{note}' if note else ''}",
              detail={"inside": inside})
    return int(cur.lastrowid)

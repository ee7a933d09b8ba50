"""Cars inside the compound and free painted spaces (余位).

Counted from the gates' passages (``passed`` true: ``in`` +1, ``out`` −1) since the last count a
warden made by walking round (``occupancy_counts``), which resets the base; passages are taken by
event time, so a gate's late outbox corrects the figure instead of doubling it.

Free spaces are the painted spaces (``site.spaces``) not taken by a car inside that is parked on
a space: ``spaces − (inside − off-space)``, where off-space are the cars the overnight rule knows
to be parked off the painted spaces right now; never below 0 nor above ``spaces``.  Until a warden
has counted once, the figure starts from an empty compound and says so (``counted_at`` None).

The figure is kept as a running count (table ``occupancy_running``, one row) instead of being
recounted from the events on every page: :func:`on_passage` (the passage handler, inside the
transaction that stores each *new* passage — duplicates never reach it) adds the passage when its
event time is after the latest warden count, so a late passage still counts exactly once and one
from before the count (already in the warden's figure) does not; :func:`correct` re-bases it.
:func:`snapshot` takes off the passages after the moment asked for (usually a handful: the site
clock trails the newest events by seconds), and gives exactly what :func:`recount`, the full
computation, gives.  Passages that retention deletes later stay counted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hub.overnight import diary
from hub.overnight import warden_actions
from hub.overnight.stays import ts_text

_RUNNING_SQL = """
    SELECT r.base_ts, r.base_inside, r.base_by, r.entered, r.exited, a.ins, a.outs,
           (SELECT count(*) FROM ovn_keys WHERE parked = 1)
    FROM occupancy_running r, (
        SELECT coalesce(sum(d = 'in'), 0) AS ins, coalesce(sum(d = 'out'), 0) AS outs
        FROM (SELECT json_extract(body, '$.direction') AS d FROM events
              WHERE kind = 'passage' AND ts > ? AND json_extract(body, '$.passed') = 1)) a
    WHERE r.id = 1"""
_MOVES_SQL = ("SELECT json_extract(body, '$.direction'), count(*) FROM events WHERE kind = 'passage' AND ts > ? "
              "AND ts <= ? AND json_extract(body, '$.passed') = 1 GROUP BY 1")
_LATEST = "9999"  # sorts after every RFC 3339 timestamp


def on_passage(db: Any, event: Any, ctx: Any = None) -> None:
    """Count a newly stored passage (``Hub.on_event("passage", ...)``: writer thread, same transaction)."""
    if not event.passed or event.direction not in ("in", "out"):
        return
    column = "entered" if event.direction == "in" else "exited"
    db.execute(f"UPDATE occupancy_running SET {column} = {column} + 1 WHERE id = 1 AND base_ts < ?",
               [ts_text(event.ts)])


def snapshot(db: Any, *, spaces: int, at: datetime) -> dict[str, Any]:
    """Cars inside, off-space and free spaces at ``at`` (event time), from the running count."""
    row = db.execute(_RUNNING_SQL, [ts_text(at)]).fetchone()
    if row is None or row[0] > ts_text(at):
        return recount(db, spaces=spaces, at=at)  # the latest count is after ``at``: count the old way
    since, counted, by, entered, exited, later_in, later_out, offspace = row
    return _figures(spaces, counted, since, by, entered - later_in, exited - later_out, offspace)


def recount(db: Any, *, spaces: int, at: datetime) -> dict[str, Any]:
    """The same figures computed from every passage since the warden count before ``at`` (slow)."""
    base = db.execute("SELECT ts, inside, by FROM occupancy_counts WHERE ts <= ? ORDER BY ts DESC, id DESC LIMIT 1",
                      [ts_text(at)]).fetchone()
    since, counted, by = (base[0], base[1], base[2]) if base else ("", 0, None)
    moves = dict(db.execute(_MOVES_SQL, [since, ts_text(at)]).fetchall())
    offspace = db.execute("SELECT count(*) FROM ovn_keys WHERE parked = 1").fetchone()[0]
    return _figures(spaces, counted, since, by, moves.get("in", 0), moves.get("out", 0), offspace)


def _figures(spaces: int, counted: int, since: str, by: str | None, entered: int, left: int,
             offspace: int) -> dict[str, Any]:
    raw = counted + entered - left
    inside = max(0, raw)
    free = min(spaces, max(0, spaces - (inside - offspace)))
    return {"inside": inside, "offspace": offspace, "free": free, "spaces": spaces,
            "counted_at": since or None, "counted_by": by, "entered": entered, "left": left, "drift": raw < 0}


def correct(db: Any, inside: int, *, by: str, at: datetime, note: str = "") -> int:
    """A warden counted ``inside`` cars at ``at``: the new base of the count."""
    if not isinstance(inside, int) or isinstance(inside, bool) or not 0 <= inside <= 100_000:
        raise warden_actions.WardenActionError("count_range", limit=100000, given=repr(inside))
    cur = db.execute("INSERT INTO occupancy_counts(ts, inside, by, note) VALUES (?, ?, ?, ?)",
                     [ts_text(at), inside, by, note])
    count_id = int(cur.lastrowid)
    current = db.execute("SELECT base_ts FROM occupancy_running WHERE id = 1").fetchone()
    if current is None or ts_text(at) >= current[0]:  # the newest count (by time, then id) is the base
        _rebase(db, count_id, ts_text(at), inside, by)
    detail = {"inside": inside, "note": note or ""}
    diary.add(db, ts=at, kind="occupancy", by=by, text=diary.line_text({"kind": "occupancy", "detail": detail}, "zh"),
              detail=detail)
    return count_id


def rebuild(db: Any) -> None:
    """Recompute the running count from the stored counts and passages (after a bulk load)."""
    base = db.execute("SELECT id, ts, inside, by FROM occupancy_counts ORDER BY ts DESC, id DESC LIMIT 1").fetchone()
    _rebase(db, *(base if base else (None, "", 0, None)))


def _rebase(db: Any, count_id: int | None, since: str, inside: int, by: str | None) -> None:
    moves = dict(db.execute(_MOVES_SQL, [since, _LATEST]).fetchall())
    db.execute("INSERT OR REPLACE INTO occupancy_running (id, base_id, base_ts, base_inside, base_by, entered, exited) "
               "VALUES (1, ?, ?, ?, ?, ?, ?)", [count_id, since, inside, by, moves.get("in", 0), moves.get("out", 0)])

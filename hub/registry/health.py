"""Tag health (标签健康): registered tags the gates and zones have not heard for a while — a flat
battery, or a tag that fell off the windscreen — from the passages and presence events the hub
already stores.

A decision module over the hub database: a tag counts from when it was heard last, or, if never,
from when it was registered; revoked tags, tags whose pass has expired and plate "tags" (a
camera reads the plate) are left out.

Battery voltage (电池电压): where a tag sends Eddystone-TLM and the edge could tie it to the tag by
its address (edge.ble.tlm; never EID tags), passages and presence events carry ``battery_mv``;
:func:`on_event` keeps each tag's newest reading (``tag_battery``) and :func:`batteries` lists
them, lowest first, flagging those below ``[registry] tag_low_battery_mv``.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from gwcommon.timefmt import parse_ts, stored_ts

LOOKBACK = 4  # passages and presence are searched this many times ``silent_after`` back


def silent_tags(db: Any, *, now: datetime, silent_after: timedelta) -> list[dict[str, Any]]:
    """Tags not heard for longer than ``silent_after`` by ``now``, the longest silent first: each
    with its plate, household, when it was last heard (None: not within the look-back) and for
    how many whole days it has been silent."""
    cutoff, since = stored_ts(now - silent_after), stored_ts(now - LOOKBACK * silent_after)
    tags = db.execute(
        "SELECT t.tag, t.plate, v.household, t.added_at FROM tags t JOIN vehicles v ON v.plate = t.plate "
        "WHERE t.kind != 'plate' AND t.revoked = 0 AND (t.expires IS NULL OR t.expires > ?) AND t.added_at <= ?",
        [stored_ts(now), cutoff]).fetchall()
    if not tags:
        return []
    heard = dict(db.execute(
        "SELECT json_extract(body, '$.tag'), max(ts) FROM events WHERE kind IN ('passage', 'presence') "
        "AND ts >= ? AND ts <= ? AND json_extract(body, '$.tag') IN (SELECT value FROM json_each(?)) GROUP BY 1",
        [since, stored_ts(now), json.dumps([t[0] for t in tags])]).fetchall())
    silent = []
    for tag, plate, household, added in tags:
        last = heard.get(tag)
        if last is not None and parse_ts(last) > now - silent_after:
            continue
        quiet_since = parse_ts(last) if last else max(parse_ts(added), now - LOOKBACK * silent_after)
        silent.append({"tag": tag, "plate": plate, "household": household, "last_heard": last,
                       "days": (now - quiet_since).days})
    return sorted(silent, key=lambda s: (-s["days"], s["household"], s["plate"]))


def on_event(db: Any, event: Any, ctx: Any) -> None:
    """An ingest handler for passages and presence events: keep the tag's newest ``battery_mv``."""
    mv = getattr(event, "battery_mv", None)
    if mv is None or not event.tag:
        return
    db.execute("INSERT INTO tag_battery (tag, mv, at, device) VALUES (?, ?, ?, ?) ON CONFLICT (tag) DO UPDATE "
               "SET mv = excluded.mv, at = excluded.at, device = excluded.device WHERE excluded.at >= tag_battery.at",
               [event.tag, mv, stored_ts(event.ts), ctx.device])


def batteries(db: Any, *, now: datetime, low_mv: int, only_low: bool = False) -> list[dict[str, Any]]:
    """The registered tags in use with a known battery voltage, lowest first: each with its plate,
    household, ``mv``, when it was measured (``at``, an event's time), and ``low`` (below ``low_mv``)."""
    rows = db.execute(
        "SELECT t.tag, t.plate, v.household, b.mv, b.at FROM tag_battery b JOIN tags t ON t.tag = b.tag "
        "JOIN vehicles v ON v.plate = t.plate WHERE t.revoked = 0 AND (t.expires IS NULL OR t.expires > ?) "
        "AND b.at <= ? AND (? = 0 OR b.mv < ?) ORDER BY b.mv, v.household, t.plate",
        [stored_ts(now), stored_ts(now), int(only_low), low_mv]).fetchall()
    return [{"tag": tag, "plate": plate, "household": household, "mv": mv, "at": at, "low": mv < low_mv}
            for tag, plate, household, mv, at in rows]


"""Stays (夜间临时停放) in the hub database: each vehicle's marks and its folded state.

A vehicle is identified by a *key*: ``plate:<plate>`` for a registered tag or a plate a warden
typed, ``tag:<tag id>`` for a tag the registry does not know, ``slot:<zone>:<slot>`` for an
untagged car a camera sees in one spot.  Marks are stored once (by key and event id), the state
is kept up to date incrementally when marks come in time order and refolded from all the key's
marks when one comes late (see :mod:`hub.overnight.rules`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Mapping

from gwcommon.timefmt import parse_ts, stored_ts
from hub import registry
from hub.core.plates import normalize_plate
from hub.overnight.rules import KeyState, Mark, apply, fire_stays, fold


@dataclass(frozen=True)
class Identity:
    """Who a key is, as far as the hub knows."""

    key: str
    plate: str | None = None
    household: str | None = None
    tag: str | None = None
    zone: str | None = None
    slot: str | None = None


def ts_text(moment: datetime) -> str:
    return stored_ts(moment)


def for_tag(db: Any, tag: str) -> Identity:
    if tag.startswith("plate:"):  # read by a plate camera (CONTRACT v1.1): the vehicle with that plate, registered or not
        return _plate_identity(db, normalize_plate(tag[len("plate:"):]), tag=tag)
    plate = registry.plate_for_tag(db, tag)
    if plate is None:
        return Identity(f"tag:{tag}", tag=tag)
    return _plate_identity(db, plate, tag=tag)


def for_plate(db: Any, plate: str) -> Identity:
    return _plate_identity(db, normalize_plate(plate))


def _plate_identity(db: Any, plate: str, tag: str | None = None) -> Identity:
    vehicle = registry.vehicle(db, plate)
    return Identity(f"plate:{plate}", plate=plate, household=vehicle["household"] if vehicle else None, tag=tag)


def for_slot(zone: str, slot: str) -> Identity:
    return Identity(f"slot:{zone}:{slot}", zone=zone, slot=slot)


def identity(db: Any, key: str) -> Identity:
    row = db.execute("SELECT plate, household, tag, zone, slot FROM ovn_keys WHERE key = ?", [key]).fetchone()
    return Identity(key, *row) if row else Identity(key)


def identities(db: Any, keys: list[str]) -> dict[str, Identity]:
    """Identities of many keys at once."""
    wanted = set(keys)
    found = {k: Identity(k, *rest) for k, *rest in db.execute(
        "SELECT key, plate, household, tag, zone, slot FROM ovn_keys WHERE parked = 1 OR key IN "
        "(SELECT key FROM ovn_recheck)") if k in wanted}
    for key in wanted - set(found):
        found[key] = identity(db, key)
    return found


def state_to_json(state: KeyState) -> str:
    return json.dumps({
        "night": sorted(state.night),
        "since": ts_text(state.night_since) if state.night_since else None,
        "never": [[z, ts_text(s), sorted(src)] for z, s, src in state.never],
        "last": [ts_text(state.last[0]), state.last[1]] if state.last else None,
    }, ensure_ascii=False)


def state_from_json(text: str) -> KeyState:
    data = json.loads(text or "{}")
    if not data:
        return KeyState()
    return KeyState(
        night=frozenset(data["night"]),
        night_since=parse_ts(data["since"]) if data["since"] else None,
        never=tuple((z, parse_ts(s), frozenset(src)) for z, s, src in data["never"]),
        last=(parse_ts(data["last"][0]), data["last"][1]) if data["last"] else None,
    )


def marks_of(db: Any, key: str, *, before: datetime | None = None) -> list[Mark]:
    sql = "SELECT ts, ord, op, zone, zone_kind, source FROM ovn_marks WHERE key = ?"
    args: list[Any] = [key]
    if before is not None:
        sql += " AND ts < ?"
        args.append(ts_text(before))
    return [Mark(parse_ts(t), o, op, z, zk, s) for t, o, op, z, zk, s in db.execute(sql + " ORDER BY ts, ord", args)]


def load_state(db: Any, key: str) -> KeyState | None:
    row = db.execute("SELECT state FROM ovn_keys WHERE key = ?", [key]).fetchone()
    return state_from_json(row[0]) if row else None


def record(db: Any, who: Identity, mark: Mark, *, event_id: str | None,
           grace: Mapping[str, timedelta], high_water: datetime | None) -> bool:
    """Store ``mark`` for ``who`` and update the state; False when it was already stored.

    A mark at or before ``high_water`` (the furthest the site clock has been) may change a
    decision already taken, so the key is queued for a recheck.
    """
    cur = db.execute("INSERT OR IGNORE INTO ovn_marks(key, ts, ord, op, zone, zone_kind, source, event_id) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     [who.key, ts_text(mark.ts), mark.order, mark.op, mark.zone, mark.zone_kind, mark.source, event_id])
    if cur.rowcount == 0:
        return False
    before = load_state(db, who.key)
    if before is not None and before.last is not None and (mark.ts, mark.order) > before.last:
        state = apply(before, mark)
    else:
        state = fold(marks_of(db, who.key))
    save_state(db, who, state, zone=mark.zone if mark.zone_kind == "night" or mark.op == "register" else None)
    if mark.zone_kind == "never" or (before is not None and before.never) or state.never:
        _touch_fire_due(db, who.key, grace)
    if high_water is not None and mark.ts <= high_water:
        db.execute("INSERT INTO ovn_recheck(key, since) VALUES (?, ?) ON CONFLICT(key) DO UPDATE "
                   "SET since = min(since, excluded.since)", [who.key, ts_text(mark.ts)])
    return True


def save_state(db: Any, who: Identity, state: KeyState, *, zone: str | None = None) -> None:
    db.execute(
        "INSERT INTO ovn_keys(key, plate, household, tag, zone, slot, parked, night_since, last_ts, state) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET "
        "plate = coalesce(excluded.plate, plate), household = coalesce(excluded.household, household), "
        "tag = coalesce(excluded.tag, tag), zone = coalesce(excluded.zone, zone), slot = coalesce(excluded.slot, slot), "
        "parked = excluded.parked, night_since = excluded.night_since, last_ts = excluded.last_ts, "
        "state = excluded.state",
        [who.key, who.plate, who.household, who.tag, zone or who.zone or None, who.slot, int(state.parked),
         ts_text(state.night_since) if state.night_since else None,
         ts_text(state.last[0]) if state.last else None, state_to_json(state)])


def _touch_fire_due(db: Any, key: str, grace: Mapping[str, timedelta]) -> None:
    """Make the tick look at the key's fire-lane stays when the earliest one runs out of grace."""
    limits = []
    for stay in fire_stays(marks_of(db, key)):
        limit = stay.start + grace.get(stay.zone, timedelta(0))
        if stay.end is None or stay.end >= limit:
            limits.append(limit)
    if limits:
        db.execute("UPDATE ovn_keys SET fire_due = min(coalesce(fire_due, ?), ?) WHERE key = ?",
                   [ts_text(min(limits)), ts_text(min(limits)), key])


def set_fire_due(db: Any, key: str, due: datetime | None) -> None:
    db.execute("UPDATE ovn_keys SET fire_due = ? WHERE key = ?", [ts_text(due) if due else None, key])


def parked_now(db: Any) -> list[dict[str, Any]]:
    """Vehicles parked off-space according to everything received so far (for reminders and 余位)."""
    cols = ("key", "plate", "household", "tag", "zone", "slot", "night_since")
    return [dict(zip(cols, row)) for row in db.execute(
        f"SELECT {', '.join(cols)} FROM ovn_keys WHERE parked = 1 ORDER BY zone, night_since, key")]


def parked_at_deadline(db: Any, deadline: datetime) -> list[str]:
    """Keys parked at ``deadline`` by their marks with ts < deadline."""
    text = ts_text(deadline)
    keys = [k for (k,) in db.execute("SELECT key FROM ovn_keys WHERE parked = 1 AND last_ts < ?", [text])]
    for (key,) in db.execute("SELECT key FROM ovn_keys WHERE last_ts >= ?", [text]).fetchall():
        if fold(marks_of(db, key, before=deadline)).parked:
            keys.append(key)
    return sorted(keys)


def zone_of(db: Any, key: str) -> str:
    row = db.execute("SELECT zone FROM ovn_keys WHERE key = ?", [key]).fetchone()
    return (row[0] or "") if row else ""

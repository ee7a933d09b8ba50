"""Visitor passes (访客通行证): a warden lets a visitor's car in for some hours, by a loaner tag or
by its plate (a plate-camera lane).

A visitor is a vehicle with ``visitor = 1``: never in the committee's file (export, import, diff),
gone from the registry and the allowlist once its pass has ended — by its expiry, by the hub's
clock, or early by a warden — and its loaner tag is free to be issued again.  Every pass stays in
``visitor_passes``, so the passages of an earlier holder of a loaner tag still name that car.
Every function runs inside the caller's transaction (the writer thread), like
:mod:`hub.registry.store`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Iterable

from gwcommon.timefmt import stored_ts
from hub.core.plates import parse_plate

from . import passes, store


def issue(db: Any, plate: str, *, household: str, tag: str = "", expires: datetime, at: datetime) -> str:
    """Issue a pass until ``expires``: by ``tag`` (a loaner tag), else by the plate.  A plate not in
    the registry becomes a visitor's vehicle; returns the tag bound.  A resident's own permanent
    tag (or plate entry) is refused (:class:`hub.registry.store.BadChange`): its pass would end it."""
    plate = parse_plate(plate)
    tag = store.free_tag(db, tag.strip() or f"plate:{plate}", plate, at=at)
    known = store.vehicle(db, plate)
    if known is None:
        plate = store.save_vehicle(db, plate, household=household, visitor=True, at=at)
    else:
        plate = known["plate"]
    bound = store.add_tag(db, plate, tag, expires=expires, at=at)
    db.execute("UPDATE visitor_passes SET ended_at = ?, ended_by = 'reissued' WHERE tag = ? AND ended_at IS NULL",
               [stored_ts(at), bound])
    db.execute("INSERT INTO visitor_passes(plate, household, tag, issued_at, expires) VALUES (?, ?, ?, ?, ?)",
               [plate, household.strip(), bound, stored_ts(at), stored_ts(expires)])
    return bound


def end(db: Any, plate: str, *, at: datetime, by: str) -> list[str]:
    """End every pass of ``plate`` now (a warden, from the phone); returns the tags freed."""
    plate = store.normalize_plate(plate)
    tags = passes.pass_tags(db, plate)
    if not tags:
        raise store.UnknownVehicle(f"{plate} has no visitor pass", code="pass_none", plate=plate)
    passes.end_tags(db, plate, tags, at=stored_ts(at), by=by)
    store.bump_version(db)
    return tags


def current(db: Any, *, at: datetime) -> list[dict[str, Any]]:
    """The passes running at ``at``, soonest to end first (the visitors' own export)."""
    rows = db.execute("SELECT plate, household, tag, issued_at, expires FROM visitor_passes "
                      "WHERE ended_at IS NULL AND expires > ? ORDER BY expires, plate", [stored_ts(at)])
    return [dict(zip(("plate", "household", "tag", "issued_at", "expires"), r)) for r in rows]


def passes_of(db: Any, plate: str) -> list[dict[str, Any]]:
    """Every pass ``plate`` was ever issued — which tag it held when (the passages of a plate)."""
    rows = db.execute("SELECT tag, plate, household, issued_at, coalesce(ended_at, expires) FROM visitor_passes "
                      "WHERE plate = ? ORDER BY issued_at", [store.normalize_plate(plate)])
    return [dict(zip(("tag", "plate", "household", "start", "end"), r)) for r in rows]


def holders(db: Any, tags: Iterable[str]) -> list[dict[str, Any]]:
    """Every pass ever issued on ``tags`` — who held a loaner tag when (for the passages)."""
    rows = db.execute("SELECT tag, plate, household, issued_at, coalesce(ended_at, expires) FROM visitor_passes "
                      "WHERE tag IN (SELECT value FROM json_each(?)) ORDER BY issued_at",
                      [json.dumps(sorted(set(tags)))])
    return [dict(zip(("tag", "plate", "household", "start", "end"), r)) for r in rows]

"""The allowlist's plates (车牌白名单): one entry per registered vehicle, for plate-camera lanes.

A vehicle's entry says what a plate camera's read of it may do at a gate (edge.gate.plates):

* a vehicle with a ``plate:<its plate>`` tag row (a warden's visitor pass by plate, or a plate-only
  entry) takes that row's revoked and expires: ``visitor`` when it expires, else ``plate_only``;
* a vehicle with no tag at all is ``plate_only`` (registered, never given a tag);
* a vehicle with tags is ``resident``; ``visitor`` when every tag expires (a loaner-tag pass),
  expiring with the last one; revoked when every tag is revoked.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError

from gwcommon import wire
from gwcommon.timefmt import parse_ts

logger = logging.getLogger(__name__)


def plate_entries(db: Any) -> list[wire.PlateEntry]:
    """Every registered vehicle's plate entry, ordered by plate."""
    tags: dict[str, list[tuple[str, int, str | None]]] = {}
    for plate, kind, revoked, expires in db.execute("SELECT plate, kind, revoked, expires FROM tags"):
        tags.setdefault(plate, []).append((kind, int(revoked), expires))
    entries = []
    for (plate,) in db.execute("SELECT plate FROM vehicles ORDER BY plate"):
        try:
            entries.append(_entry(plate, tags.get(plate, [])))
        except ValidationError:  # a plate stored before plates were checked: kept out, said once per publish
            logger.warning("vehicle %r is not a valid plate: left out of the allowlist's plates", plate)
    return entries


def _entry(plate: str, rows: list[tuple[str, int, str | None]]) -> wire.PlateEntry:
    own = [r for r in rows if r[0] == "plate"]
    if own:
        _, revoked, expires = own[0]
        return wire.PlateEntry(plate=plate, vehicle=plate, kind="visitor" if expires else "plate_only",
                               revoked=bool(revoked), expires=parse_ts(expires) if expires else None)
    if not rows:
        return wire.PlateEntry(plate=plate, vehicle=plate, kind="plate_only")
    expiring = all(r[2] for r in rows)
    return wire.PlateEntry(plate=plate, vehicle=plate, kind="visitor" if expiring else "resident",
                           revoked=all(r[1] for r in rows),
                           expires=max(parse_ts(r[2]) for r in rows) if expiring else None)

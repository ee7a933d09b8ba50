"""Reading and changing the resident registry in the hub database.

Every function takes an open sqlite-utils ``Database`` and runs inside the caller's transaction
(the hub's writer thread, or the CLI's own ``BEGIN IMMEDIATE``); every change bumps
``registry_meta.version``, which the hub turns into a new retained allowlist.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Iterable

from gwcommon import wire
from gwcommon.exc import BadTagId, GatewardenError
from gwcommon.tagid import parse_tag_id
from gwcommon.timefmt import parse_ts, stored_ts, utc

from hub.core import words as problems
from .csvfile import VehicleRow, tag_reason
from hub.core.plates import normalize_plate, parse_mobile, parse_plate

logger = logging.getLogger(__name__)


class RegistryError(GatewardenError):
    """Base for registry changes that cannot be made (subclasses mix in a builtin): an English
    message for logs, and a ``code`` and ``params`` of :mod:`hub.core.words` for people."""

    def __init__(self, message: str, *, code: str, **params: Any):
        super().__init__(message)
        self.code = code
        self.params = params

    def text(self, lang: str = "zh") -> str:
        """The refusal in ``lang`` (Chinese unless ``"en"``)."""
        return problems.text(lang, self.code, self.params)


class UnknownVehicle(RegistryError, LookupError):
    """No vehicle with that plate is registered."""


class UnknownTag(RegistryError, LookupError):
    """No registered vehicle has that tag."""


class TagTaken(RegistryError, ValueError):
    """The tag is already bound to another vehicle."""


class BadChange(RegistryError, ValueError):
    """A tag id that is not one, a vehicle without a household."""


def version(db: Any) -> int:
    row = db.execute("SELECT value FROM registry_meta WHERE name = 'version'").fetchone()
    return int(row[0]) if row else 0


def bump_version(db: Any) -> int:
    db.execute("UPDATE registry_meta SET value = value + 1 WHERE name = 'version'")
    return version(db)


def replace_all(db: Any, rows: Iterable[VehicleRow], *, at: datetime) -> dict[str, int]:
    """Make the registry exactly ``rows`` (an imported file); tags that stay keep revoked/expires.
    The callers show the change first and ask before removing vehicles (:mod:`hub.registry.diff`)."""
    rows = list(rows)
    now = stored_ts(at)
    kept = {r[0]: (r[1], r[2], r[3]) for r in db.execute("SELECT tag, plate, revoked, expires FROM tags")}
    db.execute("DELETE FROM tags")
    db.execute("DELETE FROM vehicles")
    for household in sorted({r.household for r in rows}):
        db.execute("INSERT OR IGNORE INTO households(name, created_at) VALUES (?, ?)", [household, now])
    for r in rows:
        db.execute("INSERT INTO vehicles(plate, household, owner, mobile, note, created_at, updated_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)", [r.plate, r.household, r.owner, r.mobile, r.note, now, now])
        for tag in r.tags:
            old = kept.get(tag)
            revoked, expires = (old[1], old[2]) if old and old[0] == r.plate else (0, None)
            _insert_tag(db, tag, r.plate, revoked=revoked, expires=expires, now=now)
    db.execute("DELETE FROM households WHERE name NOT IN (SELECT household FROM vehicles)")
    new_version = bump_version(db)
    tags = sum(len(r.tags) for r in rows)
    logger.info("registry replaced: %d vehicles, %d tags, version %d", len(rows), tags, new_version)
    return {"vehicles": len(rows), "tags": tags, "households": len({r.household for r in rows}),
            "version": new_version}


def _insert_tag(db: Any, tag: str, plate: str, *, revoked: int, expires: str | None, now: str) -> None:
    parsed = parse_tag_id(tag)
    db.execute("INSERT INTO tags(tag, plate, kind, strength, revoked, expires, added_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
               [parsed.text, plate, parsed.scheme, parsed.strength.value, int(revoked), expires, now])


def export_rows(db: Any) -> list[dict[str, Any]]:
    """Every vehicle with its tags, ordered by household and plate (the export file's rows)."""
    tags: dict[str, list[str]] = {}
    for tag, plate in db.execute("SELECT tag, plate FROM tags ORDER BY added_at, tag"):
        tags.setdefault(plate, []).append(tag)
    return [{"plate": p, "household": h, "owner": o, "mobile": m, "note": n, "tags": tags.get(p, [])}
            for p, h, o, m, n in db.execute(
                "SELECT plate, household, owner, mobile, note FROM vehicles ORDER BY household, plate")]


def vehicle(db: Any, plate: str) -> dict[str, Any] | None:
    row = db.execute("SELECT plate, household, owner, mobile, note FROM vehicles WHERE plate = ?",
                     [normalize_plate(plate)]).fetchone()
    return None if row is None else dict(zip(("plate", "household", "owner", "mobile", "note"), row))


def plate_for_tag(db: Any, tag: str) -> str | None:
    row = db.execute("SELECT plate FROM tags WHERE tag = ?", [tag]).fetchone()
    return row[0] if row else None


def tags_of(db: Any, plate: str) -> list[str]:
    return [r[0] for r in db.execute("SELECT tag FROM tags WHERE plate = ? ORDER BY tag", [plate])]


def save_vehicle(db: Any, plate: str, *, household: str, owner: str = "", mobile: str = "",
                 note: str = "", at: datetime) -> str:
    """Add or update one vehicle (web view); returns the normalised plate."""
    plate = parse_plate(plate)
    mobile = parse_mobile(mobile) if mobile else ""
    if not household.strip():
        raise BadChange("household (房号) is required", code="household_missing")
    now = stored_ts(at)
    db.execute("INSERT OR IGNORE INTO households(name, created_at) VALUES (?, ?)", [household.strip(), now])
    db.execute("INSERT INTO vehicles(plate, household, owner, mobile, note, created_at, updated_at) "
               "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(plate) DO UPDATE SET household=excluded.household, "
               "owner=excluded.owner, mobile=excluded.mobile, note=excluded.note, updated_at=excluded.updated_at",
               [plate, household.strip(), owner.strip(), mobile, note.strip(), now, now])
    bump_version(db)
    return plate


def remove_vehicle(db: Any, plate: str) -> None:
    plate = normalize_plate(plate)
    if vehicle(db, plate) is None:
        raise UnknownVehicle(f"no vehicle with plate {plate} is registered", code="vehicle_unknown", plate=plate)
    db.execute("DELETE FROM tags WHERE plate = ?", [plate])
    db.execute("DELETE FROM vehicles WHERE plate = ?", [plate])
    db.execute("DELETE FROM households WHERE name NOT IN (SELECT household FROM vehicles)")
    bump_version(db)


def add_tag(db: Any, plate: str, tag: str, *, expires: datetime | None = None, at: datetime) -> str:
    """Bind a tag to a registered vehicle (a visitor's tag with ``expires``)."""
    plate, tag = normalize_plate(plate), _tag_id(tag)
    if vehicle(db, plate) is None:
        raise UnknownVehicle(f"no vehicle with plate {plate} is registered", code="vehicle_unknown", plate=plate)
    owner = plate_for_tag(db, tag)
    if owner is not None and owner != plate:
        raise TagTaken(f"tag {tag} is already bound to vehicle {owner}", code="tag_bound", tag=tag, plate=owner)
    db.execute("DELETE FROM tags WHERE tag = ?", [tag])
    _insert_tag(db, tag, plate, revoked=0, expires=stored_ts(expires) if expires else None,
                now=stored_ts(at))
    bump_version(db)
    return tag


def set_revoked(db: Any, tag: str, revoked: bool = True) -> None:
    """Revoke (or reinstate) a tag; it stays on the allowlist so the gate can say why it refuses."""
    tag = _tag_id(tag)
    if db.execute("UPDATE tags SET revoked = ? WHERE tag = ?", [int(revoked), tag]).rowcount == 0:
        raise UnknownTag(f"tag {tag} is not registered", code="tag_unknown", tag=tag)
    bump_version(db)


def _tag_id(text: str) -> str:
    """The canonical tag id, or :class:`BadChange` saying what is wrong with it."""
    try:
        return parse_tag_id(text).text
    except BadTagId as exc:
        code, params = tag_reason(text)
        raise BadChange(str(exc), code=code, **params) from None


def allowlist(db: Any, *, at: datetime) -> wire.Allowlist:
    """The site's allowlist as gates receive it (docs/contract.md §1), at the current version; ``plates``
    lists every vehicle's plate for lanes with a plate camera (:mod:`hub.registry.plate_entries`)."""
    from .plate_entries import plate_entries

    entries = [wire.AllowEntry(tag=t, vehicle=p, revoked=bool(r), weak=(s != "secure"),
                               expires=parse_ts(e) if e else None)
               for t, p, r, e, s in db.execute("SELECT tag, plate, revoked, expires, strength FROM tags "
                                               "WHERE kind != 'plate' ORDER BY tag")]
    return wire.Allowlist(version=version(db), ts=utc(at), entries=entries, plates=plate_entries(db))

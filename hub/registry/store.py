"""Reading and changing the resident registry in the hub database.

Every function takes an open sqlite-utils ``Database`` and runs inside the caller's transaction
(the hub's writer thread, or the CLI's own ``BEGIN IMMEDIATE``); every change bumps
``registry_meta.version``, which the hub turns into a new retained allowlist.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any, Iterable

from gwcommon import wire
from gwcommon.exc import BadTagId, GatewardenError
from gwcommon.tagid import parse_tag_id
from gwcommon.timefmt import parse_ts, stored_ts, utc

from hub.core import words as problems
from . import passes
from .csvfile import VehicleRow, tag_reason
from hub.core.plates import normalize_plate, parse_phones, parse_plate

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
    """A tag id that is not one, a vehicle without a household, a plate another car has."""


def version(db: Any) -> int:
    row = db.execute("SELECT value FROM registry_meta WHERE name = 'version'").fetchone()
    return int(row[0]) if row else 0


def bump_version(db: Any) -> int:
    db.execute("UPDATE registry_meta SET value = value + 1 WHERE name = 'version'")
    return version(db)


def replace_all(db: Any, rows: Iterable[VehicleRow], *, at: datetime) -> dict[str, int]:
    """Make the residents' registry exactly ``rows`` (an imported file); tags that stay keep
    revoked/expires.  Visitor passes are not in the file: they stay, unless the file registers the
    visitor's plate, gives a resident the visitor's tag, or leaves a loaner tag off a resident's car
    (the file wins; that pass ends, on record as ended by the import).
    The callers show the change first and ask before removing vehicles (:mod:`hub.registry.diff`)."""
    rows = list(rows)
    now = stored_ts(at)
    plates, file_tags = [r.plate for r in rows], [t for r in rows for t in r.tags]
    kept = {r[0]: (r[1], r[2], r[3]) for r in db.execute("SELECT tag, plate, revoked, expires FROM tags")}
    for (plate,) in db.execute("SELECT plate FROM vehicles WHERE visitor = 1 AND plate IN "
                               "(SELECT value FROM json_each(?))", [json.dumps(plates)]).fetchall():
        passes.end_passes_of_plate(db, plate, at=at, by="import")  # the file registers a visitor's car
    db.execute("UPDATE vehicles SET visitor = 0 WHERE plate IN (SELECT value FROM json_each(?))", [json.dumps(plates)])
    db.execute("DELETE FROM tags WHERE plate IN (SELECT plate FROM vehicles WHERE visitor = 0) "
               "OR tag IN (SELECT value FROM json_each(?))", [json.dumps(file_tags)])
    db.execute("DELETE FROM vehicles WHERE visitor = 0")
    for household in sorted({r.household for r in rows}):
        db.execute("INSERT OR IGNORE INTO households(name, created_at) VALUES (?, ?)", [household, now])
    for r in rows:
        db.execute("INSERT INTO vehicles(plate, household, owner, mobile, note, created_at, updated_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)", [r.plate, r.household, r.owner, r.mobile, r.note, now, now])
        for tag in r.tags:
            old = kept.get(tag)
            revoked, expires = (old[1], old[2]) if old and old[0] == r.plate else (0, None)
            _insert_tag(db, tag, r.plate, revoked=revoked, expires=expires, now=now)
    passes.end_passes_gone(db, at=at, by="import")  # a pass tag the file took away or gave to a resident
    passes.forget_bare_visitors(db)
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
    """Every resident's vehicle with its tags, ordered by household and plate (the export file's
    rows; visitors are not in the committee's file: :func:`hub.registry.visitors.current`)."""
    tags: dict[str, list[str]] = {}
    for tag, plate in db.execute("SELECT tag, plate FROM tags ORDER BY added_at, tag"):
        tags.setdefault(plate, []).append(tag)
    return [{"plate": p, "household": h, "owner": o, "mobile": m, "note": n, "tags": tags.get(p, [])}
            for p, h, o, m, n in db.execute(
                "SELECT plate, household, owner, mobile, note FROM vehicles WHERE visitor = 0 "
                "ORDER BY household, plate")]


def vehicle(db: Any, plate: str) -> dict[str, Any] | None:
    row = db.execute("SELECT plate, household, owner, mobile, note, visitor FROM vehicles WHERE plate = ?",
                     [normalize_plate(plate)]).fetchone()
    return None if row is None else dict(zip(("plate", "household", "owner", "mobile", "note", "visitor"), row))


def plate_for_tag(db: Any, tag: str) -> str | None:
    row = db.execute("SELECT plate FROM tags WHERE tag = ?", [tag]).fetchone()
    return row[0] if row else None


def tags_of(db: Any, plate: str) -> list[str]:
    return [r[0] for r in db.execute("SELECT tag FROM tags WHERE plate = ? ORDER BY tag", [plate])]


def save_vehicle(db: Any, plate: str, *, household: str, owner: str = "", mobile: str = "",
                 note: str = "", visitor: bool = False, at: datetime) -> str:
    """Add or update one vehicle; returns the normalised plate.  A warden's visitor
    (``visitor=True``) never turns a resident's car into a visitor's."""
    plate = parse_plate(plate)
    mobile = parse_phones(mobile) if mobile else ""
    if not household.strip():
        raise BadChange("household (房号) is required", code="household_missing")
    now = stored_ts(at)
    db.execute("INSERT OR IGNORE INTO households(name, created_at) VALUES (?, ?)", [household.strip(), now])
    db.execute("INSERT INTO vehicles(plate, household, owner, mobile, note, created_at, updated_at, visitor) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(plate) DO UPDATE SET household=excluded.household, "
               "owner=excluded.owner, mobile=excluded.mobile, note=excluded.note, updated_at=excluded.updated_at, "
               "visitor=min(visitor, excluded.visitor)",
               [plate, household.strip(), owner.strip(), mobile, note.strip(), now, now, int(visitor)])
    db.execute("DELETE FROM households WHERE name NOT IN (SELECT household FROM vehicles)")
    bump_version(db)
    return plate


def save_row(db: Any, row: VehicleRow, *, original: str = "", at: datetime) -> str:
    """A resident's vehicle as the web form gave it, checked like a row of the file
    (:func:`hub.registry.csvfile.check_row`); ``original`` is the plate it had (a new car: empty).
    A plate typed anew keeps the car's tags; a plate another car has is refused, and so is a new
    plate for a visitor's car (a wrong plate on a pass: end it and issue a new one)."""
    original = normalize_plate(original)
    before = vehicle(db, original) if original else None
    if original and before is None:
        raise UnknownVehicle(f"no vehicle with plate {original} is registered", code="vehicle_unknown", plate=original)
    if before is not None and before["visitor"] and row.plate != original:  # its pass names the plate it was issued to
        raise BadChange(f"visitor {original} cannot be renamed", code="visitor_rename", plate=original)
    other = vehicle(db, row.plate)
    if other is not None and row.plate != original and not (other["visitor"] and not original):
        raise BadChange(f"vehicle {row.plate} is already registered", code="plate_registered",
                        plate=row.plate, household=other["household"])
    still_visitor = other is not None and bool(other["visitor"]) and original == row.plate  # a visitor's car edited
    save_vehicle(db, row.plate, household=row.household, owner=row.owner, mobile=row.mobile, note=row.note,
                 visitor=still_visitor, at=at)
    if other is not None and other["visitor"] and not still_visitor:
        passes.end_passes_of_plate(db, row.plate, at=at, by="registry")  # a visitor registered as a resident
    if original and original != row.plate:
        db.execute("UPDATE tags SET plate = ? WHERE plate = ?", [row.plate, original])
        db.execute("DELETE FROM vehicles WHERE plate = ?", [original])
        db.execute("DELETE FROM households WHERE name NOT IN (SELECT household FROM vehicles)")
    return row.plate


def remove_vehicle(db: Any, plate: str, *, at: datetime) -> None:
    plate = normalize_plate(plate)
    if vehicle(db, plate) is None:
        raise UnknownVehicle(f"no vehicle with plate {plate} is registered", code="vehicle_unknown", plate=plate)
    passes.end_passes_of_plate(db, plate, at=at, by="removed")
    db.execute("DELETE FROM tags WHERE plate = ?", [plate])
    db.execute("DELETE FROM vehicles WHERE plate = ?", [plate])
    db.execute("DELETE FROM households WHERE name NOT IN (SELECT household FROM vehicles)")
    bump_version(db)


def add_tag(db: Any, plate: str, tag: str, *, expires: datetime | None = None, at: datetime) -> str:
    """Bind a tag to a registered vehicle (a visitor's tag with ``expires``).  A tag whose pass has
    expired by ``at`` (the hub's clock) is free again."""
    plate = normalize_plate(plate)
    if vehicle(db, plate) is None:
        raise UnknownVehicle(f"no vehicle with plate {plate} is registered", code="vehicle_unknown", plate=plate)
    tag = free_tag(db, tag, plate, at=at)
    if expires is not None:
        _refuse_permanent(db, tag, plate)
    db.execute("DELETE FROM tags WHERE tag = ?", [tag])
    _insert_tag(db, tag, plate, revoked=0, expires=stored_ts(expires) if expires else None,
                now=stored_ts(at))
    bump_version(db)
    return tag


def _refuse_permanent(db: Any, tag: str, plate: str) -> None:
    """:class:`BadChange` if ``tag`` is ``plate``'s own permanent tag (or plate entry): a pass would
    make it expire, and its end would take the resident's tag away."""
    row = db.execute("SELECT v.household FROM tags t JOIN vehicles v ON v.plate = t.plate "
                     "WHERE t.tag = ? AND t.plate = ? AND t.expires IS NULL", [tag, plate]).fetchone()
    if row is not None:
        code = "plate_permanent" if tag.startswith("plate:") else "tag_permanent"
        raise BadChange(f"tag {tag} is {plate}'s own permanent tag: no pass", code=code, tag=tag, plate=plate,
                        household=row[0])


def expire_passes(db: Any, *, at: datetime) -> int:
    """End the visitor passes that have expired by ``at`` (the hub's clock): their loaner tags are
    free again and their visitors leave the registry and the allowlist; returns how many."""
    ended = passes.expire(db, at=at)
    if ended:
        bump_version(db)
    return ended


def free_tag(db: Any, tag: str, plate: str, *, at: datetime) -> str:
    """The canonical ``tag`` if ``plate`` may have it: free, already its own, or its pass has
    expired by ``at``; else :class:`TagTaken` naming the car (and household) that has it."""
    tag = _tag_id(tag)
    expire_passes(db, at=at)
    holder = db.execute("SELECT t.plate, v.household FROM tags t JOIN vehicles v ON v.plate = t.plate "
                        "WHERE t.tag = ?", [tag]).fetchone()
    if holder is not None and holder[0] != normalize_plate(plate):
        raise TagTaken(f"tag {tag} is already bound to vehicle {holder[0]}", code="tag_bound", tag=tag,
                       plate=holder[0], household=holder[1])
    return tag


def remove_tag(db: Any, plate: str, tag: str, *, at: datetime) -> None:
    """Take a tag off a vehicle (the tag is free for another car); a visitor's pass tag ends its
    pass on record, as an expiry or a warden's end would."""
    plate, tag = normalize_plate(plate), _tag_id(tag)
    if tag in passes.pass_tags(db, plate):
        passes.end_tags(db, plate, [tag], at=stored_ts(at), by="removed")
    elif db.execute("DELETE FROM tags WHERE tag = ? AND plate = ?", [tag, plate]).rowcount == 0:
        raise UnknownTag(f"tag {tag} is not registered to {plate}", code="tag_unknown", tag=tag)
    bump_version(db)


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
               for t, p, r, e, s in db.execute(
                   "SELECT t.tag, t.plate, t.revoked, t.expires, t.strength FROM tags t JOIN vehicles v "
                   "ON v.plate = t.plate WHERE t.kind != 'plate' AND NOT (v.visitor = 1 AND coalesce(t.expires <= ?, 0)) "
                   "ORDER BY t.tag", [stored_ts(at)])]
    return wire.Allowlist(version=version(db), ts=utc(at), entries=entries, plates=plate_entries(db))

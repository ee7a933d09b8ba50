"""What the wardens do (值班操作): register or clear a car parked off-space, resolve or excuse a
violation, name the plate of an untagged car, write a note — each written to the diary.

Every action takes an open database (run it on the hub's writer:
``hub.writer.call(lambda db: warden_actions.resolve(db, ctx, ...))`` — or use the wrappers on
:class:`hub.overnight.area.OvernightArea`) and changes nothing when the input is bad: it raises
:class:`WardenActionError`, which the web view words in the page's language.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from gwcommon import catalogue
from gwcommon.exc import GatewardenError
from gwcommon.timefmt import stored_ts, utc
from hub.overnight import problems as warden_problems
from hub.overnight.diary import add, line_text, stay_text


class WardenActionError(GatewardenError, ValueError):
    """A warden's action that cannot be carried out (unknown violation, wrong state, bad plate...):
    a ``code`` of :mod:`hub.overnight.problems` and its ``params``; the message (logs) is in English,
    :meth:`text` words it in Chinese or English for people."""

    def __init__(self, code: str, **params: Any):
        self.code = code
        self.params = params
        super().__init__(self.text("en"))

    def text(self, lang: str = "zh") -> str:
        return warden_problems.text(lang, self.code, self.params)


def _who(db: Any, plate: str | None, zone: str | None, slot: str | None):
    from hub.overnight import stays
    from hub.core.plates import BadPlate, parse_plate

    if plate:
        try:
            return stays.for_plate(db, parse_plate(plate))
        except BadPlate as exc:
            raise WardenActionError(exc.code, **exc.params) from None
    if zone and slot:
        return stays.for_slot(zone, slot)
    raise WardenActionError("car_unnamed")


def _warden_mark(db: Any, ctx: Any, op: str, *, plate: str | None, zone: str | None, slot: str | None,
                 by: str, at: datetime, note: str, mark_id: str | None) -> dict[str, Any]:
    from hub.overnight import stays
    from hub.overnight.rules import Mark

    if zone and zone not in ctx.zone_kinds:
        known = ", ".join(ctx.zone_kinds)
        raise WardenActionError("zone_unknown" if known else "zone_unknown_none", zone=zone, known=known)
    who = _who(db, plate, zone, slot)
    order = mark_id or f"warden:{uuid.uuid4().hex}"
    mark = Mark(utc(at), order, op, zone or "", "night" if zone else "", "warden")
    stays.record(db, who, mark, event_id=None, grace=ctx.grace, high_water=ctx.high_water())
    kind = "registration" if op == "register" else "clearance"
    named = getattr(ctx, "zone_labels", {}).get(zone or "") or zone
    text = stay_text(kind, plate=who.plate, zone=named, slot=slot, note=note)
    add(db, ts=at, kind=kind, plate=who.plate, household=who.household, zone=zone, slot=slot, by=by, text=text,
        detail={"key": who.key, "mark": order, "note": note})
    return {"key": who.key, "plate": who.plate, "mark": order}


def register_offspace(db: Any, ctx: Any, *, plate: str | None = None, zone: str | None = None,
                      slot: str | None = None, by: str, at: datetime, note: str = "",
                      mark_id: str | None = None) -> dict[str, Any]:
    """A warden registers a car parked off-space (by plate, or an untagged car by zone and spot)."""
    return _warden_mark(db, ctx, "register", plate=plate, zone=zone, slot=slot, by=by, at=at, note=note,
                        mark_id=mark_id)


def clear_offspace(db: Any, ctx: Any, *, plate: str | None = None, zone: str | None = None,
                   slot: str | None = None, by: str, at: datetime, note: str = "",
                   mark_id: str | None = None) -> dict[str, Any]:
    """A warden confirms the car has gone or moved into a painted space."""
    return _warden_mark(db, ctx, "clear", plate=plate, zone=zone, slot=slot, by=by, at=at, note=note,
                        mark_id=mark_id)


def _settle(db: Any, ctx: Any, vid: str, state: str, reason: str, by: str, at: datetime) -> dict[str, Any]:
    from hub.overnight import violations
    from hub.overnight.rules import Transition

    if not reason.strip():
        raise WardenActionError("reason_missing")
    current = violations.get(db, vid)
    if current is None:
        raise WardenActionError("violation_unknown", id=vid)
    if current["state"] != "open":
        raise WardenActionError("violation_not_open", id=vid, state=current["state"])
    violations.transition(db, Transition(vid, state, current["provisional"], reason.strip()), at=at,
                          site=ctx.site, by=by)
    return violations.get(db, vid)


def resolve(db: Any, ctx: Any, violation_id: str, *, reason: str, by: str, at: datetime) -> dict[str, Any]:
    """The car was dealt with (moved, owner spoken to): the violation stands but is closed."""
    return _settle(db, ctx, violation_id, "resolved", reason, by, at)


def excuse(db: Any, ctx: Any, violation_id: str, *, reason: str, by: str, at: datetime) -> dict[str, Any]:
    """The committee accepts an excuse (hospital night, snow...): the violation no longer counts."""
    return _settle(db, ctx, violation_id, "excused", reason, by, at)


def identify(db: Any, ctx: Any, violation_id: str, *, plate: str, by: str, at: datetime) -> dict[str, Any]:
    """Name the plate of an untagged car's violation (the photo shows it); published again."""
    from hub.overnight import stays
    from hub.overnight import violations
    from hub.core.plates import BadPlate, parse_plate

    current = violations.get(db, violation_id)
    if current is None:
        raise WardenActionError("violation_unknown", id=violation_id)
    try:
        plate = parse_plate(plate)
    except BadPlate as exc:
        raise WardenActionError(exc.code, **exc.params) from None
    who = stays.for_plate(db, plate)
    db.execute("UPDATE violations SET plate = ?, household = ?, updated_at = ? WHERE id = ?",
               [plate, who.household, stored_ts(at), violation_id])
    violations.republish(db, violation_id, at=at, site=ctx.site, by=by, reason=line_reason(plate))
    return violations.get(db, violation_id)


def line_reason(plate: str) -> str:
    """The reason an identification is diarised with (认定车牌 浙A12345), worded again for a reader."""
    return catalogue.t("diarytext.identified", "zh", plate=plate)


def contacted(db: Any, *, plate: str, by: str, at: datetime, note: str = "") -> int:
    """The warden called or texted the owner of an off-space car (已联系车主): a diary line."""
    plate = plate.strip()
    if not plate:
        raise WardenActionError("plate_missing")
    if len(note) > 500:
        raise WardenActionError("note_too_long", limit=500)
    detail = {"note": note.strip()}
    text = line_text({"kind": "contacted", "plate": plate, "detail": detail}, "zh")
    return add(db, ts=at, kind="contacted", text=text, plate=plate, by=by, detail=detail)


def add_note(db: Any, text: str, *, by: str, at: datetime, plate: str | None = None,
             violation_id: str | None = None) -> int:
    """A warden's free note (楼道堆物, 化粪池满溢, 无法处理的事情...)."""
    if not text.strip():
        raise WardenActionError("note_empty")
    if len(text) > 2000:
        raise WardenActionError("note_too_long", limit=2000)
    return add(db, ts=at, kind="note", text=text.strip(), plate=plate, violation_id=violation_id, by=by)

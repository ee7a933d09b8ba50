"""A doubtful strip read attributed to the registered plate it is a usual OCR confusion of.

Plate cameras confuse a few shapes (0/O/D/Q, 8/B, 1/I, 2/Z, 5/S, 6/G).  For *presence* in the night
strip and the fire lanes only — never for opening a gate — a read whose confidence lies in the
camera's band [``ocr_tolerant_from``, ``ocr_tolerant_below``) and that is **no valid plate** (a
shape no Chinese plate has, e.g. the letters I and O) is attributed to a registered plate when it
differs from exactly one registered plate in exactly one character by one of those confusions.  Two
candidates: no attribution (ambiguous).  A read that is a valid plate is never rewritten: it may be
another, unregistered car, and naming a household for it could accuse the wrong resident.
Outside the band nothing is changed: a confident read stands as read, a doubtful one unmatched
stays unused.  :func:`attribute` is pure; :class:`edge.lpr.strip.StripLink` calls it (the gate
never does: config refuses the band on gate cameras).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from gwcommon.tagid import plate_problem

CONFUSABLE = ("0ODQ", "8B", "1I", "2Z", "5S", "6G")
_GROUP = {ch: i for i, group in enumerate(CONFUSABLE) for ch in group}


@dataclass(frozen=True)
class Attribution:
    """What a read counts as: ``plate`` (None: not used) and a ``note`` when it is not the read as such."""

    plate: str | None
    note: str | None = None


def confusion(read: str, plate: str) -> tuple[str, str] | None:
    """The (read, registered) character pair when the two differ in exactly one place by a usual confusion."""
    if len(read) != len(plate) or read == plate:
        return None
    diffs = [(a, b) for a, b in zip(read, plate) if a != b]
    if len(diffs) != 1:
        return None
    a, b = diffs[0]
    return (a, b) if a in _GROUP and _GROUP[a] == _GROUP.get(b) else None


def attribute(plate: str | None, confidence: float, registered: Iterable[str], *, min_confidence: float,
              band: tuple[int, int] | None) -> Attribution:
    """The plate a zone camera's read counts as present (presence only; never call this to open).

    ``plate`` is the normalised text the camera read; it may be no valid plate (``浙AI2345``: Chinese
    plates have no I), and then counts only when attributed to a registered plate."""
    if not plate:
        return Attribution(None)
    confident = confidence >= min_confidence and plate_problem(plate) is None
    if band is None or not band[0] <= confidence < band[1]:
        return Attribution(plate if confident else None)
    known = set(registered)
    if plate in known:
        return Attribution(plate)
    if plate_problem(plate) is None:  # a valid plate: maybe another car; never rewritten
        return Attribution(plate if confident else None)
    candidates = sorted(p for p in known if confusion(plate, p))
    if len(candidates) == 1:
        a, b = confusion(plate, candidates[0]) or ("", "")
        return Attribution(candidates[0], f"read {plate} at confidence {confidence:.0f}: taken as registered "
                                          f"{candidates[0]} ({a}/{b} is a usual OCR confusion)")
    if len(candidates) > 1:
        return Attribution(plate if confident else None,
                           f"read {plate} at confidence {confidence:.0f} could be {' or '.join(candidates)}: "
                           "not attributed (ambiguous)")
    return Attribution(plate if confident else None)

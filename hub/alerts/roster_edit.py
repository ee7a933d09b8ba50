"""Editing the duty roster one shift at a time (值班表编辑), swapping two shifts (换班) and a
warden's next shift (我的下一班).

The web view's Roster page adds, edits and removes one row of ``duty_roster`` and swaps the people
of two warden shifts; the escalation reads the table on every alert (:func:`hub.alerts.roster.load`),
so an edit counts from the next alert on.  A row is checked exactly as an imported CSV row is
(:func:`hub.alerts.roster.parse_row`); what is wrong is a :class:`hub.alerts.roster.BadRow` whose code
:mod:`hub.alerts.roster_problems` words in Chinese or English.

Who a logged-in person is in the roster: a row whose 姓名 equals their account's display name or
login name (case and surrounding spaces ignored) — :func:`is_mine`.

The table functions take a sqlite_utils Database and run inside one writer job (one transaction);
:func:`next_shift` is pure.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Iterable

from .roster import BadRow, Entry, _applies

SWAPPED = ("name", "mobile", "feishu_id")  # what moves between two shifts in a swap: the person


@dataclass(frozen=True)
class Shift:
    """One row of the roster with its id (what the edit and swap forms name)."""

    id: int
    entry: Entry


def shifts(db: Any) -> list[Shift]:
    """Every row with its id, in table order."""
    if not db["duty_roster"].exists():
        return []
    fields = Entry.__dataclass_fields__
    return [Shift(row["id"], Entry(**{k: (row[k] if row[k] is not None else fields[k].default) for k in fields}))
            for row in db["duty_roster"].rows_where(order_by="id")]


def _one(db: Any, shift_id: int) -> Entry:
    found = [s.entry for s in shifts(db) if s.id == shift_id]
    if not found:
        raise BadRow("shift_gone", id=shift_id)
    return found[0]


def add(db: Any, entry: Entry) -> int:
    """Add one row; its id."""
    return db["duty_roster"].insert(asdict(entry)).last_pk


def update(db: Any, shift_id: int, entry: Entry) -> Entry:
    """Replace row ``shift_id`` with ``entry``; the row as it was.  A missing row is ``shift_gone``."""
    old = _one(db, shift_id)
    db["duty_roster"].update(shift_id, asdict(entry))
    return old


def remove(db: Any, shift_id: int) -> Entry:
    """Delete row ``shift_id``; the row as it was."""
    old = _one(db, shift_id)
    db["duty_roster"].delete(shift_id)
    return old


def is_mine(entry: Entry, names: Iterable[str]) -> bool:
    """Whether the roster row is the person known by ``names`` (display name, login name)."""
    wanted = {n.strip().casefold() for n in names if n and n.strip()}
    return entry.name.strip().casefold() in wanted


def swap(db: Any, first: int, second: int, *, mine: Iterable[str] | None = None) -> tuple[Entry, Entry]:
    """Swap the people of two warden shifts (the times stay); both rows as they were.

    ``mine``: the names of a warden who asks (one of the two shifts must be theirs); None for the
    committee, who may swap any two.
    """
    if first == second:
        raise BadRow("swap_same")
    a, b = _one(db, first), _one(db, second)
    if a.role != "warden" or b.role != "warden":
        raise BadRow("swap_not_shift")
    if is_mine(a, [b.name]):
        raise BadRow("swap_same_person", name=a.name)
    if mine is not None and not (is_mine(a, mine) or is_mine(b, mine)):
        raise BadRow("swap_not_yours")
    person_a = {k: getattr(a, k) for k in SWAPPED}
    person_b = {k: getattr(b, k) for k in SWAPPED}
    db["duty_roster"].update(first, person_b)
    db["duty_roster"].update(second, person_a)
    return a, b


def describe(entry: Entry) -> dict[str, Any]:
    """A row as the audit log keeps it (no mobile: the log is shown to the committee)."""
    return {"name": entry.name, "day": entry.day, "start": entry.start, "end": entry.end, "order": entry.position}


# --- my next shift (pure) ----------------------------------------------------------------------

def _bounds(entry: Entry, day: date, tz: Any) -> tuple[datetime, datetime]:
    """When ``entry``'s shift that starts on ``day`` begins and ends (local, aware)."""
    start = time.fromisoformat(entry.start) if entry.start else time(0, 0)
    end = time.fromisoformat(entry.end) if entry.end else None
    begins = datetime.combine(day, start, tzinfo=tz)
    if end is None or end == start:
        return begins, datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=tz)
    ends_on = day if end > start else day + timedelta(days=1)
    return begins, datetime.combine(ends_on, end, tzinfo=tz)


def next_shift(entries: Iterable[Entry], names: Iterable[str], local: datetime,
               days: int = 14) -> dict[str, Any] | None:
    """The first warden shift of the person known by ``names`` that has not ended at ``local``
    (an aware local time): ``{"entry", "start", "end", "now"}`` (``now``: it is on), or None
    within ``days`` days."""
    rows = list(entries)
    wardens = [e for e in rows if e.role == "warden"]
    dated = {date.fromisoformat(e.day) for e in wardens if len(e.day) == 10}
    mine = [e for e in wardens if is_mine(e, names)]
    found = []
    for offset in range(-1, days + 1):
        day = local.date() + timedelta(days=offset)
        for entry in mine:
            if _applies(entry, day, dated):
                start, end = _bounds(entry, day, local.tzinfo)
                if end > local:
                    found.append((start, end, entry))
    if not found:
        return None
    start, end, entry = min(found, key=lambda f: (f[0], f[2].position))
    return {"entry": entry, "start": start, "end": end, "now": start <= local}


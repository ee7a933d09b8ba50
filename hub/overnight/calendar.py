"""The deadline calendar: which morning deadline applies on which day (docs/contract.md §2a).

A morning's deadline is ``deadline`` on a working day and ``holiday_deadline`` (when set) on a
weekend day or a Chinese statutory holiday; make-up working days (调休) count as working days.
The holiday data comes from the ``chinesecalendar`` package, guarded three ways:

* the committee can override any date (table ``calendar_overrides``: working or holiday, and
  optionally its own deadline time) — the override always wins;
* a year the package does not know yet (it covers a year only after the State Council publishes
  it, usually in November) falls back to plain weekday rules, and the result says so
  (``source == "weekday-fallback"``) so the hub raises a maintenance alert;
* nothing here reads the clock: every function is given the day or the instant.

The override functions take an open database and run in the caller's transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterable, Literal, Mapping
from zoneinfo import ZoneInfo

import chinese_calendar

DayKind = Literal["working", "holiday"]
Source = Literal["override", "calendar", "weekday-fallback"]


@dataclass(frozen=True)
class Override:
    """The committee's decision for one date."""

    day: date
    kind: DayKind
    deadline: time | None = None
    note: str = ""


@dataclass(frozen=True)
class DayInfo:
    """What a date is, and who says so."""

    day: date
    kind: DayKind
    source: Source
    name: str = ""


@dataclass(frozen=True)
class DeadlineRule:
    """The times of day the rule needs (from ``[rules.overnight]``)."""

    night_start: time
    deadline: time
    holiday_deadline: time | None
    tz: ZoneInfo

    @classmethod
    def from_config(cls, rule: Any, tz: ZoneInfo) -> "DeadlineRule":
        return cls(rule.night_start, rule.deadline, rule.holiday_deadline, tz)


def year_known(year: int) -> bool:
    """Whether the installed chinesecalendar has the holidays of ``year``."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def classify(day: date, overrides: Mapping[date, Override] | None = None) -> DayInfo:
    """Working day or holiday, from the override, the package, or weekday rules."""
    if overrides and day in overrides:
        return DayInfo(day, overrides[day].kind, "override", overrides[day].note)
    try:
        working = chinese_calendar.is_workday(day)
        _, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return DayInfo(day, "working" if day.weekday() < 5 else "holiday", "weekday-fallback")
    label = (getattr(name, "value", None) or str(name or "")) if name else ""
    if working and day.weekday() >= 5:
        label = f"调休（{label}）" if label else "调休"
    return DayInfo(day, "working" if working else "holiday", "calendar", label)


def deadline_time(info: DayInfo, rule: DeadlineRule, overrides: Mapping[date, Override] | None = None) -> time:
    """The local time of the deadline on the morning of ``info.day``."""
    own = overrides.get(info.day) if overrides else None
    if own is not None and own.deadline is not None:
        return own.deadline
    if info.kind == "holiday" and rule.holiday_deadline is not None:
        return rule.holiday_deadline
    return rule.deadline


def deadline_on(day: date, rule: DeadlineRule, overrides: Mapping[date, Override] | None = None) -> datetime:
    """The deadline of the morning of ``day`` as an aware UTC instant."""
    local = datetime.combine(day, deadline_time(classify(day, overrides), rule, overrides), tzinfo=rule.tz)
    return local.astimezone(timezone.utc)


def latest_deadline(now: datetime, rule: DeadlineRule, overrides: Mapping[date, Override] | None = None) -> datetime:
    """The most recent deadline at or before ``now``."""
    day = now.astimezone(rule.tz).date()
    for back in range(0, 3):
        candidate = deadline_on(day - timedelta(days=back), rule, overrides)
        if candidate <= now:
            return candidate
    raise AssertionError("a deadline occurs every day")


def next_deadline(now: datetime, rule: DeadlineRule, overrides: Mapping[date, Override] | None = None) -> datetime:
    """The first deadline strictly after ``now``."""
    day = now.astimezone(rule.tz).date()
    for ahead in range(0, 3):
        candidate = deadline_on(day + timedelta(days=ahead), rule, overrides)
        if candidate > now:
            return candidate
    raise AssertionError("a deadline occurs every day")


def deadlines_between(start: datetime, end: datetime, rule: DeadlineRule,
                      overrides: Mapping[date, Override] | None = None) -> list[datetime]:
    """Every deadline D with ``start < D <= end``, oldest first."""
    found, moment = [], start
    while True:
        candidate = next_deadline(moment, rule, overrides)
        if candidate > end:
            return found
        found.append(candidate)
        moment = candidate


def night_start_for(deadline: datetime, rule: DeadlineRule) -> datetime:
    """The evening (the day before the deadline's morning) from which off-space parking is tolerated."""
    day = deadline.astimezone(rule.tz).date() - timedelta(days=1)
    return datetime.combine(day, rule.night_start, tzinfo=rule.tz).astimezone(timezone.utc)


# The committee's overrides, stored in table calendar_overrides (see hub.overnight_schema).

_TIME = re.compile(r"^\d{2}:\d{2}$")


def load_overrides(db: Any) -> dict[date, Override]:
    rows = db.execute("SELECT day, kind, deadline, note FROM calendar_overrides").fetchall()
    return {date.fromisoformat(d): Override(date.fromisoformat(d), k, time.fromisoformat(t) if t else None, n or "")
            for d, k, t, n in rows}


def set_override(db: Any, day: date, kind: DayKind, *, deadline: time | None = None, note: str = "",
                 by: str, at: datetime) -> Override:
    """Record the committee's decision for ``day`` (replacing an earlier one)."""
    if kind not in ("working", "holiday"):
        raise ValueError(f"day kind must be 'working' or 'holiday', got {kind!r}")
    text = deadline.strftime("%H:%M") if deadline else None
    db.execute("INSERT INTO calendar_overrides(day, kind, deadline, note, by, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
               "ON CONFLICT(day) DO UPDATE SET kind=excluded.kind, deadline=excluded.deadline, note=excluded.note, "
               "by=excluded.by, updated_at=excluded.updated_at",
               [day.isoformat(), kind, text, note, by, at.astimezone(timezone.utc).isoformat(timespec="milliseconds")])
    return Override(day, kind, deadline, note)


def remove_override(db: Any, day: date) -> bool:
    return db.execute("DELETE FROM calendar_overrides WHERE day = ?", [day.isoformat()]).rowcount > 0


def unknown_years(days: Iterable[date]) -> list[int]:
    """The years among ``days`` that the holiday package does not cover."""
    return sorted({d.year for d in days if not year_known(d.year)})

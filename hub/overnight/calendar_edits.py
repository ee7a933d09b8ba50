"""The committee's view of the deadline calendar (截止时间日历), decided: what each coming day is,
and whether a change to a date's override (调整) may be made.

A decision module (no I/O).  The web view's Calendar page (:mod:`hub.overnight.pages.calendar`) reads the
overrides and the mornings already decided, calls these functions, and writes through the hub's
writer.  A refusal is :class:`ChangeRefused`: an i18n key of :mod:`hub.web.i18n` and its values,
so the page words it in its own language.

The rules for a change (set or remove) of date D:

* D is a date (``YYYY-MM-DD``, or ``YYYY/MM/DD``) no more than a day in the past and at most
  :data:`MAX_AHEAD_DAYS` ahead; the kind is ``working`` or ``holiday``; the optional deadline is a
  time ``HH:MM`` (or ``H:MM``) earlier than the rule's ``night_start``;
* a change may not touch a morning whose deadline has passed or been decided: when D's deadline
  before the change or after it is at or before ``now``, or the hub has decided D already, it is
  refused — a change then could only judge cars by a deadline nobody was told about (moved
  earlier) or decide the same morning twice (moved later).  Past overrides stay as the record of
  what applied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Mapping

import chinese_calendar

from gwcommon.exc import GatewardenError
from hub.overnight.calendar import DeadlineRule, Override, classify, deadline_on, deadline_time

MAX_AHEAD_DAYS = 731
MAX_NOTE = 200
KINDS = ("working", "holiday")
_TIME = re.compile(r"^(\d{1,2})[:：](\d{2})$")
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_HOLIDAY_ZH = {h.value: h.chinese for h in chinese_calendar.Holiday}


class ChangeRefused(GatewardenError, ValueError):
    """A calendar change that cannot be made; ``key`` and ``values`` word it (hub.web.i18n)."""

    def __init__(self, key: str, **values: Any):
        super().__init__(f"{key} {values}")
        self.key = key
        self.values = values


@dataclass(frozen=True)
class CalendarDay:
    """One day as the Calendar page shows it.

    ``kind``: ``working`` (工作日), ``weekend`` (周末), ``holiday`` (法定节假日), ``makeup`` (调休上班),
    or, when the committee decided the date, ``override_working`` / ``override_holiday``.
    ``fallback`` is true when the holiday package does not know the year (weekday rules apply).
    """

    day: date
    kind: str
    deadline: time
    source: str
    name_en: str = ""
    name_zh: str = ""
    note: str = ""

    @property
    def fallback(self) -> bool:
        return self.source == "weekday-fallback"

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_zh


def describe(day: date, rule: DeadlineRule, overrides: Mapping[date, Override] | None = None) -> CalendarDay:
    """What ``day`` is and the deadline of its morning."""
    info = classify(day, overrides)
    deadline = deadline_time(info, rule, overrides)
    if info.source == "override":
        return CalendarDay(day, f"override_{info.kind}", deadline, info.source, note=info.name)
    weekend = day.weekday() >= 5
    if info.kind == "working":
        kind = "makeup" if weekend else "working"
    else:
        kind = "holiday" if info.source == "calendar" and _holiday_name(info.name) else "weekend"
    english = _holiday_name(info.name)
    return CalendarDay(day, kind, deadline, info.source, english, _HOLIDAY_ZH.get(english, english))


def _holiday_name(label: str) -> str:
    """The holiday's English name in a label of :func:`hub.overnight.calendar.classify` (``调休（National Day）``)."""
    if label.startswith("调休"):
        return label[3:-1] if label.endswith("）") else ""
    return label


def coming_days(today: date, count: int, rule: DeadlineRule,
                overrides: Mapping[date, Override] | None = None) -> list[CalendarDay]:
    """``count`` days from ``today`` on."""
    return [describe(today + timedelta(days=n), rule, overrides) for n in range(count)]


# --- the form ------------------------------------------------------------------------------------

def parse_day(text: str, *, today: date) -> date:
    """A date from the form, no more than a day in the past and not too far ahead."""
    text = (text or "").strip()
    if not text:
        raise ChangeRefused("cal.err.day_missing")
    found = _DATE.match(text)
    try:
        day = date(*(int(g) for g in found.groups())) if found else None
    except ValueError:
        day = None
    if day is None:
        raise ChangeRefused("cal.err.day_format", given=text[:40])
    if day < today - timedelta(days=1):
        raise ChangeRefused("cal.err.day_past", day=day.isoformat())
    if day > today + timedelta(days=MAX_AHEAD_DAYS):
        raise ChangeRefused("cal.err.day_far", day=day.isoformat())
    return day


def parse_deadline(text: str, rule: DeadlineRule) -> time | None:
    """The override's own deadline (``HH:MM``), or None when left empty."""
    text = (text or "").strip()
    if not text:
        return None
    found = _TIME.match(text)
    if not found or int(found.group(1)) > 23 or int(found.group(2)) > 59:
        raise ChangeRefused("cal.err.time_format", given=text[:40])
    moment = time(int(found.group(1)), int(found.group(2)))
    if moment >= rule.night_start:
        raise ChangeRefused("cal.err.time_late", given=moment.strftime("%H:%M"),
                            night_start=rule.night_start.strftime("%H:%M"))
    return moment


def parse_override(day: str, kind: str, deadline: str, note: str, *, today: date, rule: DeadlineRule) -> Override:
    """The committee's form as an :class:`Override`, or :class:`ChangeRefused`."""
    parsed_day = parse_day(day, today=today)
    kind = (kind or "").strip()
    if kind not in KINDS:
        raise ChangeRefused("cal.err.kind", given=kind[:40])
    moment = parse_deadline(deadline, rule)
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ChangeRefused("cal.err.note_long", limit=MAX_NOTE)
    return Override(parsed_day, kind, moment, note)  # type: ignore[arg-type]


def check_change(day: date, *, before: Mapping[date, Override], after: Mapping[date, Override],
                 rule: DeadlineRule, now: datetime, decided: bool) -> None:
    """Refuse a change of ``day`` from ``before`` to ``after`` that would touch a morning already
    passed or decided (see the module's docstring)."""
    old, new = deadline_on(day, rule, before), deadline_on(day, rule, after)
    first = min(old, new)
    if decided or first <= now:
        raise ChangeRefused("cal.err.passed", day=day.isoformat(),
                            deadline=first.astimezone(rule.tz).strftime("%H:%M"))

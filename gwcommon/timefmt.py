"""Timestamps on the wire: RFC 3339 with a UTC offset and milliseconds (docs/contract.md §1).

Parsing is strict about the offset (a time without one is ambiguous between the edge's clock and
the site's zone, so it is refused) and lenient about the fraction (0 to 6 digits).  Formatting
always writes milliseconds and the offset the datetime carries.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta, timezone

from .exc import BadTimestamp, WordedValueError

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})$"
)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_ts(text: str) -> datetime:
    """Parse an RFC 3339 timestamp with offset into an aware datetime."""
    if not isinstance(text, str):
        raise BadTimestamp(f"timestamp must be a string, got {type(text).__name__}")
    if not _RFC3339.match(text):
        raise BadTimestamp(f"timestamp {text[:40]!r} is not RFC 3339 with a UTC offset")
    try:
        return datetime.fromisoformat(text.replace("z", "Z").replace("t", "T"))
    except ValueError as exc:
        raise BadTimestamp(f"timestamp {text[:40]!r}: {exc}") from None


def format_ts(moment: datetime) -> str:
    """Format an aware datetime as RFC 3339 with milliseconds and its offset."""
    if moment.tzinfo is None:
        raise ValueError("refusing to format a naive datetime")
    return moment.isoformat(timespec="milliseconds")


def utc(moment: datetime) -> datetime:
    """The same instant in UTC."""
    return moment.astimezone(timezone.utc)


def stored_ts(moment: datetime) -> str:
    """How the hub stores an instant: RFC 3339 in UTC with milliseconds, so stored times sort as
    text (``2026-03-10T00:00:00.000+00:00``)."""
    return format_ts(utc(moment))


def parse_duration(text: str | int | float) -> timedelta:
    """``"30m"``, ``"10 s"``, ``"8h"``, ``"1d"``, ``"250ms"``, or a number of seconds."""
    if isinstance(text, bool):
        raise WordedValueError.said("duration_type")
    if isinstance(text, (int, float)):
        seconds = float(text)
    else:
        match = _DURATION.match(str(text))
        if not match:
            raise WordedValueError.said("duration", text=text)
        seconds = float(match.group(1)) * _DURATION_UNITS[match.group(2)]
    if seconds < 0:
        raise WordedValueError.said("duration_negative")
    return timedelta(seconds=seconds)


def format_duration(span: timedelta) -> str:
    """The shortest of ``"90s"``, ``"30m"``, ``"8h"`` that states ``span`` exactly."""
    seconds = span.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def parse_clock_time(text: str) -> time:
    """``"08:00"`` or ``"07:30:00"`` as a wall-clock time."""
    if not isinstance(text, str) or not re.match(r"^\d{1,2}:\d{2}(:\d{2})?$", text):
        raise WordedValueError.said("clock_time", text=text)
    return time.fromisoformat(text if len(text.split(":")[0]) == 2 else "0" + text)

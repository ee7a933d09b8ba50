"""Filters and keyset cursors of the violation and passage lists (pages and JSON API).

A decision module: parses what people and scripts type into query strings, no I/O.  Every bad
value raises :class:`FilterError` with one line saying which parameter and why; nothing is
guessed.  Dates are days in the site's time zone (``2026-03-02``) or RFC 3339 instants.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from gwcommon.exc import GatewardenError
from gwcommon.timefmt import parse_ts
from hub.core.plates import normalize_plate

VIOLATION_STATES = ("open", "resolved", "retracted", "excused")
DIRECTIONS = ("in", "out")
_PLATE_OK = re.compile(r"^[0-9A-Z\u4e00-\u9fff]{1,12}$")
_LABEL = re.compile(r"^[^\x00-\x1f]{1,64}$")


class FilterError(GatewardenError, ValueError):
    """A query parameter that cannot be used; the message names it and says why, in English
    (``str``) and in Chinese; :meth:`text` gives the page's language."""

    def __init__(self, en: str, zh: str | None = None):
        super().__init__(en)
        self.zh = zh or en

    def text(self, lang: str = "zh") -> str:
        return str(self) if lang == "en" else self.zh


@dataclass(frozen=True)
class Window:
    """[start, end) in UTC; either side may be open (None)."""

    start: datetime | None
    end: datetime | None


YEARS = (1970, 2199)  # dates people may ask about; year 1 or 9999 would overflow with the time zone


def parse_when(name: str, text: str | None, tz: ZoneInfo, *, end: bool = False) -> datetime | None:
    """A day (start of it, or with ``end`` the start of the next day) or an RFC 3339 instant."""
    text = (text or "").strip()
    if not text:
        return None
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise FilterError(f"{name}: {text!r} is not a real date", f"{name}：“{text}”不是一个真实的日期") from None
        _check_year(name, day.year)
        if end:
            day += timedelta(days=1)
        return datetime.combine(day, time(0), tz).astimezone(timezone.utc)
    try:
        moment = parse_ts(text)
    except ValueError:
        raise FilterError(f"{name}: {text[:40]!r} is neither a date like 2026-03-02 nor an RFC 3339 time",
                          f"{name}：“{text[:40]}”不是日期（例如 2026-03-02）") from None
    _check_year(name, moment.year)
    return moment.astimezone(timezone.utc)


def _check_year(name: str, year: int) -> None:
    if not YEARS[0] <= year <= YEARS[1]:
        raise FilterError(f"{name}: year {year} is out of range ({YEARS[0]}-{YEARS[1]})",
                          f"{name}：{year} 年超出范围（{YEARS[0]}–{YEARS[1]} 年）")


def parse_window(start: str | None, stop: str | None, tz: ZoneInfo) -> Window:
    """``from``/``to`` of a query: ``to`` as a day includes that whole day."""
    window = Window(parse_when("from", start, tz), parse_when("to", stop, tz, end=True))
    if window.start and window.end and window.end <= window.start:
        raise FilterError("to: must be later than from", "结束日期应晚于开始日期")
    return window


def parse_plate(text: str | None) -> str:
    """A plate or part of one, normalised as the registry stores plates (浙A·12345 → 浙A12345)."""
    plate = normalize_plate(text or "")
    if plate and not _PLATE_OK.match(plate):
        raise FilterError(f"plate: {str(text)[:20]!r} is not a plate (letters, digits and the province character)",
                          f"车牌：“{str(text)[:20]}”不像车牌（省份简称、字母和数字）")
    return plate


def parse_choice(name: str, text: str | None, choices: tuple[str, ...]) -> str:
    value = (text or "").strip()
    if value and value not in choices:
        raise FilterError(f"{name}: {value[:20]!r} is not one of {', '.join(choices)}",
                          f"{name}：“{value[:20]}”不是可选的值（{'、'.join(choices)}）")
    return value


def parse_label(name: str, text: str | None) -> str:
    value = (text or "").strip()
    if value and not _LABEL.match(value):
        raise FilterError(f"{name}: must be 1-64 printable characters", f"{name}：应是 1 到 64 个可显示的字符")
    return value


def encode_cursor(ts: str, key: str | int) -> str:
    """An opaque cursor after the row (ts, key) in newest-first order."""
    raw = json.dumps([ts, key], separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(text: str | None) -> tuple[str, str | int] | None:
    """The (ts, key) in a cursor this API gave out; anything else is a FilterError."""
    if not text:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        ts, key = json.loads(raw)
        parse_ts(ts)
    except (ValueError, TypeError):
        raise FilterError("cursor: not a cursor this API gave out (use the 'next' value as it is)",
                          "cursor：不是本接口给出的翻页标记（请原样使用 next 的值）") from None
    if not isinstance(key, (str, int)) or isinstance(key, bool):
        raise FilterError("cursor: not a cursor this API gave out (use the 'next' value as it is)",
                          "cursor：不是本接口给出的翻页标记（请原样使用 next 的值）")
    return ts, key


def parse_limit(text: str | int | None, default: int, *, maximum: int = 500) -> int:
    if text in (None, ""):
        return default
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise FilterError(f"limit: {str(text)[:20]!r} is not a whole number", f"limit：“{str(text)[:20]}”不是整数") from None
    if not 1 <= value <= maximum:
        raise FilterError(f"limit: must be between 1 and {maximum}", f"limit：应在 1 到 {maximum} 之间")
    return value


def parse_month(text: str | None, today: date) -> tuple[int, int]:
    """``"2026-03"`` → (2026, 3); empty → this month; anything else a FilterError."""
    if not text:
        return today.year, today.month
    if not re.fullmatch(r"\d{4}-\d{2}", text) or not 1 <= int(text[5:]) <= 12:
        raise FilterError(f"month: {text[:20]!r} is not a month like 2026-03", f"月份：“{text[:20]}”不是月份（例如 2026-03）")
    if not YEARS[0] <= int(text[:4]) <= YEARS[1]:
        raise FilterError(f"month: year {text[:4]} is out of range ({YEARS[0]}-{YEARS[1]})",
                          f"月份：{text[:4]} 年超出范围（{YEARS[0]}–{YEARS[1]} 年）")
    return int(text[:4]), int(text[5:])


def month_bounds(year: int, month: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The month's first instant and the next month's, in UTC (the site's calendar month)."""
    start = datetime(year, month, 1, tzinfo=tz)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)

"""The duty roster (值班表): who is on duty when, and who sits on the committee (业委会).

One table, ``duty_roster``; the web view edits it row by row (:mod:`hub.alerts.roster_edit`) and :func:`import_csv` replaces it from a CSV
as Excel and WPS save it (UTF-8 with or without BOM, or GB18030).  Columns, Chinese or English:

    姓名/name, 手机/mobile, 角色/role (值班/warden or 委员/committee), 日期/day, 开始/start,
    结束/end, 顺序/order, 飞书ID/feishu_id, 备注/note

``day`` is a date (2026-11-23), a weekday (周一…周日, 星期一, mon…sun) or empty/每天 for every
day; a date's own rows replace the weekday rows on that date.  A shift whose end is before its
start runs past midnight (20:00–08:00).  ``order`` ranks wardens on the same shift: 1 is mentioned
first, 2 is "the next warden" of the escalation.  Mobiles are only used in the chat services'
mention fields, never printed in a message.

Import is all-or-nothing: a file with any bad row changes nothing and every bad row is reported
with its line number and reason — a code and its parameters (:class:`Problem`), worded in Chinese
or English by :mod:`hub.alerts.roster_problems`.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Iterable

from gwcommon.exc import GatewardenError
from hub.core.csvsafe import neutralise_row, restore
from hub.core.lineproblem import LineProblem

from . import roster_problems as words

HEADERS = {
    "name": ("name", "姓名"), "mobile": ("mobile", "手机", "手机号"), "role": ("role", "角色"),
    "day": ("day", "日期", "星期"), "start": ("start", "开始"), "end": ("end", "结束"),
    "position": ("order", "顺序", "position"), "feishu_id": ("feishu_id", "飞书id", "飞书ID"),
    "note": ("note", "备注"),
}
EXPORT_HEADERS = ["姓名", "手机", "角色", "日期", "开始", "结束", "顺序", "飞书ID", "备注"]
ROLES = {"warden": "warden", "值班": "warden", "值班人员": "warden", "committee": "committee",
         "委员": "committee", "业委会": "committee"}
WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_ZH_DAYS = "一二三四五六日"
for _i, _c in enumerate(_ZH_DAYS):
    WEEKDAYS[f"周{_c}"] = WEEKDAYS[f"星期{_c}"] = _i
WEEKDAYS["周天"] = WEEKDAYS["星期天"] = 6
_DAY_ZH = {k: "周" + _ZH_DAYS[i] for k, i in WEEKDAYS.items() if k.isascii()}  # the export writes 周一
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


@dataclass(frozen=True)
class Problem(LineProblem):
    """One bad line of a roster file: its number (the header is line 1), a code of
    :data:`hub.alerts.roster_problems.MESSAGES` and the code's parameters."""

    words = words


class RosterError(GatewardenError, ValueError):
    """A roster file is invalid; ``problems`` lists every bad row (:class:`Problem`); the message,
    for logs, is in English."""

    def __init__(self, problems: list[Problem]):
        text = "; ".join(str(p) for p in problems[:5])
        super().__init__(text + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""))
        self.problems = problems


class BadRow(GatewardenError, ValueError):
    """One roster row is invalid: a code of :mod:`hub.alerts.roster_problems` and its parameters."""

    def __init__(self, code: str, **params: Any):
        self.code = code
        self.params = params
        super().__init__(words.text("en", code, params))

    def text(self, lang: str) -> str:
        """The reason in ``lang`` (Chinese unless ``"en"``), for a form."""
        return words.text(lang, self.code, self.params)


@dataclass(frozen=True)
class Entry:
    """One roster row: a warden's shift, or a committee member (role ``committee``)."""

    name: str
    mobile: str = ""
    role: str = "warden"
    day: str = ""            # "", "YYYY-MM-DD" or "mon".."sun"
    start: str = ""          # "HH:MM" or "" (all day)
    end: str = ""
    position: int = 1
    feishu_id: str = ""
    note: str = ""


# --- who is on duty (pure) ---------------------------------------------------------------------

def _covers(entry: Entry, day: date, at: time) -> bool:
    """Whether ``entry``'s shift that starts on ``day`` covers ``at`` on ``day`` (same-day part)."""
    start = time.fromisoformat(entry.start) if entry.start else time(0, 0)
    end = time.fromisoformat(entry.end) if entry.end else None
    if end is None or end == start:
        return at >= start
    return start <= at < end if start < end else at >= start


def _spills(entry: Entry, at: time) -> bool:
    """Whether the overnight part (after midnight) of ``entry``'s shift covers ``at``."""
    if not entry.start or not entry.end:
        return False
    start, end = time.fromisoformat(entry.start), time.fromisoformat(entry.end)
    return end < start and at < end


def _applies(entry: Entry, day: date, dated: set[date]) -> bool:
    if entry.day == "":
        return day not in dated
    if entry.day in WEEKDAYS:
        return day.weekday() == WEEKDAYS[entry.day] and day not in dated
    return entry.day == day.isoformat()


def on_duty(entries: Iterable[Entry], local: datetime) -> list[Entry]:
    """The wardens on duty at the local wall-clock moment, first to mention first."""
    wardens = [e for e in entries if e.role == "warden"]
    dated = {date.fromisoformat(e.day) for e in wardens if len(e.day) == 10}
    today, yesterday, at = local.date(), local.date() - timedelta(days=1), local.time()
    found = [e for e in wardens if (_applies(e, today, dated) and _covers(e, today, at))
             or (_applies(e, yesterday, dated) and _spills(e, at))]
    unique: dict[tuple[str, str], Entry] = {}
    for entry in sorted(found, key=lambda e: (e.position, e.name)):
        unique.setdefault((entry.name, entry.mobile), entry)
    return list(unique.values())


def committee(entries: Iterable[Entry]) -> list[Entry]:
    """The committee members to mention at the last escalation step."""
    return sorted((e for e in entries if e.role == "committee"), key=lambda e: (e.position, e.name))


def audience(entries: list[Entry], local: datetime, step: str) -> list[Entry]:
    """Whom to mention for escalation ``step`` (warden, next_warden, committee)."""
    duty = on_duty(entries, local)
    if step == "warden":
        return duty[:1]
    if step == "next_warden":
        return duty[1:2] or duty[:1]
    return committee(entries) or duty


# --- CSV ---------------------------------------------------------------------------------------

def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM) or GB18030, as Excel and WPS save a CSV."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise RosterError([Problem(data[:exc.start].count(b"\n") + 1, "bad_encoding")]) from None


def _column_map(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    unknown = []
    for index, raw in enumerate(header):
        name = raw.strip().lower()
        field = next((f for f, names in HEADERS.items() if name in {n.lower() for n in names}), None)
        if field is None:
            unknown.append(raw)
        else:
            found[field] = index
    known = ", ".join(f"{zh}/{names[0]}" for zh, names in zip(EXPORT_HEADERS, HEADERS.values()))
    problems = [Problem(1, "unknown_column", {"name": u.strip(), "known": known}) for u in unknown if u.strip()]
    if "name" not in found:
        problems.append(Problem(1, "name_column_missing"))
    if problems:
        raise RosterError(problems)
    return found


def parse_row(values: dict[str, str]) -> Entry:
    """One row as an Entry, or :class:`BadRow` (a ValueError) with the reason."""
    name = values.get("name", "").strip()
    if not name:
        raise BadRow("name_missing")
    role = ROLES.get(values.get("role", "").strip().lower() or "warden")
    if role is None:
        raise BadRow("role_unknown", role=values["role"])
    mobile = re.sub(r"[\s-]", "", values.get("mobile", ""))
    if mobile and not MOBILE_RE.match(mobile):
        raise BadRow("mobile_invalid", start=mobile[:3])
    feishu_id = values.get("feishu_id", "").strip()
    if not mobile and not feishu_id:
        raise BadRow("contact_missing")
    return Entry(name=name, mobile=mobile, role=role, day=_day(values.get("day", "")),
                 start=_clock(values.get("start", ""), "开始", "start"), end=_clock(values.get("end", ""), "结束", "end"),
                 position=_position(values.get("position", "")), feishu_id=feishu_id,
                 note=values.get("note", "").strip()[:200])


def _day(text: str) -> str:
    text = text.strip().lower()
    if text in ("", "每天", "daily", "all"):
        return ""
    if text in WEEKDAYS:
        return next(k for k, v in WEEKDAYS.items() if v == WEEKDAYS[text] and k.isascii())
    try:
        return date.fromisoformat(text.replace("/", "-")).isoformat()
    except ValueError:
        raise BadRow("day_invalid", day=text) from None


def _clock(text: str, label: str, column: str) -> str:
    text = text.strip()
    if not text:
        return ""
    if not re.match(r"^\d{1,2}:\d{2}$", text) or int(text.split(":")[0]) > 23 or int(text.split(":")[1]) > 59:
        raise BadRow("time_invalid", label=label, column=f"{label}/{column}", given=text)
    return text.zfill(5)


def _position(text: str) -> int:
    text = text.strip()
    if not text:
        return 1
    if not text.isdigit() or not 1 <= int(text) <= 99:
        raise BadRow("order_invalid", given=text)
    return int(text)


def parse_csv(data: bytes) -> list[Entry]:
    """Every row of a roster CSV, or RosterError listing every bad row."""
    rows = list(csv.reader(io.StringIO(decode_csv(data))))
    if not rows:
        raise RosterError([Problem(1, "empty_file")])
    columns = _column_map(rows[0])
    entries, problems = [], []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        values = {f: (restore(row[i].strip()) if i < len(row) else "") for f, i in columns.items()}
        try:
            entries.append(parse_row(values))
        except BadRow as exc:
            problems.append(Problem(line, exc.code, exc.params))
    if problems:
        raise RosterError(problems)
    return entries


def export_csv(entries: Iterable[Entry]) -> bytes:
    """The roster as a CSV Excel opens correctly (UTF-8 with BOM, Chinese headers)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_HEADERS)
    role_zh = {"warden": "值班", "committee": "委员"}
    for e in entries:
        writer.writerow(neutralise_row([e.name, e.mobile, role_zh[e.role], _DAY_ZH.get(e.day, e.day), e.start, e.end, e.position,
                                        e.feishu_id, e.note]))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --- the table (db is a sqlite_utils Database; writes happen on the hub's writer thread) --------

def load(db: Any) -> list[Entry]:
    """The whole roster."""
    if not db["duty_roster"].exists():
        return []
    return [Entry(**{k: (row[k] if row[k] is not None else Entry.__dataclass_fields__[k].default)
                     for k in Entry.__dataclass_fields__})
            for row in db["duty_roster"].rows_where(order_by="id")]


def replace_all(db: Any, entries: Iterable[Entry]) -> int:
    """Replace the roster with ``entries`` (call inside one transaction: all or nothing)."""
    rows = [asdict(e) for e in entries]
    db.execute("DELETE FROM duty_roster")
    if rows:
        db["duty_roster"].insert_all(rows)
    return len(rows)


def import_csv(db: Any, data: bytes) -> int:
    """Parse ``data`` and replace the roster; a bad file raises RosterError and changes nothing."""
    return replace_all(db, parse_csv(data))

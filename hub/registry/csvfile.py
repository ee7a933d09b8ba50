"""The resident registry file (docs/contract.md §3): the committee's sheet as Excel and WPS save it.

Reading (:mod:`hub.registry.sheet`) accepts an ``.xlsx`` workbook, and CSV/text in UTF-8 with or
without a BOM, GB18030/GBK or UTF-16, separated by commas, semicolons or tabs.  Headers may be in
Chinese or English in any order, with the words committees really use (``车牌号``, ``联系电话``,
``房号（必填）``…); other columns (``序号``, ``楼栋``…) are ignored and named in the report.  Phone
cells are read as Excel writes them (``13800138000.0``, landlines, two numbers in one cell);
``O``/``I`` in a plate's number part are read as ``0``/``1`` with a note.  *Every* bad row is reported
with its line number and reason; a file with any bad row is refused whole.  A reason is a code and its parameters
(:class:`Problem`), worded in Chinese or English by :mod:`hub.core.words`.  Writing produces UTF-8 with a BOM,
Chinese headers and CRLF line ends, which Excel and WPS open without asking.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from gwcommon.exc import BadTagId, GatewardenError
from gwcommon.tagid import MAX_TAG_ID_LENGTH, parse_tag_id
from hub.core.csvsafe import neutralise_row, restore
from hub.core.lineproblem import LineProblem

from hub.core import words
from hub.core.plates import BadMobile, BadPlate, normalize_plate, parse_phones, parse_plate

from .sheet import SheetError, read_table

COLUMNS = ("plate", "household", "owner", "mobile", "tag", "note")
CHINESE = {"plate": "车牌", "household": "房号", "owner": "车主", "mobile": "手机", "tag": "标签", "note": "备注"}
SYNONYMS = {
    "plate": ("车牌号", "车牌号码", "车号", "plateno", "plate_no", "licenseplate", "licence_plate"),
    "household": ("门牌", "门牌号", "房号", "房间号", "户号", "住户", "house", "room", "unit"),
    "owner": ("姓名", "车主姓名", "业主", "业主姓名", "name", "ownername"),
    "mobile": ("电话", "联系电话", "手机号", "手机号码", "电话号码", "联系方式", "phone", "tel", "telephone"),
    "tag": ("标签号", "标签编号", "蓝牙标签", "tags", "tagid", "tag_id"),
    "note": ("备注说明", "说明", "notes", "remark", "remarks", "comment"),
}
_ALIASES = {**{c: c for c in COLUMNS}, **{zh: en for en, zh in CHINESE.items()},
            **{word: column for column, words in SYNONYMS.items() for word in words}}
_MARKS = re.compile(r"[(（\[【].*?[)）\]】]|[*＊:：\s]")  # "房号（必填）", "*车牌", "手机:"
REQUIRED = ("plate", "household")
_TAG_SPLIT = re.compile(r"[;；,，|\s]+")
_LIMITS = {"household": 64, "owner": 64, "note": 500}
_TAG_SCHEMES = ("ibeacon", "eddystone", "eid", "mac", "plate")


class RegistryFileError(GatewardenError, ValueError):
    """The registry file cannot be imported; ``problems`` lists every bad line (the message, for
    logs, is the first one in English)."""

    def __init__(self, problems: list["Problem"]):
        self.problems = problems
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{first}{more}")


@dataclass(frozen=True)
class Problem(LineProblem):
    """One bad line of the file: its number (the header is line 1), a code of
    :data:`hub.core.words.MESSAGES` and the code's parameters."""

    words = words


def _problem(line: int, code: str, **params: Any) -> Problem:
    return Problem(line, code, params)


@dataclass(frozen=True)
class RegistryFile:
    """A readable registry file: its vehicles, the columns it had that are not imported, and notes
    about what was read differently from what was written (``O`` read as ``0``)."""

    rows: list["VehicleRow"]
    ignored: tuple[str, ...] = ()
    notes: tuple[Problem, ...] = ()
    encoding: str = "utf-8"


@dataclass(frozen=True)
class VehicleRow:
    """One vehicle as the file describes it."""

    line: int
    plate: str
    household: str
    owner: str = ""
    mobile: str = ""
    note: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)


def decode(data: bytes) -> tuple[str, str]:
    """The text of the file and the encoding it was in (``utf-8-sig``, ``utf-8``, ``gb18030``, ``utf-16``)."""
    from .sheet import decode as decode_text

    try:
        return decode_text(data)
    except SheetError as exc:
        raise RegistryFileError([_problem(exc.line, exc.code, **exc.params)]) from None


def parse(data: bytes) -> list[VehicleRow]:
    """Every vehicle of the file, or :class:`RegistryFileError` listing every bad line."""
    return read(data).rows


def read(data: bytes) -> RegistryFile:
    """The file's vehicles with what was ignored and noted, or :class:`RegistryFileError`."""
    try:
        table = read_table(data)
    except SheetError as exc:
        raise RegistryFileError([_problem(exc.line, exc.code, **exc.params)]) from None
    lines = iter(table.rows)
    first = next(lines, None)
    if first is None or not any(c.strip() for c in first[1]):
        raise RegistryFileError([_problem(1, "empty_file")])
    columns, ignored, problems = _header(first[1])
    if problems:
        raise RegistryFileError(problems)
    rows: list[VehicleRow] = []
    notes: list[Problem] = []
    for line, cells in lines:
        if not any(c.strip() for c in cells):
            continue
        try:
            row, noted = _row(line, cells, columns)
        except RegistryFileError as exc:
            problems.extend(exc.problems)
            continue
        rows.append(row)
        notes.extend(noted)
    problems.extend(_conflicts(rows))
    if problems:
        raise RegistryFileError(sorted(problems, key=lambda p: p.line))
    return RegistryFile(rows, tuple(ignored), tuple(notes), table.encoding)


def header_key(name: str) -> str | None:
    """The column a header cell names (``"联系电话"`` → ``"mobile"``), or None."""
    folded = unicodedata.normalize("NFKC", name).lstrip("\ufeff").strip().lower()
    return _ALIASES.get(folded) or _ALIASES.get(_MARKS.sub("", folded))


def _header(header: list[str]) -> tuple[list[str], list[str], list[Problem]]:
    """The column of each header cell (``?n`` for one not imported), the names of those not
    imported, and the header's problems (a column twice, a required column missing)."""
    columns, ignored, problems = [], [], []
    for index, name in enumerate(header):
        key = header_key(name)
        if key is None:
            if name.strip():
                ignored.append(name.strip())
        elif key in columns:
            problems.append(_problem(1, "duplicate_column", name=name.strip()))
        columns.append(key or f"?{index}")
    for needed in REQUIRED:
        if needed not in columns:
            problems.append(_problem(1, "missing_column", label=CHINESE[needed], column=needed))
    return columns, ignored, problems


def _row(line: int, cells: list[str], columns: list[str]) -> tuple[VehicleRow, list[Problem]]:
    if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns):]):
        raise RegistryFileError([_problem(line, "too_many_cells", cells=len(cells), columns=len(columns))])
    values = {col: (restore(cells[i].strip()) if i < len(cells) else "") for i, col in enumerate(columns)}
    reasons: list[tuple[str, dict]] = []
    given, notes = values["plate"], []
    folded = fold_plate(given)
    if folded != normalize_plate(given):
        notes.append(_problem(line, "plate_folded", given=given, plate=folded))
    plate = _check(reasons, parse_plate, folded, "plate_missing")
    household = values["household"]
    if not household:
        reasons.append(("household_missing", {}))
    mobile = _check(reasons, parse_phones, values.get("mobile", ""), None) if values.get("mobile") else ""
    tags = _tags(reasons, values.get("tag", ""))
    for name, limit in _LIMITS.items():
        if len(values.get(name, "")) > limit:
            reasons.append(("too_long", {"column": name, "label": CHINESE[name], "limit": limit}))
    if reasons:
        raise RegistryFileError([Problem(line, code, params) for code, params in reasons])
    row = VehicleRow(line, plate, household, values.get("owner", ""), mobile, values.get("note", ""), tags)
    return row, notes


def check_row(values: dict[str, str]) -> tuple[VehicleRow, list[Problem]]:
    """One vehicle typed into the web form (column name → text), checked by exactly the rules of a
    row of the file: the row and its notes, or :class:`RegistryFileError` with every reason."""
    return _row(0, [values.get(c, "") for c in COLUMNS], list(COLUMNS))


def fold_plate(text: str) -> str:
    """The plate with ``O``→``0`` and ``I``→``1`` after the city letter (Chinese plates use neither
    letter there; a sheet typed by hand often does)."""
    plate = normalize_plate(text)
    return plate[:2] + plate[2:].replace("O", "0").replace("I", "1")


def _check(reasons: list[tuple[str, dict]], parser, text: str, missing: str | None) -> str:
    if not text and missing:
        reasons.append((missing, {}))
        return ""
    try:
        return parser(text)
    except (BadPlate, BadMobile) as exc:
        reasons.append((exc.code, exc.params))
        return ""


def _tags(reasons: list[tuple[str, dict]], text: str) -> tuple[str, ...]:
    tags: list[str] = []
    for piece in filter(None, _TAG_SPLIT.split(text)):
        try:
            tag = parse_tag_id(piece).text
        except BadTagId:
            reasons.append(tag_reason(piece))
            continue
        if tag not in tags:
            tags.append(tag)
    return tuple(tags)


def tag_reason(piece: str) -> tuple[str, dict]:
    """Why ``piece`` is not a tag id (gwcommon.tagid refused it), as a code and parameters."""
    if len(piece) > MAX_TAG_ID_LENGTH:
        return "tag_too_long", {"tag": piece[:24], "length": len(piece), "limit": MAX_TAG_ID_LENGTH}
    scheme = piece.partition(":")[0].lower()
    return (f"tag_{scheme}" if ":" in piece and scheme in _TAG_SCHEMES else "tag_scheme"), {"tag": piece}


def _conflicts(rows: list[VehicleRow]) -> list[Problem]:
    problems, plates, tags = [], {}, {}
    for row in rows:
        if row.plate in plates:
            problems.append(_problem(row.line, "duplicate_plate", plate=row.plate, first=plates[row.plate]))
        plates.setdefault(row.plate, row.line)
        for tag in row.tags:
            owner = tags.get(tag)
            if owner and owner[0] != row.plate:
                problems.append(_problem(row.line, "tag_taken", tag=tag, plate=owner[0], first=owner[1]))
            tags.setdefault(tag, (row.plate, row.line))
    return problems


def render(vehicles: list[dict], lang: str = "zh") -> bytes:
    """The registry file for ``vehicles`` (dicts with the column names, ``tag`` a list); its
    headings in ``lang`` (Chinese, or the English column names: the import reads both)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(list(COLUMNS) if lang == "en" else [CHINESE[c] for c in COLUMNS])
    for v in vehicles:
        writer.writerow(neutralise_row([v["plate"], v["household"], v.get("owner", ""), v.get("mobile", ""),
                                        ";".join(v.get("tags", ())), v.get("note", "")]))
    return "\ufeff".encode("utf-8") + out.getvalue().encode("utf-8")

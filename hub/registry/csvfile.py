"""The resident registry file (docs/contract.md §3): CSV as Excel and WPS save it.

Reading accepts UTF-8 with or without a BOM and GB18030/GBK (what Excel writes on a Chinese
Windows), headers in Chinese or English in any order, and reports *every* bad row with its line
number and reason; a file with any bad row is refused whole.  A reason is a code and its parameters
(:class:`Problem`), worded in Chinese or English by :mod:`hub.core.words`.  Writing produces UTF-8 with a BOM,
Chinese headers and CRLF line ends, which Excel and WPS open without asking.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from gwcommon.exc import BadTagId, GatewardenError
from gwcommon.tagid import MAX_TAG_ID_LENGTH, parse_tag_id
from hub.core.lineproblem import LineProblem

from hub.core import words
from hub.core.plates import BadMobile, BadPlate, parse_mobile, parse_plate

COLUMNS = ("plate", "household", "owner", "mobile", "tag", "note")
CHINESE = {"plate": "车牌", "household": "房号", "owner": "车主", "mobile": "手机", "tag": "标签", "note": "备注"}
_ALIASES = {**{c: c for c in COLUMNS}, **{zh: en for en, zh in CHINESE.items()}}
REQUIRED = ("plate", "household")
_TAG_SPLIT = re.compile(r"[;；,，|\s]+")
_LIMITS = {"household": 64, "owner": 64, "note": 500}
_TAG_SCHEMES = ("ibeacon", "eddystone", "eid", "mac")


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
    """The text of the file and the encoding it was in (``utf-8-sig``, ``utf-8`` or ``gb18030``)."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise RegistryFileError([_problem(_line_of(data, exc.start + 3), "bom_not_utf8")]) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise RegistryFileError([_problem(_line_of(data, exc.start), "bad_encoding")]) from None


def _line_of(data: bytes, offset: int) -> int:
    return data[:offset].count(b"\n") + 1


def parse(data: bytes) -> list[VehicleRow]:
    """Every vehicle of the file, or :class:`RegistryFileError` listing every bad line."""
    text, _ = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise RegistryFileError([_problem(1, "empty_file")])
    columns, problems = _header(header)
    if problems:
        raise RegistryFileError(problems)
    rows: list[VehicleRow] = []
    start = reader.line_num + 1
    for cells in reader:
        line, start = start, reader.line_num + 1
        if not any(c.strip() for c in cells):
            continue
        try:
            rows.append(_row(line, cells, columns))
        except RegistryFileError as exc:
            problems.extend(exc.problems)
    problems.extend(_conflicts(rows))
    if problems:
        raise RegistryFileError(sorted(problems, key=lambda p: p.line))
    return rows


def _header(header: list[str]) -> tuple[list[str], list[Problem]]:
    columns, problems = [], []
    for index, name in enumerate(header):
        key = _ALIASES.get(name.strip().lstrip("\ufeff").lower())
        if key is None:
            problems.append(_problem(1, "unknown_column", name=name.strip(),
                                     known=", ".join(f"{CHINESE[c]}/{c}" for c in COLUMNS)))
        elif key in columns:
            problems.append(_problem(1, "duplicate_column", name=name.strip()))
        columns.append(key or f"?{index}")
    for needed in REQUIRED:
        if needed not in columns:
            problems.append(_problem(1, "missing_column", label=CHINESE[needed], column=needed))
    return columns, problems


def _row(line: int, cells: list[str], columns: list[str]) -> VehicleRow:
    if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns):]):
        raise RegistryFileError([_problem(line, "too_many_cells", cells=len(cells), columns=len(columns))])
    values = {col: (cells[i].strip() if i < len(cells) else "") for i, col in enumerate(columns)}
    reasons: list[tuple[str, dict]] = []
    plate = _check(reasons, parse_plate, values["plate"], "plate_missing")
    household = values["household"]
    if not household:
        reasons.append(("household_missing", {}))
    mobile = _check(reasons, parse_mobile, values.get("mobile", ""), None) if values.get("mobile") else ""
    tags = _tags(reasons, values.get("tag", ""))
    for name, limit in _LIMITS.items():
        if len(values.get(name, "")) > limit:
            reasons.append(("too_long", {"column": name, "label": CHINESE[name], "limit": limit}))
    if reasons:
        raise RegistryFileError([Problem(line, code, params) for code, params in reasons])
    return VehicleRow(line, plate, household, values.get("owner", ""), mobile, values.get("note", ""), tags)


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


def render(vehicles: list[dict]) -> bytes:
    """The registry file for ``vehicles`` (dicts with the column names, ``tag`` a list)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([CHINESE[c] for c in COLUMNS])
    for v in vehicles:
        writer.writerow([v["plate"], v["household"], v.get("owner", ""), v.get("mobile", ""),
                         ";".join(v.get("tags", ())), v.get("note", "")])
    return "\ufeff".encode("utf-8") + out.getvalue().encode("utf-8")

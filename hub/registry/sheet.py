"""A committee's sheet as rows of text cells, whatever Excel or WPS saved it as (登记表文件).

Accepted: an Excel workbook (``.xlsx``, what WPS saves by default; the first sheet), and text —
UTF-8 with or without a BOM, GB18030/GBK (Excel's "CSV" on a Chinese Windows), UTF-16 (Excel's
"Unicode 文本") — separated by commas, semicolons or tabs (sniffed from the header line).
Each row comes with the line number a committee member sees in Excel (the header is line 1).

Numbers in a workbook are turned back into the text that was typed: ``13800138000.0`` →
``13800138000``.  A cell Excel has already shown as ``1.38001E+10`` cannot be recovered here (the
digits are gone) — the registry's mobile check says so in words.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

XLSX_MAGIC = b"PK\x03\x04"
DELIMITERS = (",", ";", "\t")
MAX_ROWS = 20_000


@dataclass(frozen=True)
class Table:
    """The sheet: ``rows`` are (line, cells); ``encoding`` says what was read (``xlsx``, ``utf-8-sig``…)."""

    rows: list[tuple[int, list[str]]]
    encoding: str
    delimiter: str


class SheetError(ValueError):
    """The file cannot be read as a sheet: ``code`` (of the registry's messages), ``line`` and ``params``."""

    def __init__(self, code: str, line: int = 1, **params: object):
        super().__init__(code)
        self.code, self.line, self.params = code, line, params


def read_table(data: bytes) -> Table:
    """The sheet's rows as text, or :class:`SheetError`."""
    if data.startswith(XLSX_MAGIC):
        return Table(_xlsx_rows(data), "xlsx", "")
    text, encoding = decode(data)
    delimiter = sniff(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for cells in reader:
            rows.append((start, cells))
            start = reader.line_num + 1
            if len(rows) > MAX_ROWS:
                raise SheetError("too_many_rows", start, limit=MAX_ROWS)
    except csv.Error:
        raise SheetError("unterminated_quote", start) from None
    return Table(rows, encoding, delimiter)


def decode(data: bytes) -> tuple[str, str]:
    """The text and its encoding: UTF-16 (with a BOM, or text full of NULs), UTF-8 (BOM or not), GB18030."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _decode(data, "utf-16")
    head = data[:4096]
    if b"\x00" in head:  # no text CSV holds a NUL: UTF-16 without its mark; NULs at odd offsets → LE
        odd, even = head[1::2].count(b"\x00"), head[0::2].count(b"\x00")
        return _decode(data, "utf-16-le" if odd >= even else "utf-16-be")
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise SheetError("bom_not_utf8", _line_of(data, exc.start + 3)) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    return _decode(data, "gb18030")


def _decode(data: bytes, encoding: str) -> tuple[str, str]:
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError as exc:
        raise SheetError("bad_encoding", _line_of(data, exc.start)) from None


def _line_of(data: bytes, offset: int) -> int:
    return data[:offset].count(b"\n") + 1


def sniff(text: str) -> str:
    """The separator of the header line: the most frequent of comma, semicolon and tab."""
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _xlsx_rows(data: bytes) -> list[tuple[int, list[str]]]:
    try:
        from openpyxl import load_workbook
    except ImportError:  # the hub's install brings openpyxl; a bare library install may not
        raise SheetError("xlsx_unsupported") from None
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # a damaged or encrypted workbook raises many kinds; all mean "cannot read"
        raise SheetError("xlsx_unreadable") from None
    try:
        sheet = book.worksheets[0]
        rows = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > MAX_ROWS:
                raise SheetError("too_many_rows", number, limit=MAX_ROWS)
            rows.append((number, [cell_text(v) for v in values]))
        return rows
    except SheetError:
        raise
    except Exception:  # the workbook is read lazily: a damaged part shows only now (or no sheet at all)
        raise SheetError("xlsx_unreadable") from None
    finally:
        book.close()


def cell_text(value: object) -> str:
    """A workbook cell as the text that was typed: whole floats lose their ``.0``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return str(value).strip()


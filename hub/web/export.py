"""Tables to save (导出): the committee's CSV and Excel files of violations, the diary, passages and
charging incidents.

An area's page hands :func:`download` the headings (already in the reader's language) and its rows
(labels, not ids; times in the site's zone), usually a generator that reads the database a batch at
a time (:func:`paged`).  CSV is UTF-8 with a BOM (Excel and WPS then read Chinese right) and is
streamed, so a year of passages needs no memory; every cell is formula-safe
(:mod:`hub.core.csvsafe`).  Excel (.xlsx, through openpyxl) writes text cells as text, never as
formulas; a sheet holds at most 1,048,576 rows, and a longer export ends with a row that says so.
"""

from __future__ import annotations

import csv
import io
from typing import Any, Callable, Iterable, Iterator, Sequence

from fastapi.responses import Response, StreamingResponse

from hub.core.csvsafe import neutralise_row

from . import i18n
from .context import NotFound

FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_ROWS = 1_048_576 - 2  # Excel's last row is 1,048,576: one for the headings, one for the note
BATCH = 500


def check_format(fmt: str) -> str:
    """``csv`` or ``xlsx``; anything else is a 404 (the address names a file that does not exist)."""
    if fmt not in FORMATS:
        raise NotFound("err.not_found")
    return fmt


def paged(fetch: Callable[[Any, int], list], cursor_of: Callable[[Any], Any], batch: int = BATCH) -> Iterator[Any]:
    """Every row of a keyset-paged query: ``fetch(after, limit)`` gives the rows after cursor
    ``after`` (None: from the start); ``cursor_of(row)`` the cursor of a row.  Each batch is read
    when it is needed (call ``ctx.reader()`` inside ``fetch``: a streamed response may resume on
    another thread)."""
    after = None
    while True:
        rows = fetch(after, batch)
        yield from rows
        if len(rows) < batch:
            return
        after = cursor_of(rows[-1])


def csv_pieces(headings: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """The CSV file in pieces: BOM and headings first, then about ``BATCH`` rows a piece."""
    out = io.StringIO()
    writer = csv.writer(out)
    out.write("\ufeff")
    writer.writerow(neutralise_row(headings))
    for count, row in enumerate(rows, start=1):
        writer.writerow(neutralise_row("" if v is None else v for v in row))
        if count % BATCH == 0:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")


def xlsx_bytes(headings: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet: str, too_many: str) -> bytes:
    """The rows as one .xlsx sheet; text stays text (``=…`` is not a formula); ``too_many`` is the
    last row's words when the rows do not fit in a sheet."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook(write_only=True)
    page = book.create_sheet(title=sheet[:31])

    def cell(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if not value.startswith("="):
            return value
        text = WriteOnlyCell(page, value)
        text.data_type = "s"  # openpyxl would take a leading = for a formula
        return text

    page.append([cell(h) for h in headings])
    for count, row in enumerate(rows):
        if count == XLSX_ROWS:
            page.append([too_many])
            break
        page.append([cell("" if v is None else v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download(fmt: str, filename: str, lang: str, *, sheet: str, headings: Sequence[str],
             rows: Iterable[Sequence[Any]]) -> Response:
    """The file to save, ``filename`` + ``.csv`` or ``.xlsx`` (ASCII), never cached; ``sheet`` and
    ``headings`` are catalogue keys (:mod:`hub.web.i18n`), worded in ``lang``."""
    _ = i18n.translator(lang)
    titles = [_(key) for key in headings]
    headers = {"Content-Disposition": f'attachment; filename="{filename}.{fmt}"', "Cache-Control": "no-store"}
    if check_format(fmt) == "csv":
        return StreamingResponse(csv_pieces(titles, rows), media_type="text/csv; charset=utf-8", headers=headers)
    return Response(xlsx_bytes(titles, rows, sheet=_(sheet), too_many=_("exp.too_many")), media_type=XLSX_TYPE,
                    headers=headers)


def span(form: dict) -> str:
    """The date range of a filter form for a file name: ``2026-03-01_2026-03-07`` (ASCII only)."""
    parts = [form.get("from") or "start", form.get("to") or "now"]
    return "_".join("".join(c for c in p if c.isascii() and (c.isalnum() or c == "-"))[:10] or "x" for p in parts)

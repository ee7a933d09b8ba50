"""Formula-safe CSV cells (CSV 公式注入防护), the way OWASP recommends.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
Excel and WPS: a plate, note or name typed as ``=HYPERLINK(…)`` would run when the committee opens
an export.  :func:`neutralise` prefixes such a cell with a single quote (the spreadsheet then shows
it as text); :func:`restore` takes that quote off again when a file we exported is imported, so
``+8613800001111`` and ``-`` survive a round trip.  A cell that itself begins with a quote gets
one more, so that it survives the round trip too (``'=x`` exports as ``''=x``, imports as ``'=x``).
Pure functions, no I/O.
"""

from __future__ import annotations

from typing import Any, Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """The cell as it goes into an export: text starting like a formula gets a leading ``'``."""
    if isinstance(value, str) and value.startswith((*FORMULA_START, "'")):
        return "'" + value
    return value


def neutralise_row(values: Iterable[Any]) -> list[Any]:
    return [neutralise(v) for v in values]


def restore(text: str) -> str:
    """The cell as an import reads it: the ``'`` :func:`neutralise` added is taken off."""
    if text.startswith("'") and text[1:].startswith((*FORMULA_START, "'")):
        return text[1:]
    return text

"""The shed's electricity for a month, per circuit, and the bill-sharing table (电费分摊表).

Each charging event carries the meter's ``energy_wh`` total, which the charging device keeps
monotonic (wraps, meter reboots and device restarts included).  A circuit's energy in a month is its
last total before the month ends minus its last total before the month began (or, for a circuit
first heard during the month, its first total in the month).  :func:`share` splits the month's
kWh — and, with a tariff, the amount in yuan — by circuit, with a socket that has its own meter
(``part_of`` a circuit) as a row under its circuit; it is pure.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from gwcommon.timefmt import format_ts


def month_kwh(db: Any, start: datetime, end: datetime) -> dict[str, float]:
    """kWh per circuit in [start, end) from the stored charging events' energy totals."""
    return months_kwh(db, [start, end])[0]


def months_kwh(db: Any, bounds: list[datetime]) -> list[dict[str, float]]:
    """kWh per circuit in each span [bounds[i], bounds[i+1]), in one pass over the charging events.

    A circuit's energy in a span is its last total before the span ends minus its last total
    before it began (or, for a circuit first heard within the span, its first total in it)."""
    edges = [format_ts(b) for b in bounds]
    last_before = ", ".join("max(CASE WHEN ts < ? THEN e END)" for _ in edges)
    first_in = ", ".join("min(CASE WHEN ts >= ? AND ts < ? THEN e END)" for _ in edges[1:])
    params = [*edges, *(x for pair in zip(edges, edges[1:]) for x in pair), edges[-1]]
    rows = db.execute(
        f"SELECT c, {last_before}, {first_in} FROM (SELECT ts, json_extract(body, '$.circuit') AS c, "
        "json_extract(body, '$.energy_wh') AS e FROM events WHERE kind = 'charging' AND ts < ?) "
        "WHERE c IS NOT NULL GROUP BY c", params).fetchall()
    spans: list[dict[str, float]] = [{} for _ in edges[1:]]
    n = len(edges)
    for row in rows:
        circuit, lasts, firsts = row[0], row[1:n + 1], row[n + 1:]
        for i, found in enumerate(spans):
            end_total = lasts[i + 1]
            base = lasts[i] if lasts[i] is not None else firsts[i]
            if end_total is not None and base is not None:
                found[circuit] = max(0.0, (float(end_total) - float(base)) / 1000.0)
    return spans


REST = "*rest"  # the row of a circuit's sockets without a meter of their own


@dataclass(frozen=True)
class Share:
    """One row of the table: a circuit's kWh, its share of the month, and its amount; ``ports``:
    the rows of its separately metered sockets, then :data:`REST` (the rest of the circuit)."""

    circuit: str
    kwh: float
    share: float
    yuan: float | None
    ports: tuple["Share", ...] = ()


def share(kwh: dict[str, float], tariff_yuan_per_kwh: float | None,
          part_of: dict[str, str] | None = None) -> tuple[list[Share], Share]:
    """Rows (most kWh first) and the total row; amounts need a tariff.

    ``part_of`` maps a socket with its own meter to the circuit it is on: when both were heard, the
    socket is a row under its circuit and is counted once (in the circuit's kWh)."""
    nested = {p: c for p, c in (part_of or {}).items() if p in kwh and c in kwh}
    top = {c: v for c, v in kwh.items() if c not in nested}
    total = sum(top.values())

    def row(circuit: str, value: float) -> Share:
        return Share(circuit, round(value, 2), (value / total) if total else 0.0,
                     round(value * tariff_yuan_per_kwh, 2) if tariff_yuan_per_kwh is not None else None)

    rows = []
    for circuit, value in _most_first(top):
        ports = _most_first({p: kwh[p] for p, c in nested.items() if c == circuit})
        subs = tuple(row(p, v) for p, v in ports)
        if subs:
            subs += (row(REST, max(0.0, value - sum(v for _, v in ports))),)
        rows.append(replace(row(circuit, value), ports=subs))
    amount = round(total * tariff_yuan_per_kwh, 2) if tariff_yuan_per_kwh is not None else None
    return rows, Share("", round(total, 2), 1.0 if total else 0.0, amount)


def total_kwh(kwh: dict[str, float], part_of: dict[str, str] | None = None) -> float:
    """The month's kWh of every circuit together, a socket under its circuit counted once."""
    rows, total = share(kwh, None, part_of)
    return total.kwh


def _most_first(kwh: dict[str, float]) -> list[tuple[str, float]]:
    return sorted(kwh.items(), key=lambda item: (-item[1], item[0]))

"""The shed's electricity for a month, per circuit, and the bill-sharing table (电费分摊表).

Each charging event carries the meter's ``energy_wh`` total, which the charging device keeps
monotonic (wraps, meter reboots and device restarts included).  A circuit's energy in a month is its
last total before the month ends minus its last total before the month began (or, for a circuit
first heard during the month, its first total in the month).  :func:`share` splits the month's
kWh — and, with a tariff, the amount in yuan — by circuit; it is pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gwcommon.timefmt import format_ts


def month_kwh(db: Any, start: datetime, end: datetime) -> dict[str, float]:
    """kWh per circuit in [start, end) from the stored charging events' energy totals."""
    rows = db.execute(
        "SELECT json_extract(body, '$.circuit') AS c, "
        "max(CASE WHEN ts < ? THEN json_extract(body, '$.energy_wh') END), "
        "min(CASE WHEN ts >= ? THEN json_extract(body, '$.energy_wh') END), "
        "max(json_extract(body, '$.energy_wh')) "
        "FROM events WHERE kind = 'charging' AND ts < ? GROUP BY c", [format_ts(start), format_ts(start), format_ts(end)])
    found = {}
    for circuit, before, first_in, last in rows:
        if last is None or circuit is None:
            continue
        base = before if before is not None else first_in
        if base is None:
            continue
        found[circuit] = max(0.0, (float(last) - float(base)) / 1000.0)
    return found


@dataclass(frozen=True)
class Share:
    """One row of the table: a circuit's kWh, its share of the month, and its amount."""

    circuit: str
    kwh: float
    share: float
    yuan: float | None


def share(kwh: dict[str, float], tariff_yuan_per_kwh: float | None) -> tuple[list[Share], Share]:
    """Rows (most kWh first) and the total row; amounts need a tariff."""
    total = sum(kwh.values())
    rows = [Share(c, round(v, 2), (v / total) if total else 0.0,
                  round(v * tariff_yuan_per_kwh, 2) if tariff_yuan_per_kwh is not None else None)
            for c, v in sorted(kwh.items(), key=lambda item: (-item[1], item[0]))]
    amount = round(total * tariff_yuan_per_kwh, 2) if tariff_yuan_per_kwh is not None else None
    return rows, Share("", round(total, 2), 1.0 if total else 0.0, amount)

"""The plain-text table ``gatewarden simulate`` prints (see docs/simulator.md for the columns)."""

from __future__ import annotations

from typing import Sequence

from .score import NightScore

COLUMNS = (  # header, width, value
    ("night", 10, lambda s: s.evening),
    ("true", 5, lambda s: str(s.true_violations)),
    ("found", 5, lambda s: str(s.found)),
    ("prec", 6, lambda s: _pct(s.precision)),
    ("recall", 6, lambda s: _pct(s.recall)),
    ("FALSE", 5, lambda s: str(s.false_accusations)),
    ("label", 5, lambda s: str(s.labelled_false)),
    ("prov", 4, lambda s: str(s.provisional_left)),
    ("retr", 4, lambda s: str(s.retracted)),
    ("opened", 9, lambda s: f"{s.residents_opened}/{s.residents}"),
    ("denied", 6, lambda s: f"{s.outsiders_denied}/{s.outsiders}"),
    ("unseen", 6, lambda s: str(s.drives_unseen)),
    ("charging", 8, lambda s: "-" if s.charge_accuracy is None else _pct(s.charge_accuracy)),
)


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%" if value in (0.0, 1.0) else f"{value * 100:.1f}%"


def _row(cells: Sequence[str]) -> str:
    return "  ".join(cell.rjust(width) if i else cell.ljust(width)
                     for i, (cell, (_, width, _)) in enumerate(zip(cells, COLUMNS)))


def render(nights: list[NightScore], overall: NightScore, *, outages: Sequence = (), seconds: float = 0.0) -> str:
    """The per-night table, the total line, the outages and what went wrong, as text."""
    lines = [_row([h for h, _, _ in COLUMNS]), _row(["-" * w for _, w, _ in COLUMNS])]
    lines += [_row([value(s) for _, _, value in COLUMNS]) for s in nights]
    lines += [_row(["-" * w for _, w, _ in COLUMNS]), _row([value(overall) for _, _, value in COLUMNS])]
    if outages:
        lines.append("")
        lines.append("outages:")
        lines += [f"  {o.device:<10} {o.mode:<5} {o.start:%m-%d %H:%M} - {o.end:%H:%M}" for o in outages]
    if overall.details:
        lines.append("")
        lines.append("details:")
        lines += [f"  {d}" for d in overall.details]
    lines.append("")
    verdict = ("no false accusation" if not overall.false_accusations
               else f"{overall.false_accusations} FALSE ACCUSATION(S)")
    lines.append(f"{len(nights)} night(s) in {seconds:.0f} s: {verdict}")
    return "\n".join(lines)

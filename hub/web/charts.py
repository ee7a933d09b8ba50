"""Charts drawn on the server as SVG (no JavaScript, no library, print well, work offline).

A decision module: numbers in, SVG text out, no I/O.  Every label is escaped; the result is
safe to put into a page as markup.
"""

from __future__ import annotations

from html import escape

from .timechart import PALETTE, axis_ticks

WIDTH, HEIGHT, PAD_L, PAD_B, PAD_T = 640, 220, 36, 34, 12
COLOURS = PALETTE  # ten distinct colours: a fifth series never repeats the first


def nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 5 × 10^n)."""
    if value <= 0:
        return 1.0
    step = 1.0
    while step * 10 <= value:
        step *= 10
    for factor in (1, 2, 5, 10):
        if value <= step * factor:
            return step * factor
    return step * 10


def stacked_bars(labels: list[str], series: list[tuple[str, list[float]]], *, title: str,
                 integer: bool = True) -> str:
    """Bars per label, each stacked from the series (name, values); a legend below the title.

    ``integer`` (counts, the default): whole-number ticks; false for measures such as kWh."""
    totals = [round(sum(values[i] for _, values in series), 1) for i in range(len(labels))]
    ticks = axis_ticks(max(totals, default=0), integer=integer)
    top = ticks[-1]
    plot_w, plot_h = WIDTH - PAD_L - 8, HEIGHT - PAD_B - PAD_T - 16
    slot = plot_w / max(1, len(labels))
    parts = [_axis(ticks, plot_h)]
    for i, label in enumerate(labels):
        x, base = PAD_L + i * slot + slot * 0.15, PAD_T + 16 + plot_h
        for k, (name, values) in enumerate(series):
            h = plot_h * values[i] / top
            base -= h
            parts.append(f'<rect x="{x:.1f}" y="{base:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" '
                         f'fill="{COLOURS[k % len(COLOURS)]}"><title>{escape(name)} {values[i]:g}</title></rect>')
        parts.append(f'<text x="{x + slot * 0.35:.1f}" y="{HEIGHT - PAD_B + 16}" font-size="11" '
                     f'text-anchor="middle">{escape(label)}</text>')
        parts.append(f'<text x="{x + slot * 0.35:.1f}" y="{base - 3:.1f}" font-size="11" '
                     f'text-anchor="middle">{totals[i]:g}</text>')
    parts.append(_legend([name for name, _ in series]))
    return _svg(title, parts)


def _axis(ticks: list[float], plot_h: float) -> str:
    lines = []
    for value in ticks:
        y = PAD_T + 16 + plot_h * (1 - value / ticks[-1])
        lines.append(f'<line x1="{PAD_L}" y1="{y:.1f}" x2="{WIDTH - 8}" y2="{y:.1f}" stroke="#d8dde4"/>'
                     f'<text x="{PAD_L - 4}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{value:g}</text>')
    return "".join(lines)


def _legend(names: list[str]) -> str:
    items = []
    for k, name in enumerate(names):
        x = PAD_L + k * 130
        items.append(f'<rect x="{x}" y="2" width="10" height="10" fill="{COLOURS[k % len(COLOURS)]}"/>'
                     f'<text x="{x + 14}" y="11" font-size="11">{escape(name)}</text>')
    return "".join(items)


def _svg(title: str, parts: list[str]) -> str:
    return (f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'aria-label="{escape(title)}"><title>{escape(title)}</title>{"".join(parts)}</svg>')

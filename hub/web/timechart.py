"""A chart over time, drawn on the server as SVG: what the committee reads at a glance, and prints.

A decision module (numbers in, SVG text out, no I/O).  One chart can carry, besides its lines:

* reference lines (a breaker's rating, its alarm level) with their labels;
* shaded bands (the night) and labelled markers (incidents, a deadline);
* a count drawn as a step line on its own right-hand axis, with whole-number ticks only.

Colours come from :func:`colour`: ten distinct ones before any repeats, and a repeat is dashed, so
a fifth (or eleventh) circuit never looks like the first.  Every label is escaped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

WIDTH, HEIGHT, PAD_L, PAD_R, PAD_B, PAD_T = 640, 250, 44, 36, 34, 40
PALETTE = ("#0b5cad", "#b3261e", "#1b7f3a", "#9a6100", "#6a3d9a", "#00838f", "#c2185b", "#5c6675",
           "#827717", "#3949ab")
DASHES = ("", "6 3", "2 3")


def colour(k: int) -> tuple[str, str]:
    """The ``k``-th series' colour and dash pattern: distinct for 30 series."""
    return PALETTE[k % len(PALETTE)], DASHES[(k // len(PALETTE)) % len(DASHES)]


def nice_step(top: float, *, integer: bool = False, ticks: int = 4) -> float:
    """A round tick step (1, 2, 5 × 10^n) giving about ``ticks`` ticks up to ``top``; ≥ 1 for counts."""
    raw = max(top, 1e-9) / ticks
    step = 10 ** int(f"{raw:e}".split("e")[1])
    for factor in (1, 2, 5, 10):
        if raw <= step * factor:
            step *= factor
            break
    return max(1.0, round(step)) if integer else step


def axis_ticks(top: float, *, integer: bool = False) -> list[float]:
    """Tick values from 0 to at least ``top``, at least two (whole numbers only for counts)."""
    step = nice_step(top, integer=integer) if top > 0 else 1.0
    values, v = [0.0], 0.0
    while v < top - 1e-9 or len(values) < 2:
        v += step
        values.append(round(v, 9))
    return values


@dataclass(frozen=True)
class Series:
    name: str
    points: list[tuple[float, float]]


@dataclass(frozen=True)
class RefLine:
    value: float
    label: str
    colour: str = "#b3261e"
    dash: str = "5 3"


@dataclass(frozen=True)
class Band:
    start: float
    end: float
    label: str = ""


@dataclass(frozen=True)
class Marker:
    at: float
    label: str
    colour: str = "#b3261e"
    shown: bool = False  # the label written beside the marker (else only on hover)


@dataclass
class TimeChart:
    """Everything one chart shows; :func:`render` draws it."""

    title: str
    x_span: tuple[float, float]
    x_ticks: list[tuple[float, str]]
    series: list[Series] = field(default_factory=list)
    unit: str = ""
    integer: bool = False                 # the left axis counts (whole-number ticks)
    refs: list[RefLine] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    steps: Series | None = None           # a count on the right-hand axis
    steps_unit: str = ""
    first_colour: int = 0                 # so one circuit keeps its colour across charts


def render(chart: TimeChart) -> str:
    x0, x1 = chart.x_span
    plot_w, plot_h = WIDTH - PAD_L - PAD_R, HEIGHT - PAD_B - PAD_T
    sx = plot_w / max(1e-9, x1 - x0)
    top = max([y for s in chart.series for _, y in s.points] + [r.value for r in chart.refs] + [0.0])
    left = axis_ticks(top, integer=chart.integer)

    def X(x: float) -> float:
        return PAD_L + (min(max(x, x0), x1) - x0) * sx

    def Y(y: float, scale: float) -> float:
        return PAD_T + plot_h * (1 - y / scale)

    parts = [_bands(chart.bands, X, plot_h), _grid(left, lambda v: Y(v, left[-1]), chart.integer)]
    parts += [_x_ticks(chart.x_ticks, X)]
    for ref in chart.refs:
        y = Y(ref.value, left[-1])
        parts.append(f'<g class="ref"><line x1="{PAD_L}" y1="{y:.1f}" x2="{PAD_L + plot_w}" y2="{y:.1f}" '
                     f'stroke="{ref.colour}" stroke-dasharray="{ref.dash}"/><text x="{PAD_L + plot_w - 2}" '
                     f'y="{y - 3:.1f}" font-size="10" text-anchor="end" fill="{ref.colour}">{escape(ref.label)}</text></g>')
    for k, s in enumerate(chart.series):
        hue, dash = colour(chart.first_colour + k)
        coords = " ".join(f"{X(x):.1f},{Y(y, left[-1]):.1f}" for x, y in s.points)
        if coords:
            dashed = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(f'<polyline class="series" fill="none" stroke="{hue}" stroke-width="1.6"{dashed} '
                         f'points="{coords}"><title>{escape(s.name)}</title></polyline>')
    if chart.steps is not None:
        parts.append(_steps(chart.steps, X, Y, plot_w, chart.steps_unit))
    parts += [_marker(m, X(m.at), plot_h) for m in chart.markers if x0 <= m.at <= x1]
    if chart.unit:
        parts.append(f'<text x="{PAD_L - 4}" y="{PAD_T - 4}" font-size="10" text-anchor="end">{escape(chart.unit)}</text>')
    parts.append(_legend(chart))
    parts.append(f'<text class="heading" x="{PAD_L}" y="13" font-size="12" font-weight="bold">'
                 f'{escape(chart.title)}</text>')
    return (f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'aria-label="{escape(chart.title)}"><title>{escape(chart.title)}</title>{"".join(parts)}</svg>')


def _grid(values: list[float], y_of, integer: bool) -> str:
    out = []
    for v in values:
        y = y_of(v)
        label = f"{int(round(v))}" if integer or float(v).is_integer() else f"{v:g}"
        out.append(f'<line x1="{PAD_L}" y1="{y:.1f}" x2="{WIDTH - PAD_R}" y2="{y:.1f}" stroke="#d8dde4"/>'
                   f'<text class="tick-left" x="{PAD_L - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{label}</text>')
    return "".join(out)


def _x_ticks(ticks: list[tuple[float, str]], X) -> str:
    return "".join(f'<text x="{X(at):.1f}" y="{HEIGHT - PAD_B + 15}" font-size="10" text-anchor="middle">'
                   f'{escape(label)}</text>' for at, label in ticks)


def _bands(bands: list[Band], X, plot_h: float) -> str:
    out = []
    for b in bands:
        x, w = X(b.start), X(b.end) - X(b.start)
        if w <= 0:
            continue
        out.append(f'<g class="band"><rect x="{x:.1f}" y="{PAD_T}" width="{w:.1f}" height="{plot_h:.1f}" '
                   f'fill="#1f2a44" fill-opacity="0.08"/>'
                   + (f'<text x="{x + 3:.1f}" y="{PAD_T + 11}" font-size="10" fill="#5c6675">{escape(b.label)}</text>'
                      if b.label else "") + "</g>")
    return "".join(out)


def _steps(s: Series, X, Y, plot_w: float, unit: str) -> str:
    top = max([y for _, y in s.points] + [1.0])
    ticks = axis_ticks(top, integer=True)
    scale = ticks[-1]
    path, last = [], None
    for x, y in s.points:
        if last is not None:
            path.append(f"{X(x):.1f},{Y(last, scale):.1f}")
        path.append(f"{X(x):.1f},{Y(y, scale):.1f}")
        last = y
    right = PAD_L + plot_w
    out = [f'<text class="tick-right" x="{right + 4}" y="{Y(v, scale) + 4:.1f}" font-size="10" fill="#1b7f3a">'
           f'{int(v)}</text>' for v in ticks]
    if unit:
        out.append(f'<text x="{right + 4}" y="{PAD_T - 4}" font-size="10" fill="#1b7f3a">{escape(unit)}</text>')
    if path:
        out.append(f'<polyline class="steps" fill="none" stroke="#1b7f3a" stroke-width="1.4" stroke-dasharray="4 2" '
                   f'points="{" ".join(path)}"><title>{escape(s.name)}</title></polyline>')
    return "".join(out)


def _marker(m: Marker, x: float, plot_h: float) -> str:
    return (f'<g class="marker"><line x1="{x:.1f}" y1="{PAD_T}" x2="{x:.1f}" y2="{PAD_T + plot_h:.1f}" '
            f'stroke="{m.colour}" stroke-width="1"/><path d="M{x - 4:.1f},{PAD_T} L{x + 4:.1f},{PAD_T} L{x:.1f},{PAD_T + 7}" '
            f'fill="{m.colour}"/><title>{escape(m.label)}</title>'
            + (f'<text x="{x + 5:.1f}" y="{PAD_T + 22}" font-size="11" fill="{m.colour}">{escape(m.label)}</text>'
               if m.shown else "") + "</g>")


def _legend(chart: TimeChart) -> str:
    items = [(colour(chart.first_colour + k) + (s.name,)) for k, s in enumerate(chart.series)]
    if chart.steps is not None:
        items.append(("#1b7f3a", "4 2", chart.steps.name))
    out, x = [], PAD_L
    for hue, dash, name in items:
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<g class="legend"><line x1="{x}" y1="24" x2="{x + 16}" y2="24" stroke="{hue}" stroke-width="3"{dashed}/>'
                   f'<text x="{x + 20}" y="28" font-size="11">{escape(name)}</text></g>')
        x += 28 + 12 * len(name) if any(ord(ch) > 0x2E80 for ch in name) else 28 + 7 * len(name)
    return "".join(out)

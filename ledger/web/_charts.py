"""Line charts drawn on the server as SVG: no script, no network, the same in every browser.

:func:`line_chart` draws several series over time (or any number line) against one or two
vertical scales, with horizontal reference lines (a target, the original target), the axes'
labels, and ``<title>``/``<desc>`` so a screen reader names the chart. The page puts a text
alternative next to it (a table or a sentence): the chart only shows what that says.

Colours and strokes come from classes (``koers.css``, ``svg.chart .<class>``): the pages'
Content-Security-Policy allows no inline style.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal
from uuid import uuid4

from markupsafe import Markup, escape

__all__ = ["Reference", "Series", "line_chart"]

X = datetime | Decimal | int | float
Axis = Literal["left", "right"]

WIDTH, HEIGHT = 560, 240
LEFT, RIGHT, TOP, BOTTOM = 52, 40, 14, 40
TICKS = 4


@dataclass(frozen=True)
class Series:
    """One line: its name (in the legend), its points ``(x, y)``, its class, its scale."""

    name: str
    points: Sequence[tuple[X, Decimal | int | float]]
    css: str = "value"
    axis: Axis = "left"


@dataclass(frozen=True)
class Reference:
    """A horizontal line across the chart at ``value`` (a target), labelled on the right."""

    name: str
    value: Decimal | int | float
    css: str = "target"
    axis: Axis = "left"


def _x(value: X) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)


def _span(values: list[float]) -> tuple[float, float]:
    low, high = min(values), max(values)
    if low == high:  # one value: a band around it, so the line sits mid-chart
        pad = abs(low) * 0.1 or 1.0
        return low - pad, high + pad
    pad = (high - low) * 0.05
    return low - pad, high + pad


def _number(value: float, step: float) -> str:
    """A tick label with as many decimals as ticks ``step`` apart need (at most two)."""
    whole = step >= 1 and abs(step - round(step)) < 1e-9
    places = 0 if whole else 1 if step >= 0.1 else 2
    return f"{value:.{places}f}"


def _label(value: float, dates: bool, step: float) -> str:
    return datetime.fromtimestamp(value, UTC).strftime("%d %b") if dates else _number(value, step)


@dataclass(frozen=True)
class _Frame:
    """Where values land on the drawing: the x range and each axis's y range."""

    x_low: float
    x_high: float
    scales: dict[str, tuple[float, float]]
    dates: bool

    def px(self, x: float) -> float:
        return LEFT + (x - self.x_low) / (self.x_high - self.x_low) * (WIDTH - LEFT - RIGHT)

    def py(self, y: float, axis: str) -> float:
        low, high = self.scales[axis]
        inner = HEIGHT - TOP - BOTTOM
        return TOP + inner - (y - low) / (high - low) * inner


def _frame(
    series: Sequence[Series],
    references: Sequence[Reference],
    ranges: dict[str, tuple[float, float] | None],
) -> _Frame:
    xs = [_x(x) for s in series for x, _ in s.points]
    x_low, x_high = (min(xs), max(xs)) if xs else (0.0, 1.0)
    dates = any(isinstance(x, datetime) for s in series for x, _ in s.points)
    if x_low == x_high:  # one moment: a day either side
        pad = 86_400.0 if dates else 1.0
        x_low, x_high = x_low - pad, x_high + pad
    scales: dict[str, tuple[float, float]] = {}
    for axis in ("left", "right"):
        values = [float(y) for s in series if s.axis == axis for _, y in s.points]
        values += [float(r.value) for r in references if r.axis == axis]
        fixed = ranges.get(axis)
        if fixed is not None:
            scales[axis] = fixed
        elif values:
            scales[axis] = _span(values)
    return _Frame(x_low, x_high, scales, dates)


def _axes(frame: _Frame, y_label: str, right_label: str) -> list[str]:
    """The axes with their ticks and labels."""
    bottom, right = HEIGHT - BOTTOM, WIDTH - RIGHT
    parts = [f'<line class="axis" x1="{LEFT}" y1="{bottom}" x2="{right}" y2="{bottom}"/>']
    for axis, anchor, edge, label in (
        ("left", "end", LEFT, y_label),
        ("right", "start", right, right_label),
    ):
        if axis not in frame.scales:
            continue
        at = edge - 6 if axis == "left" else edge + 6
        parts.append(f'<line class="axis" x1="{edge}" y1="{TOP}" x2="{edge}" y2="{bottom}"/>')
        low, high = frame.scales[axis]
        step = (high - low) / TICKS
        for n in range(TICKS + 1):
            value = low + step * n
            mark = escape(_number(value, step))
            parts.append(f'<text x="{at}" y="{frame.py(value, axis) + 4:.1f}" '
                         f'text-anchor="{anchor}">{mark}</text>')  # fmt: skip
        if label:
            x, side = (4, "start") if axis == "left" else (WIDTH - 4, "end")
            parts.append(f'<text class="axis-label" x="{x}" y="{bottom + 34}" '
                         f'text-anchor="{side}">{escape(label)}</text>')  # fmt: skip
    step, shown = (frame.x_high - frame.x_low) / TICKS, ""
    for n in range(TICKS + 1):
        value = frame.x_low + step * n
        tick = _label(value, frame.dates, step)
        if tick == shown:  # a day's ticks say it once
            continue
        shown = tick
        anchor = "start" if n == 0 else "end" if n == TICKS else "middle"
        parts.append(f'<text x="{frame.px(value):.1f}" y="{bottom + 16}" '
                     f'text-anchor="{anchor}">{escape(tick)}</text>')  # fmt: skip
    return parts


def _lines(frame: _Frame, series: Sequence[Series], references: Sequence[Reference]) -> list[str]:
    """The reference lines (labelled) and the series (a line with a dot per point)."""
    parts = []
    for ref in references:
        if ref.axis not in frame.scales:
            continue
        y = frame.py(float(ref.value), ref.axis)
        parts.append(f'<line class="{escape(ref.css)}" x1="{LEFT}" y1="{y:.1f}" '
                     f'x2="{WIDTH - RIGHT}" y2="{y:.1f}"><title>{escape(ref.name)}</title>'
                     f"</line>")  # fmt: skip
        parts.append(f'<text class="ref-label" x="{WIDTH - RIGHT - 2}" y="{y - 4:.1f}" '
                     f'text-anchor="end">{escape(ref.name)}</text>')  # fmt: skip
    for s in series:
        coords = [(frame.px(_x(x)), frame.py(float(y), s.axis)) for x, y in s.points]
        if not coords:
            continue
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline class="{escape(s.css)}" points="{path}">'
                     f"<title>{escape(s.name)}</title></polyline>")  # fmt: skip
        parts.extend(f'<circle class="dot {escape(s.css)}-dot" cx="{x:.1f}" cy="{y:.1f}" '
                     f'r="3"/>' for x, y in coords)  # fmt: skip
    return parts


def line_chart(
    series: Sequence[Series],
    references: Sequence[Reference] = (),
    *,
    title: str,
    desc: str,
    y_label: str = "",
    right_label: str = "",
    right_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    big: bool = False,
) -> Markup:
    """An SVG line chart of ``series`` with ``references`` (horizontal lines); ``right_range``
    fixes the right-hand scale (e.g. confidence 0–10) and ``y_range`` the left one (a retro's
    pulse, 1–5, so two teams' charts compare), else each spans its series. ``title``
    and ``desc`` name and describe the chart to assistive technology; the legend repeats
    the names for sighted readers."""
    ident = f"chart-{uuid4().hex[:8]}"
    frame = _frame(series, references, {"left": y_range, "right": right_range})
    svg = [
        f'<svg class="chart{" big" if big else ""}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{ident}-t {ident}-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{ident}-t">{escape(title)}</title>',
        f'<desc id="{ident}-d">{escape(desc)}</desc>',
        *_axes(frame, y_label, right_label),
        *_lines(frame, series, references),
        "</svg>",
    ]
    keys = [(s.css, s.name) for s in series] + [(r.css, r.name) for r in references]
    legend = "".join(f'<li><span class="key {escape(css)}-key"></span>{escape(name)}</li>'
                     for css, name in keys)  # fmt: skip
    return Markup(f'<figure class="chart">{"".join(svg)}'
                  f'<ul class="legend" aria-hidden="true">{legend}</ul></figure>')  # fmt: skip

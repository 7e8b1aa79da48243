"""The health pulse of a team's retros as a small SVG line chart (drawn on the server).

One point per retro, evenly spaced in the order they were held, on the pulse's fixed scale
1–5 (so two teams' charts compare). The page shows the same numbers in a table next to it;
the chart carries ``<title>``/``<desc>`` for assistive technology. Colours come from
classes in ``koers.css`` (``svg.chart .value``): the pages allow no inline style.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from markupsafe import Markup, escape

__all__ = ["pulse_chart"]

WIDTH, HEIGHT = 480, 200
LEFT, RIGHT, TOP, BOTTOM = 36, 16, 12, 36
LOW, HIGH = 1, 5  # the pulse's scale


def pulse_chart(points: Sequence[tuple[str, Decimal]], *, title: str, desc: str) -> Markup:
    """A line through ``points`` (a label such as the retro's day, and its health 1–5)."""
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = inner_w / max(1, len(points) - 1)

    def x(n: int) -> float:
        return LEFT + (n * step if len(points) > 1 else inner_w / 2)

    def y(score: Decimal | int) -> float:
        return TOP + inner_h - (float(score) - LOW) / (HIGH - LOW) * inner_h

    parts = [
        f'<svg class="chart pulse" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="pulse-t pulse-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="pulse-t">{escape(title)}</title><desc id="pulse-d">{escape(desc)}</desc>',
    ]
    for level in range(LOW, HIGH + 1):
        parts.append(f'<line class="grid" x1="{LEFT}" y1="{y(level):.1f}" x2="{LEFT + inner_w}" '
                     f'y2="{y(level):.1f}"/><text x="{LEFT - 8}" y="{y(level) + 4:.1f}" '
                     f'text-anchor="end">{level}</text>')  # fmt: skip
    coords = [(x(n), y(score)) for n, (_, score) in enumerate(points)]
    if len(coords) > 1:
        line = " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in coords)
        parts.append(f'<polyline class="value" points="{line}"/>')
    last = len(coords) - 1
    for n, ((label, score), (cx, cy)) in enumerate(zip(points, coords, strict=True)):
        anchor = "start" if n == 0 < last else "end" if n == last > 0 else "middle"
        parts.append(f'<circle class="dot" cx="{cx:.1f}" cy="{cy:.1f}" r="4">'
                     f"<title>{escape(label)}: {escape(str(score))}</title></circle>"
                     f'<text x="{cx:.1f}" y="{TOP + inner_h + 20}" text-anchor="{anchor}">'
                     f"{escape(label)}</text>")  # fmt: skip
    parts.append("</svg>")
    return Markup("".join(parts))

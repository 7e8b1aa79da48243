"""The decision-quality charts, drawn on the server as plain SVG (no script, no style
attributes: classes only, for the Content-Security-Policy).

- :func:`calibration_chart`: stated confidence (x) against the share that went as expected
  (y); the diagonal is perfect calibration, each band of a fifth a circle sized by its
  reviews, each reviewed decision a tick at the top (as expected) or the bottom (not);
- :func:`grid_chart`: the process-vs-outcome grid, four squares with their counts;
- :func:`time_chart`: mean days to decide, a bar per door and information band.

Each has a ``<title>`` and ``<desc>``; the page puts a table with the same numbers next to it.
Every text drawn is escaped.
"""

from __future__ import annotations

from decimal import Decimal

from markupsafe import Markup, escape

from projections.decision_quality import Calibration, Grid, TimeToDecide

__all__ = ["calibration_chart", "grid_chart", "time_chart"]

#: The calibration chart's plot area inside its 320 × 300 view box.
LEFT, TOP, SIDE = 50, 15, 240


def _svg(name: str, size: tuple[int, int], words: tuple[str, str], body: list[str]) -> Markup:
    """An SVG chart of ``size`` (width, height) named ``words`` (its title, its description)."""
    (width, height), (title, desc) = size, words
    return Markup(
        f'<svg class="chart {name}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{name}-t {name}-d" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{name}-t">{escape(title)}</title><desc id="{name}-d">{escape(desc)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def _x(value: Decimal) -> float:
    return LEFT + float(value) * SIDE


def _y(value: Decimal) -> float:
    return TOP + (1 - float(value)) * SIDE


def calibration_chart(c: Calibration) -> Markup:
    """Stated confidence against outcome; the Brier score in the description."""
    body = [
        f'<line class="axis" x1="{LEFT}" y1="{TOP + SIDE}" x2="{LEFT + SIDE}" y2="{TOP + SIDE}"/>',
        f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + SIDE}"/>',
        f'<line class="diagonal" x1="{LEFT}" y1="{TOP + SIDE}" x2="{LEFT + SIDE}" y2="{TOP}"/>',
    ]
    for tick in ("0", "0.5", "1"):
        value = Decimal(tick)
        body.append(f'<text x="{_x(value)}" y="{TOP + SIDE + 16}" class="middle">{tick}</text>')
        body.append(f'<text x="{LEFT - 6}" y="{_y(value) + 4}" class="end">{tick}</text>')
    body.append(f'<text x="{LEFT + SIDE / 2}" y="{TOP + SIDE + 34}" class="middle">'
                "stated confidence</text>")  # fmt: skip
    body.append(f'<text x="14" y="{TOP + SIDE / 2}" class="middle" transform="rotate(-90 14 '
                f'{TOP + SIDE / 2})">share as expected</text>')  # fmt: skip
    for point in c.points:
        y = TOP + 6 if point.as_expected else TOP + SIDE - 6
        x = _x(Decimal(point.confidence))
        kind = "yes" if point.as_expected else "no"
        body.append(f'<line class="tick {kind}" x1="{x}" y1="{y - 5}" x2="{x}" y2="{y + 5}"/>')
    for band in c.bands:
        if band.mean_confidence is None or band.share_as_expected is None:
            continue
        radius = 4 + 2 * min(band.reviews, 8)
        body.append(
            f'<circle class="band" cx="{_x(Decimal(band.mean_confidence))}" '
            f'cy="{_y(Decimal(band.share_as_expected))}" r="{radius}"/>'
        )
    brier = c.brier_score if c.brier_score is not None else "none yet"
    desc = (
        f"{c.reviews} reviewed decisions; Brier score {brier} (0 is perfect, always saying "
        f"0.5 scores 0.25). Circles above the diagonal: more went as expected than stated."
    )
    return _svg(
        "calibration", (320, 300), ("Calibration: stated confidence against outcome", desc), body
    )


def grid_chart(grid: Grid) -> Markup:
    """The reviewed decisions by process (rows) and outcome (columns), good = 4 or 5."""
    cells = (
        (0, 0, "good-good", grid.good_process_good_outcome, "earned"),
        (1, 0, "good-bad", grid.good_process_bad_outcome, "bad luck"),
        (0, 1, "bad-good", grid.bad_process_good_outcome, "dumb luck"),
        (1, 1, "bad-bad", grid.bad_process_bad_outcome, "poor"),
    )
    body = [
        '<text x="160" y="14" class="middle">outcome: good · bad</text>',
        '<text x="12" y="110" class="middle" transform="rotate(-90 12 110)">'
        "process: good · bad</text>",
    ]
    for column, row, name, count, words in cells:
        x, y = 30 + column * 130, 24 + row * 90
        body.append(f'<rect class="cell {name}" x="{x}" y="{y}" width="126" height="86"/>')
        body.append(f'<text x="{x + 63}" y="{y + 42}" class="middle count">{count}</text>')
        body.append(f'<text x="{x + 63}" y="{y + 66}" class="middle">{words}</text>')
    desc = (
        f"Good process and good outcome {grid.good_process_good_outcome}; good process, bad "
        f"outcome {grid.good_process_bad_outcome}; bad process, good outcome "
        f"{grid.bad_process_good_outcome}; bad process and bad outcome "
        f"{grid.bad_process_bad_outcome}."
    )
    return _svg("grid", (320, 210), ("Process against outcome", desc), body)


def time_chart(rows: list[TimeToDecide]) -> Markup:
    """Mean days to decide per door and information band (bands with no decision: no bar)."""
    shown = [r for r in rows if r.information != "all"]
    longest = max((Decimal(r.mean_days) for r in shown if r.mean_days), default=Decimal(1))
    body = []
    for n, r in enumerate(shown):
        y = 10 + n * 26
        label = f"{r.reversibility.replace('_', '-')}, {r.information.replace('_', ' ')}"
        body.append(f'<text x="150" y="{y + 14}" class="end">{escape(label)}</text>')
        if r.mean_days:
            width = max(2.0, float(Decimal(r.mean_days) / longest) * 120)
            body.append(f'<rect class="bar" x="156" y="{y + 2}" width="{width}" height="16"/>')
            body.append(f'<text x="{160 + width}" y="{y + 14}">{r.mean_days} d</text>')
        else:
            body.append(f'<text x="160" y="{y + 14}">none decided</text>')
    desc = "; ".join(
        f"{r.reversibility} {r.information}: {r.decided} decided, mean {r.mean_days or '–'} days"
        for r in shown
    )
    return _svg("time", (320, 20 + 26 * len(shown)), ("Mean days to decide", desc), body)

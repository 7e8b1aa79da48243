"""The SVG line chart: one polyline per series on its own scale, reference lines, names
and a description for assistive technology, and every text escaped."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from ledger.web._charts import Reference, Series, line_chart

T0 = datetime(2026, 7, 5, 14, tzinfo=UTC)


def test_series_references_and_texts() -> None:
    days = [T0 + timedelta(weeks=n) for n in range(3)]
    values = [Decimal("240"), Decimal("200"), Decimal("95")]
    chart = str(line_chart(
        [Series("value", list(zip(days, values, strict=True))),
         Series("confidence", [(d, c) for d, c in zip(days, [5, 4, 8], strict=True)],
                css="confidence", axis="right")],
        [Reference("target 90", Decimal(90)), Reference("original <60>", 60, css="original")],
        title="Trend: <script>alert(1)</script>", desc="three check-ins", right_range=(0, 10),
    ))  # fmt: skip
    assert "<script>" not in chart
    assert "Trend: &lt;script&gt;alert(1)&lt;/script&gt;" in chart
    assert re.search(r"<desc id=\"chart-\w+-d\">three check-ins</desc>", chart)
    assert chart.count("<polyline") == 2
    assert chart.count('<line class="target"') == 1
    assert chart.count('<line class="original"') == 1
    assert "original &lt;60&gt;" in chart
    line = re.search(r'<polyline class="value" points="([^"]+)"', chart)
    assert line is not None
    ys = [float(p.split(",")[1]) for p in line[1].split()]
    assert ys[0] < ys[1] < ys[2]  # falling values run down the drawing (y grows downwards)
    confidence = re.search(r'<polyline class="confidence" points="([^"]+)"', chart)
    assert confidence is not None
    cy = [float(p.split(",")[1]) for p in confidence[1].split()]
    assert cy[2] < cy[0] < cy[1]  # on its own 0–10 scale
    assert ">05 Jul<" in chart  # dates on the x axis, in UTC


def test_a_chart_without_points_still_draws_its_references() -> None:
    chart = str(line_chart([Series("value", [])], [Reference("target 5", 5)],
                           title="Nothing yet", desc="No check-ins yet."))  # fmt: skip
    assert "<polyline" not in chart
    assert chart.count('<line class="target"') == 1


def test_ticks_keep_the_decimals_their_step_needs_and_one_moment_gets_a_day_around_it() -> None:
    one = datetime(2026, 7, 23, 9, tzinfo=UTC)
    chart = str(line_chart([Series("retention", [(one, Decimal("103.2"))])],
                           [Reference("target 105", 105)], title="t", desc="d"))  # fmt: skip
    ticks = re.findall(r'text-anchor="end">([\d.]+)</text>', chart)
    assert len(set(ticks)) == len(ticks) == 5, ticks  # 103.1 … 105.1, none alike
    assert re.findall(r">(\d\d \w\w\w)<", chart) == ["22 Jul", "23 Jul", "24 Jul"]

"""The shared ways of summarising a benchmark's figures: medians over repetitions, paired
ratios, and a rate with its range."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def ratio_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def paired_ratio(top: Sequence[float] | None, bottom: Sequence[float] | None) -> float | None:
    """Median over repetitions of top/bottom (the two ran in the same repetition)."""
    if not top or not bottom:
        return None
    return median([x / y for x, y in zip(top, bottom, strict=True)])


def spread(values: Sequence[float] | None, *, thousands_from: float = 1000) -> str:
    """A rate's median and its range over the repetitions: ``12,345 (11.9k-12.8k)``; the
    range's ends count in thousands from ``thousands_from``."""
    if not values:
        return "-"

    def compact(value: float) -> str:
        return f"{value / 1000:.1f}k" if value >= thousands_from else f"{value:,.0f}"

    return f"{median(values):,.0f} ({compact(min(values))}-{compact(max(values))})"

"""Progress, expectation and attainment of one key result (definitions: docs/metrics.md §1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from projections._numbers import ONE, ZERO, clamp, days_between, quarter_bounds

__all__ = ["KEEP", "Measure", "attainment", "elapsed", "expected", "progress"]

KEEP = ("keep_above", "keep_below")


@dataclass(frozen=True)
class Measure:
    metric: str
    start: Decimal
    target: Decimal


def _holds(metric: str, value: Decimal, threshold: Decimal) -> bool:
    return value >= threshold if metric == "keep_above" else value <= threshold


def _ratio(start: Decimal, target: Decimal, value: Decimal) -> Decimal:
    if target == start:  # only a milestone can aim at its start: met once measured
        return ONE
    return (value - start) / (target - start)


def progress(m: Measure, value: Decimal | None) -> Decimal:
    """0–1: how far from start to target the value is (a keep metric: 1 while it holds)."""
    if value is None:
        return ZERO
    if m.metric in KEEP:
        return ONE if _holds(m.metric, value, m.target) else ZERO
    return clamp(_ratio(m.start, m.target, value))


def attainment(m: Measure, target: Decimal, value: Decimal | None) -> Decimal | None:
    """Unclamped share of the way to ``target`` (1.2 = 120 %); ``None`` without a value."""
    if value is None:
        return None
    if m.metric in KEEP:
        return ONE if _holds(m.metric, value, target) else ZERO
    return _ratio(m.start, target, value)


def elapsed(period: str, at: datetime) -> Decimal:
    """Share of the quarter that has passed at ``at`` (0 before it, 1 after it)."""
    start, end = quarter_bounds(period)
    return clamp(days_between(start, at) / days_between(start, end))


def expected(metric: str, period: str, at: datetime) -> Decimal:
    """Progress expected by ``at``: linear over the quarter; a keep metric must always hold."""
    return ONE if metric in KEEP else elapsed(period, at)

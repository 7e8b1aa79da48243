"""Periods, durations and rounding, exactly as ``docs/metrics.md`` defines them.

- A period is a calendar quarter in UTC, ``2026-Q1`` = [2026-01-01T00:00Z, 2026-04-01T00:00Z).
- Durations in days are exact: seconds / 86 400, as a ``Decimal``.
- Every reported number is computed at full ``Decimal`` precision and rounded once, when
  reported, half up (``ROUND_HALF_UP``): ratios and progress to 4 places, days and scores
  to 2 places; reported as text (``"0.4167"``) so JSON keeps them exact.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import overload

__all__ = [
    "ONE",
    "ZERO",
    "clamp",
    "days_between",
    "mean",
    "median",
    "quarter_bounds",
    "quarter_of",
    "r2",
    "r4",
    "ratio",
]

ZERO, ONE = Decimal(0), Decimal(1)
_DAY = Decimal(86_400)
_QUARTER = re.compile(r"(\d{4})-Q([1-4])")


def quarter_of(moment: datetime) -> str:
    """The period (UTC calendar quarter) a moment falls in."""
    utc = moment.astimezone(UTC)
    return f"{utc.year}-Q{(utc.month - 1) // 3 + 1}"


def quarter_bounds(period: str) -> tuple[datetime, datetime]:
    """[start, end) of a quarter such as ``2026-Q1``, in UTC."""
    found = _QUARTER.fullmatch(period.strip())
    if not found:
        raise ValueError(f"{period!r} is not a quarter: write it as 2026-Q1")
    year, quarter = int(found.group(1)), int(found.group(2))
    start = datetime(year, 3 * quarter - 2, 1, tzinfo=UTC)
    end = (
        datetime(year + 1, 1, 1, tzinfo=UTC)
        if quarter == 4
        else (datetime(year, 3 * quarter + 1, 1, tzinfo=UTC))
    )
    return start, end


def days_between(earlier: datetime, later: datetime) -> Decimal:
    """Exact days from ``earlier`` to ``later`` (negative when ``later`` is earlier)."""
    delta = later - earlier
    seconds = Decimal(delta.days) * _DAY + Decimal(delta.seconds)
    return (seconds * 1_000_000 + Decimal(delta.microseconds)) / (_DAY * 1_000_000)


def clamp(value: Decimal, low: Decimal = ZERO, high: Decimal = ONE) -> Decimal:
    return max(low, min(high, value))


def ratio(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """``part / whole``, or ``None`` when ``whole`` is 0 (no data, not 0 %)."""
    if not whole:
        return None
    return Decimal(part) / Decimal(whole)


def mean(values: Iterable[Decimal]) -> Decimal | None:
    items = list(values)
    return sum(items, ZERO) / len(items) if items else None


def median(values: Iterable[Decimal]) -> Decimal | None:
    items = sorted(values)
    if not items:
        return None
    middle = len(items) // 2
    if len(items) % 2:
        return items[middle]
    return (items[middle - 1] + items[middle]) / 2


class _Places:
    """A number as text rounded half up to the places of ``unit`` (``"0.01"``); ``None``
    stays ``None``."""

    def __init__(self, unit: str) -> None:
        self.unit = Decimal(unit)

    @overload
    def __call__(self, value: Decimal) -> str: ...
    @overload
    def __call__(self, value: Decimal | None) -> str | None: ...
    def __call__(self, value: Decimal | None) -> str | None:
        if value is None:
            return None
        return str(value.quantize(self.unit, rounding=ROUND_HALF_UP))


#: A ratio or progress, to 4 places (``"0.4167"``).
r4 = _Places("0.0001")
#: Days or a score, to 2 places (``"3.50"``).
r2 = _Places("0.01")

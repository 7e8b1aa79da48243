"""What every query function shares: the moment it is evaluated at, and row conversion."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from projections._numbers import ZERO, days_between
from projections._sql import Row, moment, parse_moment, placeholders
from projections.views import KoersViews

__all__ = ["as_decimal", "columns", "evaluated_at", "rows_in", "since", "stamp", "track", "when"]

#: Gap between expected and actual progress up to which a goal is on track / at risk.
ON_TRACK_GAP = Decimal("0.10")
AT_RISK_GAP = Decimal("0.25")


def evaluated_at(views: KoersViews, at: datetime | None) -> datetime:
    """``at``, else the moment an "as of" view stands for, else now (UTC)."""
    chosen = at or views.as_of or datetime.now(UTC)
    if chosen.tzinfo is None:
        raise ValueError("'at' needs a time zone (e.g. 2026-03-01T12:00+00:00)")
    return chosen.astimezone(UTC)


def stamp(value: datetime) -> str:
    text = moment(value)
    assert text is not None
    return text


def when(text: str | None) -> datetime | None:
    return None if text is None else parse_moment(text)


def as_decimal(value: Any) -> Decimal:
    return Decimal(str(value))


def columns(row: Row, *names: str) -> dict[str, Any]:
    """The ``names`` columns of ``row`` as they are stored: the keyword arguments for the
    fields of a view's dataclass that carry a column's name and value unchanged."""
    return {name: row[name] for name in names}


def since(earlier: str, at: datetime) -> Decimal:
    """Days from a stored time to ``at``, never below 0."""
    return max(ZERO, days_between(parse_moment(earlier), at))


def rows_in(views: KoersViews, table: str, column: str, values: list[str]) -> list[Row]:
    """Every row of ``table`` whose ``column`` is one of ``values``, by position."""
    if not values:
        return []
    return views.rows(
        f"SELECT * FROM {table} WHERE {column} IN ({placeholders(values)}) ORDER BY position",
        *values,
    )


def track(expected: Decimal, progress: Decimal) -> str:
    """``on_track`` / ``at_risk`` / ``off_track`` by how far progress lags expectation."""
    gap = expected - progress
    if gap <= ON_TRACK_GAP:
        return "on_track"
    if gap <= AT_RISK_GAP:
        return "at_risk"
    return "off_track"

"""View rows as typed values, and the text form of each kind, for analysts' exports.

SQLite keeps times, dates and decimals as text (``projections._sql``); an export hands them
over typed. :func:`typed_value` reads a stored value (text, or already typed, as another
backend's driver returns it) into the Python value of its column's :class:`Kind`:

========== ====================================== ===========================================
kind        Python value                           text form (CSV, JSON Lines)
========== ====================================== ===========================================
timestamp   aware ``datetime`` in UTC              RFC 3339 in UTC with ``Z`` and microseconds:
                                                   ``2026-01-05T09:00:00.000000Z``
date        ``date``                               ISO 8601: ``2026-01-05``
decimal     ``Decimal``: at most 18 digits before  plain, exact, no exponent: ``1234.50``
            the point and 12 after (the bounds of
            ``ledger.domain._fields.Number``)
integer,    ``int`` (64-bit)                       digits: ``42``
bigint
boolean     ``bool``                               ``true`` / ``false``
text        ``str``                                as is
========== ====================================== ===========================================

``NULL`` is an empty CSV field and a JSON ``null``. A stored value that cannot be read as its
kind (a forged event's odd text: ``1E+40`` where a decimal fits 30 digits) does not stop an
export: :func:`typed_rows` writes the cell empty and returns an :class:`OddValue` naming the
table, the row, the column, the stored text and why, for the export's summary.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ledger.domain._fields import DIGITS_AFTER, DIGITS_BEFORE, fits_digits
from projections._schema import Kind
from projections._sql import Row

__all__ = [
    "DECIMAL_PRECISION",
    "DECIMAL_SCALE",
    "OddValue",
    "text_form",
    "typed_row",
    "typed_value",
]

#: Digits after the point a decimal may have (the domain's ``Number``).
DECIMAL_SCALE = DIGITS_AFTER
#: Digits in all (``Number``'s before and after the point): Parquet's ``decimal128(30, 12)``.
DECIMAL_PRECISION = DIGITS_BEFORE + DIGITS_AFTER
_INT64 = (-(2**63), 2**63 - 1)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class OddValue:
    """A stored value an export could not read as its column's kind (written empty)."""

    table: str
    key: dict[str, Any]  # the row's primary key (column -> value)
    column: str
    value: str  # the stored value, as text
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"table": self.table, "key": self.key, "column": self.column,
                "value": self.value, "reason": self.reason}  # fmt: skip


class _NotOfKind(Exception):
    """A value that is not of the kind asked for (its message says why)."""


def _timestamp(value: Any) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(moment, datetime):
        raise _NotOfKind("is not a time")
    if moment.tzinfo is None:
        raise _NotOfKind("is a time without a time zone")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise _NotOfKind("is outside the range of times (years 1 to 9999 in UTC)") from None


def _date(value: Any) -> date:
    if isinstance(value, str):
        if not _DATE.fullmatch(value):
            raise _NotOfKind("is not a date written as 2026-01-05")
        value = date.fromisoformat(value)
    if isinstance(value, datetime) or not isinstance(value, date):
        raise _NotOfKind("is not a date")
    return value


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise _NotOfKind("is not a decimal")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise _NotOfKind("is not a decimal") from None
    if not number.is_finite():
        raise _NotOfKind("is not a finite decimal")
    if not fits_digits(number):
        raise _NotOfKind(
            f"has more than {DIGITS_BEFORE} digits before the point or {DIGITS_AFTER} after"
        )
    return number


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _NotOfKind("is not a whole number")
    number = int(value)
    if not _INT64[0] <= number <= _INT64[1]:
        raise _NotOfKind("is outside the 64-bit range")
    return number


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in (0, 1):
        return bool(value)
    raise _NotOfKind("is not 0 or 1 (no or yes)")


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _NotOfKind("is not text")
    return value


_READ: Mapping[Kind, Callable[[Any], Any]] = {
    Kind.TIMESTAMP: _timestamp,
    Kind.DATE: _date,
    Kind.DECIMAL: _decimal,
    Kind.INTEGER: _integer,
    Kind.BIGINT: _integer,
    Kind.BOOLEAN: _boolean,
    Kind.TEXT: _text,
}


def typed_value(kind: Kind, value: Any) -> Any:
    """``value`` (stored text, or a typed value) as the Python value of ``kind``; ``None``
    stays ``None``. Raises ``ValueError`` saying why when it cannot be read as ``kind``."""
    if value is None:
        return None
    try:
        return _READ[kind](value)
    except _NotOfKind as e:
        raise ValueError(f"{value!r} {e}") from None
    except (ValueError, TypeError, OverflowError):  # fromisoformat's, int()'s, astimezone's
        raise ValueError(f"{value!r} cannot be read as {kind.value}") from None


def text_form(kind: Kind, value: Any) -> str | None:
    """The documented text of a typed value of ``kind`` (see the module's table)."""
    if value is None:
        return None
    if kind is Kind.TIMESTAMP:
        utc = value.astimezone(UTC).replace(tzinfo=None)
        return f"{utc.isoformat(timespec='microseconds')}Z"
    if kind is Kind.DATE:
        return str(value.isoformat())
    if kind is Kind.DECIMAL:
        return format(value, "f")
    if kind is Kind.BOOLEAN:
        return "true" if value else "false"
    return str(value)


def typed_row(
    row: Mapping[str, Any], columns: Sequence[tuple[str, Kind]], name: str, key: Sequence[str]
) -> tuple[Row, list[OddValue]]:
    """``row`` with each column's value typed (:func:`typed_value`); a value that cannot be
    typed is ``None`` and comes back as an :class:`OddValue` of table ``name`` (the row named
    by its ``key`` columns)."""
    typed: Row = {}
    odd: list[OddValue] = []
    for column, kind in columns:
        try:
            typed[column] = typed_value(kind, row[column])
        except ValueError as e:
            typed[column] = None
            odd.append(OddValue(name, {k: row[k] for k in key}, column, str(row[column]), str(e)))
    return typed, odd

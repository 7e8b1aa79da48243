"""Portable SQL: one transaction wrapper, the parameter style in one place, and how values
are written to the view tables.

Every statement in ``projections`` is plain SQL that SQLite (3.24+) and PostgreSQL (9.5+)
both run: ``INSERT``, ``UPDATE`` (also ``col = col + 1``), ``INSERT ... ON CONFLICT (...) DO
UPDATE SET col = excluded.col``, ``SELECT`` with ``WHERE`` / ``ORDER BY``; column types come
from each column's kind (``_schema.SQLITE``, ``_schema.POSTGRES``), and PostgreSQL's typed
values are read back in the text forms below (``_postgres``). Statements are written with
``?`` placeholders; :class:`Tx` turns them into the driver's style (``%s`` for psycopg), so
no literal ``?`` or ``%`` may appear in a statement's text.

Values are stored so that text order is time order and nothing is lost:

- ids: the UUID's canonical text; times: UTC ISO 8601 with microseconds
  (``2026-01-05T09:00:00.000000+00:00``); dates: ``2026-01-05``;
- decimals: their exact text (``str(Decimal)``), all arithmetic happens in Python with
  :class:`~decimal.Decimal`; booleans: ``0`` / ``1``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

__all__ = ["Row", "Tx", "day", "dec", "flag", "ident", "moment", "parse_moment"]

Row = dict[str, Any]


class Tx:
    """One database transaction's cursor, with the placeholder style translated.

    ``run`` executes a statement; ``one`` / ``all`` return rows as plain dicts (column ->
    value) whatever the driver's row type is (``sqlite3.Row``, psycopg's ``dict_row``).
    """

    def __init__(self, cursor: Any, placeholder: str = "?") -> None:
        self._cursor = cursor
        self._placeholder = placeholder

    def _sql(self, statement: str) -> str:
        if self._placeholder == "?":
            return statement
        return statement.replace("?", self._placeholder)

    def run(self, statement: str, *params: Any) -> None:
        self._cursor.execute(self._sql(statement), params)

    def one(self, statement: str, *params: Any) -> Row | None:
        self._cursor.execute(self._sql(statement), params)
        row = self._cursor.fetchone()
        return None if row is None else dict(row)

    def all(self, statement: str, *params: Any) -> list[Row]:
        self._cursor.execute(self._sql(statement), params)
        return [dict(row) for row in self._cursor.fetchall()]


def ident(value: UUID | str | None) -> str | None:
    """An aggregate (or check-in, item) id as text."""
    return None if value is None else str(value)


def moment(value: datetime | None) -> str | None:
    """A recorded time as sortable UTC text with microseconds."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def parse_moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def flag(value: bool) -> int:
    return 1 if value else 0


def placeholders(values: Iterable[object]) -> str:
    """``?, ?, ?`` for an ``IN (...)`` list."""
    return ", ".join("?" for _ in values)

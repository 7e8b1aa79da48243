"""The view columns' semantic kinds (issue 15, item 3): how SQLite stores each kind, how
another backend maps them, how a stored value is read back typed, and that docs/metrics.md
lists every column with its kind. The exports themselves: tests/cli/test_export_types.py."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from ledger.cli._export import EVENT_COLUMNS, KPIS, OBJECTIVE_PROGRESS
from projections._schema import BATCHES, QUARANTINE, SQLITE, TABLES, Kind, create_statements
from projections._sql import day, dec, flag, moment
from projections.typed import text_form, typed_value

METRICS = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"


def test_sqlite_declares_each_column_as_its_kind_is_stored() -> None:
    """The SQLite file keeps its text forms: times, dates and decimals are TEXT."""
    db = sqlite3.connect(":memory:")
    for statement in create_statements():
        db.execute(statement)
    for table in (*TABLES, QUARANTINE, BATCHES):
        declared = {row[1]: (row[2], bool(row[3]))
                    for row in db.execute(f"PRAGMA table_info({table.name})")}  # fmt: skip
        assert list(declared) == list(table.column_kinds), table.name
        for name, column in table.column_kinds.items():
            assert declared[name][0] == SQLITE[column.kind], f"{table.name}.{name}"
            # a key column is NOT NULL whatever its declaration says; the others as declared
            assert declared[name][1] == column.not_null or name in table.key, name
    assert {SQLITE[k] for k in (Kind.TIMESTAMP, Kind.DATE, Kind.DECIMAL)} == {"TEXT"}


def test_another_backend_maps_the_kinds_to_its_own_types() -> None:
    types = {kind: f"MY_{kind.value.upper()}" for kind in Kind}
    (create, *_) = next(t for t in TABLES if t.name == "kr_check_ins").create(types)
    assert "as_of MY_TIMESTAMP NOT NULL" in create
    assert "value MY_DECIMAL NOT NULL" in create
    assert "corrected_at MY_TIMESTAMP," in create
    assert "position MY_BIGINT NOT NULL" in create


PLUS_ONE = timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (Kind.TIMESTAMP, datetime(2026, 1, 5, 10, 0, 0, 5, tzinfo=PLUS_ONE)),
        (Kind.DATE, date(2026, 1, 5)),
        (Kind.DECIMAL, Decimal("12.50")),
        (Kind.DECIMAL, Decimal("-0.000000000001")),
        (Kind.DECIMAL, Decimal("999999999999999999.999999999999")),
        (Kind.BOOLEAN, True),
        (Kind.BOOLEAN, False),
    ],
)
def test_a_stored_text_form_reads_back_as_the_value_it_was(kind: Kind, value: object) -> None:
    """What ``projections._sql`` writes comes back equal; a driver's typed value too."""
    write = {Kind.TIMESTAMP: moment, Kind.DATE: day, Kind.DECIMAL: dec, Kind.BOOLEAN: flag}[kind]
    assert typed_value(kind, write(value)) == value  # type: ignore[operator]
    assert typed_value(kind, value) == value
    assert typed_value(kind, None) is None


def test_text_forms_by_hand() -> None:
    at = typed_value(Kind.TIMESTAMP, "2026-01-05T10:00:00.000005+01:00")
    assert at == datetime(2026, 1, 5, 9, 0, 0, 5, tzinfo=UTC)
    assert text_form(Kind.TIMESTAMP, at) == "2026-01-05T09:00:00.000005Z"
    assert text_form(Kind.DATE, date(2026, 1, 5)) == "2026-01-05"
    assert text_form(Kind.DECIMAL, Decimal("1E+17")) == "100000000000000000"
    assert text_form(Kind.DECIMAL, Decimal("12.50")) == "12.50"
    assert text_form(Kind.BOOLEAN, False) == "false"
    assert text_form(Kind.INTEGER, 7) == "7"
    assert text_form(Kind.TEXT, None) is None


@pytest.mark.parametrize(
    ("kind", "stored", "why"),
    [
        (Kind.DECIMAL, "1E+40", "has more than 18 digits before the point or 12 after"),
        (Kind.DECIMAL, "0.0000000000001", "has more than 18 digits before the point or 12 after"),
        (Kind.DECIMAL, "NaN", "is not a finite decimal"),
        (Kind.DECIMAL, "twelve", "is not a decimal"),
        (Kind.TIMESTAMP, "2026-01-05T09:00:00", "is a time without a time zone"),
        (Kind.TIMESTAMP, "soon", "cannot be read as timestamp"),
        (Kind.TIMESTAMP, "9999-12-31T23:00:00-02:00", "is outside the range of times"),
        (Kind.DATE, "2026-W02-1", "is not a date written as 2026-01-05"),
        (Kind.DATE, "2026-02-30", "cannot be read as date"),
        (Kind.INTEGER, "many", "cannot be read as integer"),
        (Kind.BIGINT, 2**63, "is outside the 64-bit range"),
        (Kind.BOOLEAN, 2, "is not 0 or 1 (no or yes)"),
        (Kind.TEXT, 3, "is not text"),
    ],
)
def test_an_odd_stored_value_is_refused_saying_why(kind: Kind, stored: object, why: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"{stored!r} {why}")):
        typed_value(kind, stored)


def test_docs_list_every_column_with_its_kind() -> None:
    """docs/metrics.md, "Column types": one line per exported file, walked from the
    declarations (``?``: may be empty)."""
    text = METRICS.read_text("utf-8")
    for table in TABLES:
        columns = ", ".join(f"{name} {c.kind.value}{'' if c.not_null else '?'}"
                            for name, c in table.column_kinds.items())  # fmt: skip
        assert f"| `{table.name}` | {columns} |" in text, table.name
    for name, declared in (("events", EVENT_COLUMNS), ("objective_progress", OBJECTIVE_PROGRESS),
                           ("kpis", KPIS)):  # fmt: skip
        columns = ", ".join(f"{column} {kind}" for column, kind in declared)
        assert f"| `{name}` | {columns} |" in text, name


def test_parquet_decimals_hold_the_domains_bounds_exactly(tmp_path: Path) -> None:
    """``Number`` allows 18 digits before the point and 12 after: decimal128(30, 12) keeps
    the largest, the smallest step and a large whole number exactly; one digit more is set
    aside, not rounded."""
    import pyarrow.parquet as pq

    from ledger.cli._export import Format, _Writer

    bounds = ["999999999999999999.999999999999", "-999999999999999999.999999999999",
              "0.000000000001", "1E+17", "12.50", "1234567890123456789"]  # fmt: skip
    writer = _Writer(tmp_path / "t.parquet", Format.parquet, (("v", "decimal"),), "t", ("v",))
    writer.write([{"v": text} for text in bounds])
    writer.close()
    read = pq.read_table(tmp_path / "t.parquet").column("v").to_pylist()
    assert read[:-1] == [Decimal(text) for text in bounds[:-1]]
    assert read[-1] is None
    assert [(odd.value, odd.column) for odd in writer.odd] == [("1234567890123456789", "v")]

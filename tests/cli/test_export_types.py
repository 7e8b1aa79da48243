"""`koers export`'s typed columns (issue 15, item 3): every column of every file has the type
its declaration gives it (``projections._schema`` for the view tables, ``ledger.cli._export``
for the events and the reports), in Parquet (read with pyarrow and with DuckDB) and in the
documented text forms of CSV and JSON Lines; a forged event's odd value is set aside and
named in the summary, never a crash and never a silent gap.

One stream: the demo, plus one forged check-in whose value (``1E+40``) no decimal column of
30 digits, 12 after the point, can hold.
"""

from __future__ import annotations

import csv
import json
import re
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from eventsourcing.persistence import StoredEvent

from ledger.application import Koers
from ledger.cli._export import EVENT_COLUMNS, KPIS, OBJECTIVE_PROGRESS
from ledger.demo import load_demo
from projections._schema import TABLES, Kind
from tests.commandline import run_koers
from tests.conftest import fresh_env

TODAY = date(2026, 5, 20)  # the demo tells 2026-Q1
ODD = "1E+40"
#: A recorded time past the last instant a timestamp holds (9999-12-31 in UTC).
LATE = "9999-12-31T23:59:59.000000-23:59"
#: The demo's first check-in (ids are derived from the demo's script): 3 deploys as of 14:00.
FIRST_CHECK_IN = "eb1d2ea0-1abd-5667-a3dc-c74d13d9d453"

#: What each kind is in Parquet (docs/metrics.md, "Column types").
ARROW = {
    Kind.TEXT: pa.string(),
    Kind.INTEGER: pa.int64(),
    Kind.BIGINT: pa.int64(),
    Kind.DECIMAL: pa.decimal128(30, 12),
    Kind.TIMESTAMP: pa.timestamp("us", tz="UTC"),
    Kind.DATE: pa.date32(),
    Kind.BOOLEAN: pa.bool_(),
}
#: ... in DuckDB, reading the Parquet files.
DUCKDB = {
    Kind.TEXT: "VARCHAR",
    Kind.INTEGER: "BIGINT",
    Kind.BIGINT: "BIGINT",
    Kind.DECIMAL: "DECIMAL(30,12)",
    Kind.TIMESTAMP: "TIMESTAMP WITH TIME ZONE",
    Kind.DATE: "DATE",
    Kind.BOOLEAN: "BOOLEAN",
}
#: ... as CSV text (a non-empty field).
TEXT_FORM = {
    Kind.TEXT: re.compile(r".*", re.DOTALL),
    Kind.INTEGER: re.compile(r"-?\d+"),
    Kind.BIGINT: re.compile(r"-?\d+"),
    Kind.DECIMAL: re.compile(r"-?\d+(\.\d+)?"),
    Kind.TIMESTAMP: re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"),
    Kind.DATE: re.compile(r"\d{4}-\d\d-\d\d"),
    Kind.BOOLEAN: re.compile(r"true|false"),
}


def files() -> list[tuple[str, list[tuple[str, Kind]]]]:
    """Every exported file (path without its extension) and its declared columns."""
    out = [("events", [(n, Kind(k)) for n, k in EVENT_COLUMNS])]
    out += [(f"views/{t.name}", [(n, c.kind) for n, c in t.column_kinds.items()]) for t in TABLES]
    reports = (("objective_progress", OBJECTIVE_PROGRESS), ("kpis", KPIS))
    out += [(f"views/{name}", [(n, Kind(k)) for n, k in columns]) for name, columns in reports]
    return out


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[str, Any]]]:
    """The stream exported in each format: format -> (folder, the ``--json`` summary)."""
    env = fresh_env()
    app = Koers(env=env)
    try:
        load_demo(app, today=TODAY)
        first = next(n for n in app.recorder.select_notifications(1, 10_000)
                     if n.topic.endswith("KeyResult.CheckedIn"))  # fmt: skip
        forged = {**orjson.loads(first.state), "value": ODD, "check_in_id": str(uuid.uuid4())}
        kr_id = first.originator_id  # the next event of a real key result (an orphan event,
        version = app.recorder.select_events(kr_id, desc=True, limit=1)[0].originator_version
        # of no key result, is set aside whole: lists and shows could not apply it)
        app.recorder.insert_events(
            [StoredEvent(kr_id, version + 1, first.topic, orjson.dumps(forged))]
        )
        late = {**orjson.loads(first.state), "check_in_id": str(uuid.uuid4()), "timestamp": LATE}
        app.recorder.insert_events([StoredEvent(uuid.uuid4(), 1, first.topic, orjson.dumps(late))])
        late_position = app.recorder.max_notification_id()
    finally:
        app.close()
    cli_env = {k: v for k, v in env.items() if k != "PERSISTENCE_MODULE"}
    out = {}
    for fmt in ("parquet", "csv", "jsonl"):
        folder = tmp_path_factory.mktemp(fmt)
        done = run_koers("export", "--format", fmt, "--out", str(folder), "--json", env=cli_env)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        summary = {**json.loads(done.stdout), "forged": forged["check_in_id"], "env": cli_env,
                   "late": late_position}  # fmt: skip
        out[fmt] = (folder, summary)
    return out


def test_parquet_columns_have_their_declared_types(exported: Any) -> None:
    folder, _ = exported["parquet"]
    kinds_with_values: set[Kind] = set()
    for name, columns in files():
        table = pq.read_table(folder / f"{name}.parquet")
        assert table.column_names == [n for n, _ in columns], name
        for column, kind in columns:
            assert table.schema.field(column).type == ARROW[kind], f"{name}.{column}"
            if table.column(column).null_count < table.num_rows:
                kinds_with_values.add(kind)
    assert kinds_with_values == set(Kind)  # every kind is checked on values, not only a schema


def test_duckdb_reads_the_declared_types(exported: Any) -> None:
    folder, _ = exported["parquet"]
    for name, columns in files():
        path = str(folder / f"{name}.parquet")
        described = duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()
        assert [(row[0], row[1]) for row in described] == [
            (column, DUCKDB[kind]) for column, kind in columns
        ], name
    check_ins = str(folder / "views" / "kr_check_ins.parquet")
    ((total,),) = duckdb.sql(f"SELECT sum(value) FROM read_parquet('{check_ins}')").fetchall()
    assert isinstance(total, Decimal)  # summed as an exact decimal, no cast needed


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


#: A CSV field read back as the value Parquet holds.
FROM_TEXT = {
    Kind.TEXT: str,
    Kind.INTEGER: int,
    Kind.BIGINT: int,
    Kind.DECIMAL: Decimal,
    Kind.TIMESTAMP: datetime.fromisoformat,
    Kind.DATE: date.fromisoformat,
    Kind.BOOLEAN: lambda text: {"true": True, "false": False}[text],
}


def _from_text(kind: Kind, text: str) -> Any:
    return None if text == "" else FROM_TEXT[kind](text)


def test_csv_and_jsonl_write_each_kind_in_its_documented_form(exported: Any) -> None:
    """Every field matches its kind's text form and reads back as the Parquet value; JSON
    Lines gives counts and yes/no as JSON, the rest in the same text as CSV."""
    folders = {fmt: exported[fmt][0] for fmt in ("parquet", "csv", "jsonl")}
    kinds_with_values: set[Kind] = set()
    for name, columns in files():
        rows = _csv(folders["csv"] / f"{name}.csv")
        typed = pq.read_table(folders["parquet"] / f"{name}.parquet").to_pylist()
        lines = (folders["jsonl"] / f"{name}.jsonl").read_text("utf-8").splitlines()
        assert len(rows) == len(typed) == len(lines), name
        for row, parquet, line in zip(rows, typed, lines, strict=True):
            assert list(row) == [n for n, _ in columns], name
            jsonl = json.loads(line)
            for column, kind in columns:
                text = row[column]
                where = f"{name}.{column} = {text!r}"
                if text:
                    kinds_with_values.add(kind)
                    assert TEXT_FORM[kind].fullmatch(text), where
                if kind is Kind.TEXT:  # CSV cannot tell empty text from none
                    assert text == (parquet[column] or ""), where
                else:
                    assert _from_text(kind, text) == parquet[column], where
                native = kind in (Kind.TEXT, Kind.INTEGER, Kind.BIGINT, Kind.BOOLEAN)
                assert jsonl[column] == (parquet[column] if native else text or None), where
    assert kinds_with_values == set(Kind)


def test_values_by_hand(exported: Any) -> None:
    """The demo's first check-in: 3 deploys as of 2026-01-05 14:00 UTC, recorded at 15:00."""
    folder, _ = exported["parquet"]
    rows = pq.read_table(folder / "views" / "kr_check_ins.parquet").to_pylist()
    (first,) = [r for r in rows if r["check_in_id"] == FIRST_CHECK_IN]
    assert first["value"] == Decimal(3)
    assert first["as_of"] == datetime(2026, 1, 5, 14, tzinfo=UTC)
    assert first["recorded_at"] == datetime(2026, 1, 5, 15, tzinfo=UTC)
    assert isinstance(first["confidence"], int)
    (csv_first,) = [r for r in _csv(exported["csv"][0] / "views" / "kr_check_ins.csv")
                    if r["check_in_id"] == FIRST_CHECK_IN]  # fmt: skip
    assert (csv_first["value"], csv_first["as_of"]) == ("3", "2026-01-05T14:00:00.000000Z")


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_a_forged_odd_value_is_set_aside_and_named_in_the_summary(exported: Any, fmt: str) -> None:
    folder, summary = exported[fmt]
    forged = summary["forged"]
    assert summary["values_set_aside"] == [
        {
            "table": "events",
            "key": {"position": summary["late"]},
            "column": "recorded",
            "value": LATE,
            "reason": f"'{LATE}' is outside the range of times (years 1 to 9999 in UTC)",
        },
        {
            "table": "kr_check_ins",
            "key": {"check_in_id": forged},
            "column": "value",
            "value": ODD,
            "reason": f"'{ODD}' has more than 18 digits before the point or 12 after",
        },
    ]
    # the late event is exported (its time empty) but the views could not apply it
    assert [a["position"] for a in summary["set_aside"]] == [summary["late"]]
    if fmt == "parquet":
        rows = pq.read_table(folder / "views" / "kr_check_ins.parquet").to_pylist()
    elif fmt == "csv":
        rows = _csv(folder / "views" / "kr_check_ins.csv")
    else:
        text = (folder / "views" / "kr_check_ins.jsonl").read_text("utf-8")
        rows = [json.loads(line) for line in text.splitlines()]
    (row,) = [r for r in rows if r["check_in_id"] == forged]
    assert row["value"] in (None, "")  # written empty ...
    assert row["as_of"]  # ... the rest of its row kept
    assert summary["views"]["kr_check_ins"] == len(rows)


def test_the_summary_names_the_odd_value_in_words(exported: Any, tmp_path: Path) -> None:
    """Without ``--json``: the count, then a line per value naming table, column, row and
    why."""
    _, summary = exported["csv"]
    done = run_koers("export", "--format", "csv", "--out", str(tmp_path), env=summary["env"])
    assert done.returncode == 0, done.stderr
    assert "set aside 2 values that are not what their column holds: written empty" in done.stdout
    assert (
        f"  kr_check_ins.value  check_in_id={summary['forged']}  "
        f"'{ODD}' has more than 18 digits before the point or 12 after"
    ) in done.stdout.splitlines()


def test_a_withheld_pulse_has_no_score_and_is_not_an_odd_value(exported: Any) -> None:
    """Below 3 responses a pulse's score is not shown (docs/metrics.md): empty, by rule."""
    folder, summary = exported["parquet"]
    pulses = pq.read_table(folder / "views" / "retro_pulse.parquet").to_pylist()
    assert {p["score"] is None for p in pulses} == {True, False}  # the demo has both
    for pulse in pulses:
        assert (pulse["score"] is None) == (pulse["responses"] < 3), pulse
    assert {v["table"] for v in summary["values_set_aside"]} == {"events", "kr_check_ins"}


def test_an_event_whose_time_cannot_be_typed_is_exported_with_its_time_empty(
    exported: Any,
) -> None:
    folder, summary = exported["parquet"]
    events = pq.read_table(folder / "events.parquet").to_pylist()
    (late,) = [e for e in events if e["position"] == summary["late"]]
    assert late["recorded"] is None
    assert json.loads(late["payload"])["timestamp"] == LATE  # the record itself keeps it

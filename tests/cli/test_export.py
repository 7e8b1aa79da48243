"""`koers export`: the raw events (and the views) as Parquet, CSV and JSON Lines."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ledger.application import Koers
from ledger.domain._clock import frozen_at
from tests.commandline import run_koers
from tests.conftest import fresh_env
from tests.factories import (
    T0,
    new_decided_decision,
    new_key_result,
    new_kpi,
    new_objective,
    new_retro,
)

COLUMNS = ["position", "subject", "aggregate_id", "version", "type", "schema_version",
           "recorded", "actor", "payload"]  # fmt: skip


@pytest.fixture(scope="module")
def recorded() -> tuple[dict[str, str], int]:
    """A stream with a few kinds of events; (its settings, how many events it holds)."""
    env = fresh_env()
    koers = Koers(env=env)
    try:
        with frozen_at(T0):
            objective = new_objective(koers)
            new_key_result(koers, objective_id=objective)
            new_decided_decision(koers)
            new_retro(koers)
            kpi = new_kpi(koers)  # target 2 days, lower is better
            koers.measure_kpi(kpi, actor="ann", value="2.1", as_of=T0, note="")
        events = koers.recorder.max_notification_id() or 0
    finally:
        koers.close()
    return env, events


def export(env: dict[str, str], fmt: str, out: Path) -> subprocess.CompletedProcess[str]:
    cli_env = {k: v for k, v in env.items() if k != "PERSISTENCE_MODULE"}
    result = run_koers("export", "--format", fmt, "--out", str(out), "--json", env=cli_env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "exporting events" in result.stderr  # the progress bar
    return result


def check_rows(rows: list[dict[str, Any]], events: int, stream: str) -> None:
    assert len(rows) == events
    assert [int(r["position"]) for r in rows] == list(range(1, events + 1))
    first = rows[0]
    assert first["type"] == "objective.set"
    assert first["subject"] == f"{stream.lower()}.objective.{first['aggregate_id']}.set"
    assert int(first["version"]) == 1
    assert int(first["schema_version"]) == 2  # v2: every event records its credential
    assert first["actor"] == "ann"
    payload = json.loads(first["payload"])
    assert payload["team"] == "platform"
    assert payload["actor"] == "ann"
    assert str(first["recorded"]).startswith("2026-03-02")
    types = {r["type"] for r in rows}
    assert {"key_result.added", "decision.opened", "decision.made", "retro.held"} <= types


def test_export_jsonl(recorded: tuple[dict[str, str], int], tmp_path: Path) -> None:
    env, events = recorded
    summary = json.loads(export(env, "jsonl", tmp_path).stdout)
    assert summary["events"] == events
    assert summary["position"] == events
    lines = (tmp_path / "events.jsonl").read_text("utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    assert list(rows[0]) == COLUMNS
    check_rows(rows, events, env["NATS_STREAM"])
    objectives = (tmp_path / "views" / "objectives.jsonl").read_text("utf-8").splitlines()
    assert len(objectives) == 1
    assert json.loads(objectives[0])["team"] == "platform"
    assert summary["views"]["objectives"] == 1
    (progress,) = [json.loads(x) for x in (tmp_path / "views" / "objective_progress.jsonl")
                   .read_text("utf-8").splitlines()]  # fmt: skip
    assert (progress["progress"], progress["children_counted"]) == ("0.0000", 0)
    (kpi,) = [json.loads(x) for x in (tmp_path / "views" / "kpis.jsonl")
              .read_text("utf-8").splitlines()]  # fmt: skip
    assert (kpi["current"], kpi["status"], kpi["measurements"]) == ("2.1", "watch", 1)


def test_export_csv(recorded: tuple[dict[str, str], int], tmp_path: Path) -> None:
    env, events = recorded
    export(env, "csv", tmp_path)
    with (tmp_path / "events.csv").open(newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        assert reader.fieldnames == COLUMNS
        rows = list(reader)
    check_rows(rows, events, env["NATS_STREAM"])
    with (tmp_path / "views" / "decisions.csv").open(newline="", encoding="utf-8") as file:
        assert len(list(csv.DictReader(file))) == 1
    with (tmp_path / "views" / "kpis.csv").open(newline="", encoding="utf-8") as file:
        (kpi,) = csv.DictReader(file)
    assert (kpi["target"], kpi["status"], kpi["trend"]) == ("2", "watch", "")


def test_export_parquet(recorded: tuple[dict[str, str], int], tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    env, events = recorded
    export(env, "parquet", tmp_path)
    table = pq.read_table(tmp_path / "events.parquet")
    assert table.column_names == COLUMNS
    assert str(table.schema.field("recorded").type) == "timestamp[us, tz=UTC]"
    rows = table.to_pylist()
    check_rows(rows, events, env["NATS_STREAM"])
    views = pq.read_table(tmp_path / "views" / "key_results.parquet")
    assert views.num_rows == 1
    kpis = pq.read_table(tmp_path / "views" / "kpis.parquet").to_pylist()
    assert [(k["status"], k["retired"]) for k in kpis] == [("watch", False)]
    assert all(isinstance(k["retired"], bool) for k in kpis)
    assert pq.read_table(tmp_path / "views" / "objective_progress.parquet").num_rows == 1
    assert not list(tmp_path.glob("**/.*.partial"))


def test_export_of_an_empty_stream_writes_empty_files(tmp_path: Path) -> None:
    env = fresh_env()
    summary = json.loads(export(env, "csv", tmp_path).stdout)
    assert summary["events"] == 0
    assert (tmp_path / "events.csv").read_text("utf-8").strip() == ",".join(COLUMNS)

"""The `koers` command line as a user types it: real processes, real exit codes."""

from __future__ import annotations

import getpass
import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import decide, open_decision
from tests.commandline import options, run_koers, serving


def koers(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    result = run_koers(*args, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    if check:
        assert result.returncode == 0, result.stderr
    return result


def as_json(*args: str, env: dict[str, str]) -> Any:
    return json.loads(koers(*args, "--json", env=env).stdout)


def new_key_result(env: dict[str, str], *, owner: str = "ann") -> tuple[Any, Any]:
    """A platform objective (set by ann) and a key result under it, through the command line:
    both as ``--json`` shows them."""
    goal = {
        "team": "platform",
        "period": "2026-Q4",
        "title": "Ship weekly",
        "why": "Customers wait",
    }
    objective = as_json("objective", "set", *options(**goal, owner="ann"), env=env)
    measure = {"title": "Lead time", "metric": "decrease", "start": "10", "target": "2"}
    kr_options = options(objective=objective["id"], **measure, unit="days", owner=owner)
    kr = as_json("kr", "add", *kr_options, env=env)
    return objective, kr


def test_record_an_objective_a_key_result_a_check_in_and_read_them_back(
    cli_env: dict[str, str],
) -> None:
    objective, kr = new_key_result(cli_env, owner="bram")
    line = koers(
        "kr",
        "check-in",
        kr["id"],
        *options(value="8", confidence="6", blocker="legal", as_="bram"),
        env=cli_env,
    ).stdout
    assert line.startswith(f"recorded: key_result {kr['id']} (version 2")  # as the API
    shown = as_json("kr", "show", kr["id"], env=cli_env)
    assert shown["owner"] == "bram"
    assert shown["version"] == 2
    [check_in] = shown["check_ins"].values()
    assert check_in["value"] == "8"
    assert check_in["blockers"] == ["legal"]
    history = as_json("history", kr["id"], env=cli_env)
    assert [(h["type"], h["event"], h["actor"]) for h in history] == [
        ("key_result.added", "KeyResult.Added", "ann"),  # the type as the API and schemas say
        ("key_result.checked_in", "KeyResult.CheckedIn", "bram"),
    ]
    local = f"local:{getpass.getuser()}"  # the command line is the local administrator
    assert {h["credential"] for h in history} == {local}
    listed = as_json("objective", "list", "--team", "platform", env=cli_env)
    assert [o["id"] for o in listed] == [objective["id"]]


def test_a_decision_from_open_to_review_and_show_as_of(cli_env: dict[str, str]) -> None:
    opened = open_decision(cli_env, criterion="speed=3")
    before = as_json("decision", "show", opened["id"], env=cli_env)["modified_on"]
    time.sleep(0.01)  # recorded times must differ for the as-of read
    decide(cli_env, opened["id"], rationale="Fastest")
    assert as_json("decision", "show", opened["id"], env=cli_env)["status"] == "decided"
    then = as_json("decision", "show", opened["id"], "--as-of", before, env=cli_env)
    assert then["status"] == "open"
    assert then["version"] == 1


def test_idempotency_key_makes_a_retry_take_effect_once(cli_env: dict[str, str]) -> None:
    args = (
        "retro",
        "hold",
        *options(team="sales", period="Sprint 1", held_on="2026-11-20", key="retro-sprint-1"),
    )
    first = as_json(*args, env=cli_env)
    again = as_json(*args, env=cli_env)
    assert again["id"] == first["id"]
    assert again["replayed"] is True
    assert len(as_json("retro", "list", env=cli_env)) == 1


def test_exit_codes_bad_input_conflict_and_unreachable_store(cli_env: dict[str, str]) -> None:
    bad = koers(
        "objective",
        "set",
        *options(team="x", period="Q4", title="t", why="w", owner="ann"),
        env=cli_env,
        check=False,
    )
    assert bad.returncode == 2
    assert "2026-Q4" in bad.stderr  # says how to write it
    assert len(bad.stderr.strip().splitlines()) == 1

    kr_parent, kr = new_key_result(cli_env)
    conflict = koers(
        "kr",
        "check-in",
        kr["id"],
        *options(value="1", confidence="5", expect_version="7"),
        env=cli_env,
        check=False,
    )
    assert conflict.returncode == 3
    assert "Reload it and try again" in conflict.stderr

    unreachable = koers(
        "objective",
        "list",
        env={**cli_env, "NATS_URL": "nats://127.0.0.1:9", "NATS_TIMEOUT": "1"},
        check=False,
    )
    assert unreachable.returncode == 4
    assert "koers serve" in unreachable.stderr

    unknown = koers("kr", "show", kr_parent["id"], env=cli_env, check=False)
    assert unknown.returncode == 2
    assert "koers kr list" in unknown.stderr


def test_help_has_examples() -> None:
    result = koers("decision", "open", "--help", env={})
    assert "Example: koers decision open" in " ".join(result.stdout.split())


def test_no_server_running_uses_the_embedded_one_and_stops_it(tmp_path: Path) -> None:
    env = {"KOERS_DATA_DIR": str(tmp_path), "KOERS_USER": "ann", "NATS_URL": ""}
    koers("init", env=env)  # the one-shot commands create no stream
    koers(
        "prompt",
        "issue",
        "--to",
        "ann",
        "--question",
        "What would you revisit?",
        env=env,
    )
    status = as_json("status", env=env)
    assert status["embedded"] is True
    assert status["events"] == 1
    assert status["started_here"] is True
    assert not (tmp_path / "nats" / "server.json").exists(), "the command left its server up"


def test_a_running_koers_serve_is_reused_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    env = {"KOERS_DATA_DIR": str(tmp_path), "KOERS_USER": "ann", "NATS_URL": ""}
    with serving("--port", "0", env=env) as serve:
        assert serve.stderr is not None
        line = serve.stderr.readline()
        assert "serving LEDGER" in line
        status = as_json("status", env={"KOERS_DATA_DIR": str(tmp_path), "NATS_URL": ""})
        assert status["started_here"] is False  # reused the server `koers serve` runs
        pid = status["server_pid"]
        serve.send_signal(signal.SIGINT)
        assert serve.wait(timeout=30) == 0
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_demo_loads_once_and_a_second_run_adds_nothing(cli_env: dict[str, str]) -> None:
    first = as_json("demo", "--today", "2026-05-20", env=cli_env)
    again = as_json("demo", "--today", "2026-05-20", env=cli_env)
    assert first["period"] == "2026-Q1"
    assert first["created"] > 300
    assert again["created"] == 0
    assert again["already_present"] == first["created"]
    decisions = as_json("decision", "list", env=cli_env)
    assert len(decisions) >= 12
    assert {d["reversibility"] for d in decisions} == {"one_way", "two_way"}


def test_the_demo_rolls_up_to_the_company_and_its_kpis_have_a_board(
    cli_env: dict[str, str],
) -> None:
    koers("demo", "--today", "2026-05-20", env=cli_env)
    tree = as_json("objective", "tree", "--period", "2026-Q1", env=cli_env)
    (company,) = tree["trees"]
    assert company["team"] == "company"
    children = {c["title"]: c for c in company["children"]}
    assert {c["team"] for c in children.values()} == {"sales", "platform"}
    assert company["progress"] != "0.0000"  # rolled up, not its (absent) key results
    text = koers("objective", "tree", "--period", "2026-Q1", env=cli_env).stdout
    assert text.splitlines()[0].startswith("Be the platform mid-market logistics firms rely on")
    assert "\n  Make releases boring  [platform, 2026-Q1]" in text
    assert children["Make releases boring"]["weight"] == "2"  # the demo weighs it
    assert text.split("Make releases boring", 1)[1].splitlines()[0].endswith("weighs 2")
    retention = children["Keep and grow the customers we already have"]["objective_id"]
    zero = koers("objective", "weigh", retention, "--weight", "0", "--reason", "x", env=cli_env,
                 check=False)  # fmt: skip
    assert zero.returncode == 2
    assert "--weight" in zero.stderr
    assert "above 0" in zero.stderr
    koers("objective", "weigh", retention, "--weight", "3", "--reason", "Churn hurts most",
          env=cli_env)  # fmt: skip
    again = as_json("objective", "tree", "--period", "2026-Q1", env=cli_env)["trees"][0]
    assert {c["title"]: c["weight"] for c in again["children"]}[
        "Keep and grow the customers we already have"
    ] == "3"
    assert again["progress"] != company["progress"]  # the roll-up follows the weight
    board = as_json("kpi", "board", "platform", env=cli_env)
    assert {k["name"]: k["status"] for k in board["kpis"]} == {
        "Availability (30 days)": "on_target",  # 99.98 ≥ 99.9
        "Lead time for changes": "off_target",  # 27 h misses 24 by 3 > 2.4
    }
    assert board["warning"] is None
    sales = as_json("kpi", "board", "sales", env=cli_env)
    assert {k["name"]: (k["status"], k["trend"]) for k in sales["kpis"]}[
        "Net revenue retention"
    ] == ("watch", "worse")  # 102.6 misses 105 by 2.4 ≤ 10.5, below 103.2 four back
    for n in range(4):
        koers("kpi", "define", *options(team="platform", name=f"Extra {n}", owner="ann",
              target="1", direction="higher_is_better", kind="leading"), env=cli_env)  # fmt: skip
    shown = koers("kpi", "board", "platform", env=cli_env)
    assert "Lead time for changes" in shown.stdout
    assert "off_target" in shown.stdout
    assert "platform tracks 6 KPIs; the method asks for 3 to 5" in shown.stderr
    bad_period = koers("objective", "tree", "--period", "Q1", env=cli_env, check=False)
    assert bad_period.returncode == 2
    assert "give it as 2026-Q4" in bad_period.stderr


def test_a_usage_mistake_is_one_line_naming_the_help_to_read(cli_env: dict[str, str]) -> None:
    for args in (
        ("kr", "check-in", "not-an-id", "--value", "1", "--confidence", "2"),
        ("objective", "set", "--bogus"),
    ):
        result = koers(*args, env=cli_env, check=False)
        assert result.returncode == 2
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert result.stderr.startswith("koers: ")
        assert "--help" in result.stderr

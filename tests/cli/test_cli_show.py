"""`koers decision show` and `koers delegation show` print the whole record readably (issue
#14, "complete reads"): the reasons, the review, each check-in's progress and note. Real
processes on the session's nats-server."""

from __future__ import annotations

import json
from typing import Any

from tests.cli.conftest import decide, open_decision
from tests.commandline import options, run_koers


def koers(*args: str, env: dict[str, str]) -> str:
    result = run_koers(*args, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def made(*args: str, env: dict[str, str]) -> Any:
    return json.loads(koers(*args, "--json", env=env))


def test_decision_show_prints_the_reasons_and_the_whole_review(cli_env: dict[str, str]) -> None:
    opened = open_decision(cli_env)
    decide(cli_env, opened["id"])  # "One pipeline halves lead time", "Weekly releases", 0.7
    koers("decision", "review", opened["id"], *options(
        outcome="2", process="4", what_happened="Releases slipped a month",
        lessons="Ask operations earlier"), "--not-as-expected", env=cli_env)  # fmt: skip
    lines = koers("decision", "show", opened["id"], env=cli_env).splitlines()
    fields = {line.split(None, 1)[0]: line.split(None, 1)[1:] for line in lines if line.strip()}
    assert fields["rationale"] == ["One pipeline halves lead time"]
    assert fields["expected_outcome"] == ["Weekly releases"]
    assert fields["confidence"] == ["0.7"]
    review = lines[lines.index("review") + 1 :]
    assert "  outcome_quality  2" in review
    assert "  process_quality  4" in review
    assert "  as_expected      false" in review
    assert "  what_happened    Releases slipped a month" in review
    assert "  lessons          Ask operations earlier" in review
    shown = made("decision", "show", opened["id"], env=cli_env)
    assert shown["review"]["lessons"] == "Ask operations earlier"


def test_delegation_show_prints_progress_and_acknowledgement_notes(
    cli_env: dict[str, str],
) -> None:
    delegation = made("delegation", "create", *options(
        owner="bram", title="Hiring plan", why="You know the team", result="A plan",
        level="agree", due="2030-01-01"), env=cli_env)  # fmt: skip
    koers("delegation", "check-in", delegation["id"], *options(
        status="at_risk", progress="2 of 3 roles approved", as_="bram"), env=cli_env)  # fmt: skip
    state = made("delegation", "show", delegation["id"], env=cli_env)
    [check_in] = state["check_ins"]
    koers("delegation", "ack", delegation["id"], *options(
        check_in=check_in, note="Ask finance"), env=cli_env)  # fmt: skip
    text = koers("delegation", "show", delegation["id"], env=cli_env)
    assert "    progress         2 of 3 roles approved" in text.splitlines()
    assert "      note  Ask finance" in text.splitlines()
    shown = made("delegation", "show", delegation["id"], env=cli_env)
    assert shown["check_ins"][check_in]["acknowledgement"]["note"] == "Ask finance"

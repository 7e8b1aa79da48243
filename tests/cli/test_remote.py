"""The command line away from the data: ``KOERS_API_URL`` and ``KOERS_TOKEN`` send every command
of the table and the reads through a running API, which checks them as for any client."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest

from ledger.domain import AGGREGATES
from tests.api.test_api_support import Api, running_api
from tests.commandline import options, run_koers

GOAL = {"team": "platform", "period": "2026-Q4", "title": "Ship weekly", "why": "Customers wait",
        "owner": "tester"}  # fmt: skip


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    with running_api() as api:
        yield api


def remote(api: Api, handle: str, *args: str, token: str | None = None) -> Any:
    """``koers <args>`` in a process with no data directory of its own: only the API."""
    env = {
        "KOERS_API_URL": api.url,
        "KOERS_TOKEN": token or api.tokens.of(handle),
        "KOERS_DATA_DIR": "/nonexistent/koers-remote",
        "NATS_URL": "nats://192.0.2.1:1",
    }
    result = run_koers(*args, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def stored(api: Api) -> int:
    return api.koers.recorder.max_notification_id() or 0


def test_a_remote_command_is_recorded_for_the_tokens_person_with_its_credential(
    api: Api,
) -> None:
    result = remote(api, "tester", "objective", "set", *options(**GOAL), "--json")
    assert result.returncode == 0, result.stderr
    receipt = json.loads(result.stdout)
    events = api.koers.event_history(receipt["id"])
    assert [e.actor for e in events] == ["tester"]
    assert events[0].credential.startswith("token:"), events[0].credential

    shown = remote(api, "tester", "objective", "show", receipt["id"], "--json")
    assert json.loads(shown.stdout)["title"] == "Ship weekly"
    listed = remote(api, "tester", "objective", "list", "--team", "platform", "--json")
    assert receipt["id"] in [row["id"] for row in json.loads(listed.stdout)]
    history = remote(api, "tester", "history", receipt["id"])
    assert "objective.set" in history.stdout, history.stdout  # the type, as locally
    assert "token:" in history.stdout, history.stdout
    assert "tester" in history.stdout


def test_the_server_refuses_what_the_token_may_not_do_and_nothing_is_stored(api: Api) -> None:
    before = stored(api)
    as_other = remote(api, "tester", "objective", "set", *options(**GOAL), "--as", "ann")
    assert as_other.returncode == 2, as_other.stderr
    assert "ann" in as_other.stderr, as_other.stderr
    outsider = remote(api, "mallory", "objective", "set", *options(**{**GOAL, "owner": "mallory"}))
    assert outsider.returncode == 2, outsider.stderr
    assert "lead" in outsider.stderr, outsider.stderr  # says which role is needed
    typo = remote(api, "tester", "objective", "set", *options(**{**GOAL, "team": "platfrom"}))
    assert typo.returncode == 2
    assert "platform" in typo.stderr, typo.stderr  # a close match
    assert stored(api) == before


def test_values_are_checked_before_they_are_sent_naming_the_option(api: Api) -> None:
    bad = remote(api, "tester", "objective", "set", *options(**{**GOAL, "period": "2026-Q9"}))
    assert bad.returncode == 2
    assert "--period" in bad.stderr, bad.stderr


def test_retries_changes_and_conflicts_behave_as_locally(api: Api) -> None:
    made = [
        remote(api, "tester", "objective", "set", *options(**GOAL), flag, "remote-1", "--json")
        for flag in ("--idempotency-key", "--key")  # the old spelling still works
    ]
    first, again = (json.loads(m.stdout) for m in made)
    assert again["id"] == first["id"]
    assert again["replayed"] is True
    assert "--key is deprecated: write --idempotency-key" in made[1].stderr
    drop = ("objective", "drop", first["id"], "--reason", "Merged into onboarding")
    stale = remote(api, "tester", *drop, "--expect-version", "7")
    assert stale.returncode == 3, stale.stderr
    dropped = remote(api, "tester", *drop, "--expect-version", str(first["version"]))
    assert dropped.returncode == 0, dropped.stderr
    assert api.koers.load(AGGREGATES["objective"], UUID(first["id"])).status.value == "dropped"


def test_a_token_the_server_does_not_know_is_refused_with_what_to_do(api: Api) -> None:
    result = remote(api, "tester", "objective", "list", token="koers_not-a-token")
    assert result.returncode == 2
    assert "KOERS_TOKEN was not accepted" in result.stderr, result.stderr


def test_an_unreachable_api_and_a_missing_token_are_named(api: Api) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    env = {"KOERS_API_URL": closed, "KOERS_TOKEN": "koers_x"}
    unreachable = run_koers("objective", "list", env=env)
    assert unreachable.returncode == 4, unreachable.stderr
    assert "cannot reach the Koers API" in unreachable.stderr
    no_token = run_koers("objective", "list", env={"KOERS_API_URL": api.url, "KOERS_TOKEN": ""})
    assert no_token.returncode == 2
    assert "KOERS_TOKEN" in no_token.stderr


def test_a_command_that_needs_the_data_itself_is_refused_rather_than_run_locally(
    api: Api,
) -> None:
    result = remote(api, "tester", "projections", "rebuild")
    assert result.returncode == 2
    assert "Unset KOERS_API_URL" in result.stderr, result.stderr
    people = remote(api, "tester", "people", "list")
    assert people.returncode == 2
    assert "the API has no reads of persons" in people.stderr, people.stderr


def test_the_tree_and_the_kpi_board_are_read_through_the_api(api: Api) -> None:
    top = json.loads(remote(api, "tester", "objective", "set", *options(**GOAL), "--json").stdout)
    child = {**GOAL, "title": "Release on Fridays", "parent": top["id"]}
    made = remote(api, "tester", "objective", "set", *options(**child), "--json")
    assert made.returncode == 0, made.stderr
    tree = remote(api, "tester", "objective", "tree", "--period", "2026-Q4", "--json")
    assert tree.returncode == 0, tree.stderr
    (found,) = [t for t in json.loads(tree.stdout)["trees"] if t["objective_id"] == top["id"]]
    assert [c["title"] for c in found["children"]] == ["Release on Fridays"]
    kpi = {"team": "platform", "name": "Deploys a week", "owner": "tester", "target": "5",
           "direction": "higher_is_better", "kind": "leading"}  # fmt: skip
    assert remote(api, "tester", "kpi", "define", *options(**kpi)).returncode == 0
    board = remote(api, "tester", "kpi", "board", "platform")
    assert board.returncode == 0, board.stderr
    assert "Deploys a week" in board.stdout
    assert "STATUS" in board.stdout.splitlines()[0]
    hidden = remote(api, "cem", "kpi", "board", "platform")  # not a member: as if no team
    assert hidden.returncode != 0
    assert "no team" in hidden.stderr, hidden.stderr


def test_a_deciders_quality_is_read_through_the_api_by_them_and_their_lead(api: Api) -> None:
    """``koers decision quality --by bram``: one reviewed decision of bram's in platform,
    confidence 0.7, not as expected: Brier (0.7 − 0)² = 0.49. tester leads platform; bob is
    a member beside bram (refused, as by the API)."""
    from tests.api.test_api_support import TODAY, decide, decision

    bram = {"Koers-Actor": "bram"}
    d = api.ok("/decisions", decision(decider="bram"), **{"Koers-Actor": "tester"})["id"]
    api.ok(f"/decisions/{d}/decide", decide(confidence="0.7", review_on=str(TODAY)), **bram)
    review = {"outcome_quality": 2, "process_quality": 4, "as_expected": False,
              "what_happened": "w"}  # fmt: skip
    api.ok(f"/decisions/{d}/review", review, **bram)
    for who in ("bram", "tester"):
        shown = remote(api, who, "decision", "quality", "--by", "bram", "--json")
        assert shown.returncode == 0, shown.stderr
        assert (json.loads(shown.stdout)["reviews"], json.loads(shown.stdout)["brier_score"]) == (
            1, "0.4900")  # fmt: skip
    text = remote(api, "bram", "decision", "quality", "--by", "bram").stdout
    assert text.startswith("bram: Brier score 0.4900 over 1 reviewed decisions")
    assert "0.6" in text  # the band [0.6, 0.8) it fell in
    hidden = remote(api, "bob", "decision", "quality", "--by", "bram")
    assert hidden.returncode != 0
    assert "leads of their teams" in hidden.stderr, hidden.stderr
    wrong = remote(api, "bram", "decision", "quality", "--by", "bram", "--period", "Q1")
    assert wrong.returncode == 2
    assert "give it as 2026-Q4" in wrong.stderr


def test_a_kind_is_spelled_alike_by_the_command_line_and_the_api(api: Api) -> None:
    """One spelling per kind (docs/commands.md, "Names"): the receipt's kind is the kind's
    identifier, ``key_result``, whether the command line or the API answers."""
    from tests.api.test_api_support import key_result, objective

    goal = api.ok("/objectives", objective(owner="tester"), **{"Koers-Actor": "tester"})["id"]
    by_api = api.ok("/key-results", key_result(goal), **{"Koers-Actor": "tester"})
    kr = {"objective": goal, "title": "Lead time", "metric": "decrease", "start": "10",
          "target": "2", "unit": "days", "owner": "bram"}  # fmt: skip
    made = remote(api, "tester", "kr", "add", *options(**kr), "--json")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["kind"] == by_api["kind"] == "key_result"
    line = remote(api, "tester", "kr", "add", *options(**kr)).stdout
    assert line.startswith("recorded: key_result ")


def test_the_old_key_option_is_refused_where_it_reads_as_an_options_key(api: Api) -> None:
    """``decision add-option --key`` read as the option's key: there the idempotency key is
    ``--idempotency-key`` only."""
    refused = remote(api, "tester", "decision", "add-option", str(UUID(int=1)),
                     "--option", "c=Later", "--key", "c")  # fmt: skip
    assert refused.returncode == 2
    assert "--key" in refused.stderr, refused.stderr
    shown = remote(api, "tester", "decision", "add-option", "--help").stdout
    assert "--idempotency-key" in shown
    assert "--key " not in shown

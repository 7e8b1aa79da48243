"""Decisions and delegations from the command table: a bad value is refused alike by the
command line (exit 2, naming the option) and the API (422 ``invalid-request`` naming the
field), in the same words, and nothing is stored. The command line refuses it before it
reaches for a store: its cases run with ``NATS_URL`` on a port nobody listens on. Dates lie
from 2000 to ten years ahead."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from ledger.domain import COMMANDS
from tests.api.test_api_support import TODAY, Api, decide, decision, delegation, running_api
from tests.commandline import free_port, run_koers
from tests.conftest import fresh_env

FAR = "9999-12-31"
OLD = "1999-12-31"  # before the floor of every date (2000-01-01)
OPEN_ARGS = ["--team", "platform", "--question", "Monorepo?", "--option", "a=Yes",
             "--door", "one_way", "--decider", "ann", "--decide-by", "2026-12-15"]  # fmt: skip
DECIDE_ARGS = ["--option", "a", "--rationale", "Fastest", "--expected", "Weekly releases"]
CREATE_ARGS = ["--owner", "bram", "--title", "Hiring plan", "--why", "You know the team",
               "--result", "A plan", "--level", "agree"]  # fmt: skip


@dataclass(frozen=True)
class Bad:
    """One bad value of a command: the API's body, the command line's arguments (after the
    id on a change), and the field and option both must name."""

    command: str
    body: dict[str, Any]
    args: list[str]
    field: str
    flag: str


CASES = [
    Bad("decision.open", decision(information_level=101),
        [*OPEN_ARGS, "--information", "101"], "information_level", "--information"),
    Bad("decision.open", decision(risk={"likelihood": 3, "impact": 6}),
        [*OPEN_ARGS, "--information", "60", "--impact", "6"], "risk.impact", "--impact"),
    Bad("decision.add_option", {"option": {"key": "k" * 41, "title": "Later"}},
        ["--option", "k" * 41 + "=Later"], "option.key", "--option.key"),
    Bad("decision.inform", {"information_level": 101}, ["--information", "101"],
        "information_level", "--information"),
    Bad("decision.decide", decide(confidence="1.5"),
        [*DECIDE_ARGS, "--confidence", "1.5", "--review-on", "2027-01-01"],
        "confidence", "--confidence"),
    Bad("decision.decide", decide(review_on=FAR),
        [*DECIDE_ARGS, "--confidence", "0.7", "--review-on", FAR], "review_on", "--review-on"),
    Bad("decision.review",
        {"outcome_quality": 6, "process_quality": 3, "as_expected": True, "what_happened": "x"},
        ["--outcome", "6", "--process", "3", "--as-expected", "--what-happened", "x"],
        "outcome_quality", "--outcome"),
    Bad("decision.reverse", {"reason": " "}, ["--reason", " "], "reason", "--reason"),
    Bad("decision.supersede", {"by_decision_id": "last-one", "reason": "x"},
        ["--by", "last-one", "--reason", "x"], "by_decision_id", "--by"),
    Bad("decision.link", {"kind": "grow", "target_id": "{decision_id}"},
        ["--to", "grow", "--target", "{decision_id}"], "kind", "--to"),
    Bad("decision.score", {"option": "a", "criterion": "speed", "score": 6},
        ["--option", "a", "--criterion", "speed", "--score", "6"], "score", "--score"),
    Bad("decision.position", {"position": "maybe"}, ["--position", "maybe"], "position",
        "--position"),
    Bad("decision.roles", {"approver": "ann, bob"}, ["--approver", "ann, bob"], "approver",
        "--approver"),
    Bad("decision.approve", {"note": "x" * 2001}, ["--note", "x" * 2001], "note", "--note"),
    Bad("delegation.create", delegation(cadence_days=93),
        [*CREATE_ARGS, "--due", "2026-12-20", "--cadence", "93"], "cadence_days", "--cadence"),
    Bad("delegation.create", delegation(due=FAR), [*CREATE_ARGS, "--due", FAR], "due", "--due"),
    Bad("delegation.create", delegation(due=OLD), [*CREATE_ARGS, "--due", OLD], "due", "--due"),
    Bad("delegation.check_in", {"status": "grow", "progress": "x"},
        ["--status", "grow", "--progress", "x"], "status", "--status"),
    Bad("delegation.ack", {"check_in_id": "last-one"}, ["--check-in", "last-one"],
        "check_in_id", "--check-in"),
    Bad("delegation.renegotiate", {"reason": "x", "due": FAR}, ["--reason", "x", "--due", FAR],
        "due", "--due"),
    Bad("delegation.complete", {"feedback": "", "feedforward": "y"},
        ["--feedback", "", "--feedforward", "y"], "feedback", "--feedback"),
    Bad("delegation.revoke", {"reason": ""}, ["--reason", ""], "reason", "--reason"),
]  # fmt: skip


@pytest.fixture(scope="module")
def api() -> Iterator[tuple[Api, dict[str, str]]]:
    """The API on a fresh stream, a decision and a delegation on it, and the env of the
    command line on the same stream."""
    env = fresh_env()
    with running_api(env) as running:
        running.ok("/decisions", decision())
        running.ok("/delegations", delegation())
        cli_env = {k: v for k, v in env.items() if k != "PERSISTENCE_MODULE"}
        yield running, {**cli_env, "KOERS_USER": "ann"}


def test_every_decision_and_delegation_command_has_a_bad_value_case() -> None:
    names = {c.name for c in COMMANDS.values() if c.kind in ("decision", "delegation")}
    assert names == {case.command for case in CASES}


@pytest.mark.parametrize("bad", CASES, ids=lambda b: f"{b.command} {b.field}")
def test_a_bad_value_is_refused_alike_by_the_command_line_and_the_api(
    api: tuple[Api, dict[str, str]], bad: Bad
) -> None:
    running, cli_env = api
    command = COMMANDS[bad.command]
    ids = {f"{kind}_id": running.get(f"/{kind}s").json()["items"][0]["id"]
           for kind in ("decision", "delegation")}  # fmt: skip
    body = {k: v.format(**ids) if isinstance(v, str) else v for k, v in bad.body.items()}
    path = command.path.format(**ids, **{k: body.pop(k) for k in ("check_in_id",) if k in body})
    before = running.koers.recorder.max_notification_id()

    answer = running.post(path, body)
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["type"] == "/problems/invalid-request"
    assert [e["field"] for e in problem["errors"]] == [bad.field]
    detail = problem["errors"][0]["detail"]

    target = [] if command.creates else [ids[f"{command.kind}_id"]]
    args = [a.format(**ids) for a in bad.args]
    verb = command.verb.replace("_", "-")
    nowhere = {**cli_env, "NATS_URL": f"nats://127.0.0.1:{free_port()}"}
    typed = run_koers(command.kind, verb, *target, *args, env=nowhere)
    assert typed.returncode == 2, typed.stderr
    assert typed.stderr.strip() == f"koers: {bad.flag}: {detail}"
    assert running.koers.recorder.max_notification_id() == before, "a refused command stored"


@pytest.mark.parametrize(
    ("kind", "args"),
    [("decision", ["inform", "--information", "70"]), ("delegation", ["revoke", "--reason", "x"])],
)
def test_every_change_takes_an_expected_version_on_the_command_line(
    api: tuple[Api, dict[str, str]], kind: str, args: list[str]
) -> None:
    running, cli_env = api
    ident = running.get(f"/{kind}s").json()["items"][0]["id"]
    verb, *rest = args
    before = running.koers.recorder.max_notification_id()
    stale = run_koers(kind, verb, ident, *rest, "--expect-version", "9", env=cli_env)
    assert stale.returncode == 3, stale.stderr
    assert "expected version 9, found 1" in stale.stderr
    zero = run_koers(kind, verb, ident, *rest, "--expect-version", "0", env=cli_env)
    assert zero.returncode == 2, zero.stderr
    assert zero.stderr.startswith("koers: --expect-version: 0 is outside 1–")
    assert running.koers.recorder.max_notification_id() == before


def test_the_approver_gate_and_the_matrix_read_alike_by_the_command_line_and_the_api(
    api: tuple[Api, dict[str, str]],
) -> None:
    """With bob as approver, deciding is refused alike (exit 2 / 422 ``not-allowed``, the same
    sentence) and stores nothing; scores given through either show the same weighted totals
    in ``koers decision show --json`` and ``GET /decisions/{id}``."""
    running, cli_env = api
    opened = decision(
        consulted=["bob"],
        approver="bob",
        criteria=[{"name": "speed", "weight": "3"}, {"name": "risk", "weight": "1"}],
    )
    ident = running.ok("/decisions", opened)["id"]
    before = running.koers.recorder.max_notification_id()
    refused = running.post(f"/decisions/{ident}/decide", decide())
    assert refused.status_code == 422, refused.text
    assert refused.json()["type"] == "/problems/not-allowed"
    typed = run_koers("decision", "decide", ident, *DECIDE_ARGS, "--confidence", "0.7",
                      "--review-on", str(TODAY), env=cli_env)  # fmt: skip
    assert typed.returncode == 2, typed.stderr
    assert typed.stderr.strip() == f"koers: {refused.json()['detail']}"
    assert "bob is this decision's approver" in typed.stderr
    assert running.koers.recorder.max_notification_id() == before, "a refused command stored"

    bob = {"Koers-Actor": "bob"}
    for option, speed, risk in (("a", 5, 1), ("b", 2, 4)):  # bob: a 3·5 + 1·1 = 16, b 10
        for criterion, score in (("speed", speed), ("risk", risk)):
            body = {"option": option, "criterion": criterion, "score": score}
            running.ok(f"/decisions/{ident}/scores", body, **bob)
    for option, speed, risk in (("a", 3, 3), ("b", 4, 2)):  # ann: a 12, b 14
        for criterion, score in (("speed", speed), ("risk", risk)):
            body = {"option": option, "criterion": criterion, "score": score}
            if (option, criterion) != ("b", "risk"):
                running.ok(f"/decisions/{ident}/scores", body)
    args = ["--option", "b", "--criterion", "risk", "--score", "2"]  # ann's last, typed
    scored = run_koers("decision", "score", ident, *args, env=cli_env)
    assert scored.returncode == 0, scored.stderr
    shown = run_koers("decision", "show", ident, "--json", env=cli_env)
    assert shown.returncode == 0, shown.stderr
    read = running.get(f"/decisions/{ident}").json()
    assert json.loads(shown.stdout)["matrix"] == read["matrix"]
    assert read["matrix"]["totals"] == {"a": "14.00", "b": "12.00"}  # (16 + 12) / 2, (10 + 14) / 2
    assert read["matrix"]["per_person"] == {"ann": {"a": "12.00", "b": "14.00"},
                                            "bob": {"a": "16.00", "b": "10.00"}}  # fmt: skip
    printed = run_koers("decision", "show", ident, env=cli_env)
    assert "matrix" in printed.stdout, printed.stdout
    assert "14.00" in printed.stdout, printed.stdout

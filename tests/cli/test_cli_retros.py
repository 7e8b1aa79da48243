"""Retros and prompts from the command table: the command line and the API refuse the same bad
values the same way (exit 2 naming the option / 422 naming the field, with the same words),
every change takes an expected version, and a retro's action item travels by its id."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ledger.cli._kinds import group_of
from ledger.domain import COMMANDS, Command
from tests.api.test_api_support import WORKERS, Api, retro, running_api
from tests.cli.test_cli import as_json, koers

TODAY = datetime.now(UTC).date()
SOON = f"{TODAY + timedelta(days=20)}T09:00:00+00:00"
ITEM, OTHER = str(uuid.uuid4()), str(uuid.uuid4())

#: command -> (valid values, the field given a bad value, that value). Each bad value has the
#: JSON type the API documents, so both entry points reach the one check of the declaration.
BAD: dict[str, tuple[dict[str, Any], str, Any]] = {
    "retro.hold": (
        {"team": "platform", "period": "Sprint 42", "held_on": str(TODAY)},
        "held_on",
        "0001-01-01",
    ),
    "retro.item": ({"kind": "idea", "text": "Pair more"}, "kind", "grow"),
    "retro.pulse": ({"dimension": "workload", "score": "3.4", "responses": 7}, "score", "5.1"),
    "retro.pulse_score": ({"dimension": "workload", "score": 4}, "score", 6),
    "retro.action": (
        {"text": "Pair on reviews", "owner": "bram", "due": str(TODAY)},
        "due",
        "9999-12-31",
    ),
    "retro.done": ({"item_id": ITEM, "note": "Done"}, "note", "n" * 2001),
    "retro.drop": ({"item_id": ITEM, "reason": "Covered"}, "reason", "   "),
    "retro.carry": ({"item_id": ITEM, "to_retro_id": OTHER}, "to_retro_id", "next sprint"),
    "prompt.issue": ({"to": "ann", "question": "What would you redo?"}, "to", "ann and bob"),
    "prompt.answer": ({"answer": "The monorepo call"}, "answer", ""),
    "prompt.snooze": ({"until": SOON}, "until", "2099-01-01T09:00:00+00:00"),
    "prompt.dismiss": ({"reason": "Busy"}, "reason", "a bell \x07 rings"),
}


def test_every_retro_and_prompt_command_has_a_bad_value_case() -> None:
    assert set(BAD) == {c.name for k in ("retro", "prompt") for c in COMMANDS.of_kind(k)}


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    with running_api() as running:
        yield running


def _cli_args(command: Command, target: str, values: dict[str, Any]) -> list[str]:
    args = [group_of(command.kind), command.verb.replace("_", "-")]
    if not command.creates:
        args.append(target)
    for name, value in values.items():
        args += [command.field(name).flag, str(value)]
    return args


def _api_call(command: Command, target: str, values: dict[str, Any]) -> tuple[str, Any]:
    path_values = {f"{command.kind}_id": target, **values}
    path = command.path.format(**path_values)
    in_path = {n for n in values if "{" + n + "}" in command.route}
    return path, {n: v for n, v in values.items() if n not in in_path}


@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_value_is_refused_alike_by_the_command_line_and_the_api(
    name: str, api: Api, cli_env: dict[str, str]
) -> None:
    command = COMMANDS[name]
    good, field, bad = BAD[name]
    values = {**good, field: bad}
    target = str(uuid.uuid4())  # the values are checked before anything is loaded

    path, body = _api_call(command, target, values)
    response = api.post(path, body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"] == "/problems/invalid-request"
    [error] = problem["errors"]
    assert error["field"] == field

    result = koers(*_cli_args(command, target, values), env=cli_env, check=False)
    assert result.returncode == 2, result.stderr
    flag = command.field(field).flag
    assert result.stderr.strip() == f"koers: {flag}: {error['detail']}"


def test_every_retro_and_prompt_change_takes_if_match(api: Api) -> None:
    r = api.ok("/retros", retro())["id"]
    api.ok(f"/retros/{r}/items", {"kind": "idea", "text": "Pair"}, **{"If-Match": '"1"'})
    stale = api.post(f"/retros/{r}/pulse", {"dimension": "workload", "score": "3",
                     "responses": 4}, **{"If-Match": '"1"'})  # fmt: skip
    assert stale.status_code == 409, stale.text
    p = api.ok("/prompts", {"to": "ann", "question": "What would you redo?"}, **WORKERS)["id"]
    api.ok(f"/prompts/{p}/snooze", {"until": SOON, "expected_version": 1})
    stale = api.post(f"/prompts/{p}/answer", {"answer": "x", "expected_version": 1})
    assert stale.status_code == 409, stale.text
    assert api.get(f"/prompts/{p}").json()["state"] == "snoozed"


def test_an_action_item_is_added_carried_over_and_done_by_its_id(cli_env: dict[str, str]) -> None:
    held = ("--team", "platform", "--period", "Sprint 42", "--held-on")
    earlier = as_json("retro", "hold", *held, str(TODAY), env=cli_env)["id"]
    later = as_json("retro", "hold", *held, str(TODAY + timedelta(days=14)), env=cli_env)["id"]
    action = ("retro", "action", earlier, "--text", "Pair on reviews", "--owner", "bram",
              "--due", str(TODAY + timedelta(days=7)), "--idempotency-key", "action-1")  # fmt: skip
    added = as_json(*action, env=cli_env)
    again = as_json(*action, env=cli_env)
    assert again == {**added, "replayed": True, "position": None}
    item = added["item_id"]
    stale = koers("retro", "carry", earlier, "--item", item, "--to", later,
                  "--expect-version", "1", env=cli_env, check=False)  # fmt: skip
    assert stale.returncode == 3, stale.stderr
    koers("retro", "carry", earlier, "--item", item, "--to", later, "--expect-version", "2",
          env=cli_env)  # fmt: skip
    koers("retro", "done", later, "--item", item, "--note", "Halved the wait", env=cli_env)
    shown = as_json("retro", "show", later, env=cli_env)
    assert shown["actions"][item]["state"] == "done"
    assert shown["actions"][item]["carried_from"] == earlier
    unknown = koers("retro", "done", later, "--item", str(uuid.uuid4()), env=cli_env, check=False)
    assert unknown.returncode == 2
    assert "no action item" in unknown.stderr

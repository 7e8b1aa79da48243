"""The command table drives the API and the command line: walking it, every field's bad value is
refused the same way by both (422 naming the field / exit 2 naming the option), and every
field and command is documented (help, example, schema)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest
from typer.testing import CliRunner

from ledger.cli._app import app as cli
from ledger.cli._kinds import group_of
from ledger.domain import COMMANDS, Command
from ledger.domain._fields import (
    Boolean,
    Choice,
    Day,
    Field,
    Handle,
    Handles,
    Moment,
    Number,
    Quarter,
    Record,
    Records,
    Ref,
    Text,
    Texts,
    Whole,
)
from ledger.domain.credentials import Lifetime
from ledger.domain.directory import Email, Slug, TimeZone
from ledger.domain.notify import QuietHours, WebhookUrl
from ledger.domain.webhooks import EventGlobs
from ledger.domain.webhooks import WebhookUrl as DeliveryUrl
from tests.api.test_api_support import Api, running_api

ALL = list(COMMANDS.values())


#: Bad values typed the same as JSON and on the command line, by the kind of field.
BAD_TEXT: dict[type[Field], str] = {
    Handle: "ann\nbob",
    Quarter: "Q4",
    Day: "9999-12-31",
    Moment: "0001-01-01T00:00:00+14:00",
    Choice: "nope",
    Ref: "not-an-id",
    Email: "nope",
    TimeZone: "Mars/Base",
    Slug: "Not A Slug",
    Lifetime: "forever",
    WebhookUrl: "http://example.org/hook",
    QuietHours: "19:00",
    DeliveryUrl: "https://user:pw@example.org/h",
    EventGlobs: "decision.*,no globs!",
}


def bad(field: Field) -> tuple[Any, Any]:  # noqa: PLR0911 - one case per kind
    """A value the field refuses: (as JSON for the API, as typed on the command line)."""
    match field:
        case Text(line=True):
            return "two\nlines", "two\nlines"
        case Text(most=most):
            return "x" * (most + 1), "x" * (most + 1)
        case Whole(high=high):
            return high + 1, str(high + 1)
        case Number(high=None):
            return "1e999999", "1e999999"
        case Number(high=high):
            return str(high + 1), str(high + 1)
        case Texts(each=each):
            return ["x" * (each + 1)], "x" * (each + 1)
        case Handles():
            return ["ann\nbob"], "ann\nbob"
        case Records() | Record():  # the command line reads records with bespoke options
            one = {"no-such-part": 1}
            return ([one] if isinstance(field, Records) else one), None
        case Boolean():  # a flag pair on the command line: nothing to mistype
            return "yes", None
    if type(field) not in BAD_TEXT:
        raise AssertionError(f"no bad value for {field!r}")
    typed = BAD_TEXT[type(field)]
    return typed, typed


def good(field: Field) -> Any:
    return str(uuid4()) if isinstance(field, Ref) else field.example


def cases() -> list[tuple[Command, Field]]:
    return [(c, f) for c in ALL for f in c.fields]


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    with running_api() as api:
        yield api


def target(command: Command) -> str:
    """A well-formed target: an id, or a name where the kind is named (a team's slug)."""
    return good(command.named_by) if command.named_by else str(uuid4())


def cli_args(command: Command, values: dict[str, Any]) -> list[str]:
    args = [group_of(command.kind), command.verb.replace("_", "-")]
    if not command.creates:
        args.append(target(command))
    args += [str(values[name]) for name in command.arguments]
    for field in command.fields:
        value = values.get(field.name)
        if value is None or isinstance(field, Record | Records) or field.name in command.arguments:
            continue
        if isinstance(field, Boolean):
            args.append(field.flag if value else f"--not-{field.flag.removeprefix('--')}")
            continue
        for one in value if isinstance(value, list) else [value]:
            args += [field.flag, str(one)]
    return args


def run_cli(api: Api, args: list[str]) -> Any:
    env = {k: v for k, v in api.env.items() if k != "PERSISTENCE_MODULE"}
    result = CliRunner().invoke(cli, [*args, "--as", "ann"], env={**os.environ, **env})
    return result


@pytest.mark.parametrize(
    ("command", "field"), cases(), ids=[f"{c.name}.{f.name}" for c, f in cases()]
)
def test_a_bad_value_is_refused_alike_by_the_api_and_the_command_line(
    api: Api, command: Command, field: Field
) -> None:
    json_value, typed = bad(field)
    body = {f.name: good(f) for f in command.fields if f.required}
    body[field.name] = json_value
    answer = api.post(_path(command, body), body)
    assert answer.status_code == 422, answer.text
    named = {e["field"].partition("[")[0].partition(".")[0] for e in answer.json()["errors"]}
    assert named == {field.name}, answer.text
    if typed is None:  # records, a flag pair: tests/cli/test_decisions_refused_alike.py
        return
    typed_body = {f.name: good(f) for f in command.fields if f.required and not
                  isinstance(f, Record | Records)}  # fmt: skip
    result = run_cli(api, cli_args(command, {**typed_body, field.name: typed}))
    assert result.exit_code == 2, result.output
    named = field.metavar if field.name in command.arguments else field.flag
    assert named in result.output, result.output
    assert "Traceback" not in result.output


def _path(command: Command, body: dict[str, Any]) -> str:
    path = command.path.replace("{" + command.target_name + "}", target(command))
    for field in command.fields:
        if "{" + field.name + "}" in path:
            path = path.replace("{" + field.name + "}", str(body.pop(field.name)))
    return path


@pytest.mark.parametrize(
    ("name", "value", "problem_field", "flag"),
    [
        ("actor", "ann\nbob", "actor", "--as"),
        ("actor", "", "actor", "--as"),
        ("key", "k" * 201, "Idempotency-Key", "--idempotency-key"),
        ("expected_version", "0", "expected_version", "--expect-version"),
    ],
)
def test_who_the_key_and_the_version_are_checked_alike(
    api: Api, name: str, value: str, problem_field: str, flag: str
) -> None:
    command = COMMANDS["key_result.check_in"]
    kr = uuid4()
    body: dict[str, Any] = {"value": "1", "confidence": 5}
    headers = {"Koers-Actor": "ann"}
    if name == "key":
        headers["Idempotency-Key"] = value
    else:  # in the body: a header cannot hold a line break
        body[name] = int(value) if name == "expected_version" else value
        headers.pop("Koers-Actor") if name == "actor" else None
    answer = api.client.post(f"/key-results/{kr}/check-ins", json=body, headers=headers)
    assert answer.status_code in (400, 422), answer.text
    assert problem_field in {e["field"] for e in answer.json()["errors"]}, answer.text
    args = [*cli_args(command, {"value": "1", "confidence": "5"}), flag, value]
    args[2] = str(kr)
    result = CliRunner().invoke(cli, args, env={**os.environ, **_env(api)})
    assert result.exit_code == 2, result.output
    assert flag in result.output, result.output


def _env(api: Api) -> dict[str, str]:
    return {k: v for k, v in api.env.items() if k != "PERSISTENCE_MODULE"}


@pytest.mark.parametrize("command", ALL, ids=[c.name for c in ALL])
def test_every_command_and_field_is_documented(command: Command) -> None:
    assert command.summary.endswith(".")
    assert command.event, command.name
    for field in command.fields:
        assert field.help, (command.name, field.name)
        if not isinstance(field, Ref | Record | Records):
            assert field.example is not None, (command.name, field.name)
            field.check(field.example)  # the example is valid

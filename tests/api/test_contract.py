"""The API's contract as a client generating requests from its OpenAPI document sees it:
parameters declared with the forms the domain checks, ``Allow`` naming every method of a
path, and ``koers serve``'s local secret (the command line on the data's machine)."""

from __future__ import annotations

import asyncio
import getpass
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ledger.api import create_api
from ledger.bootstrap import bootstrap, popo_settings
from ledger.domain import COMMANDS
from tests.api.test_hardening import OBJECTIVE, ask, signed_in

SECRET = "a-secret-of-this-serve"


@pytest.fixture(scope="module")
def api() -> Iterator[FastAPI]:
    with bootstrap(popo_settings()) as runtime:
        yield signed_in(create_api(runtime.app, local_secret=SECRET), runtime.app)


def _parameters(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                yield f"{method.upper()} {path}", parameter


def test_names_in_paths_have_the_form_the_domain_checks(api: FastAPI) -> None:
    """A team in a path is a slug, a person a handle: the patterns of the command table's
    ``team.add`` and ``person.add`` names, on the views, notify and calendar routes too."""
    slug = COMMANDS["team.add"].named_by.schema()["pattern"]  # type: ignore[union-attr]
    handle = COMMANDS["person.add"].named_by.schema()["pattern"]  # type: ignore[union-attr]
    wanted = {"team": slug, "slug": slug, "person": handle, "handle": handle}
    seen = set()
    for where, parameter in _parameters(api.openapi()):
        if parameter["in"] == "path" and parameter["name"] in wanted and "problems" not in where:
            assert parameter["schema"].get("pattern") == wanted[parameter["name"]], where
            seen.add(where.split(" ", 1)[1])
    assert {"/teams/{team}/okr-progress", "/people/{person}/prompt-inbox",
            "/people/{handle}/notify", "/teams/{slug}/notify",
            "/people/{person}/calendar-link"} <= seen  # fmt: skip


def test_a_read_and_a_command_on_one_path_name_its_parameter_alike(api: FastAPI) -> None:
    """``GET`` and ``POST /people/{handle}/notify`` are one resource, not two templates."""
    paths = api.openapi()["paths"]
    assert set(paths["/people/{handle}/notify"]) == {"get", "post"}
    assert set(paths["/teams/{slug}/notify"]) == {"get", "post"}


def test_no_parameter_is_declared_as_null(api: FastAPI) -> None:
    """An optional parameter is left out, never sent as the text ``null``."""
    for where, parameter in _parameters(api.openapi()):
        assert "null" not in str(parameter["schema"]), (where, parameter)


def test_a_moment_is_declared_as_a_date_time_or_a_date(api: FastAPI) -> None:
    shapes = [p["schema"] for _, p in _parameters(api.openapi()) if p["name"] == "as_of"]
    assert len(shapes) > 10
    for shape in shapes:
        assert shape["type"] == "string"
        dated = [s for s in shape["anyOf"] if "format" in s]
        assert {s["format"] for s in dated} == {"date-time", "date"}
        for one in dated:
            assert re.match(one["pattern"], "2026-10-01T12:00:00+02:00")
            assert not re.match(one["pattern"], "000000000000")
        assert {"maxLength": 0} in shape["anyOf"]  # blank: now


def test_if_match_is_declared_as_a_version(api: FastAPI) -> None:
    (pattern,) = {p["schema"]["pattern"] for _, p in _parameters(api.openapi())
                  if p["name"] == "If-Match"}  # fmt: skip
    assert [bool(re.fullmatch(pattern, v)) for v in ('"3"', "12", "yesterday", '"0"')] == [
        True, True, False, False
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/people/ann/notify", "GET, HEAD, POST"),  # a read and a command share the path
        ("/people/ann/calendar-link", "DELETE, POST"),
        ("/objectives", "GET, HEAD, POST"),
    ],
)
def test_405_names_every_method_of_the_path(api: FastAPI, path: str, allowed: str) -> None:
    answer = ask(api, "PATCH", f"http://localhost{path}")
    assert answer.status_code == 405
    assert answer.headers["Allow"] == allowed


def _as_local(api: FastAPI, secret: str, client: str = "127.0.0.1", **options: Any) -> Any:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=api, client=(client, 50000))
        async with httpx.AsyncClient(transport=transport) as http:
            return await http.post(
                "http://localhost/objectives",
                json={**OBJECTIVE, "actor": "ann"},
                headers={"Authorization": f"Bearer koers-local_{secret}"},
            )

    return asyncio.run(go())


def test_the_serves_local_secret_signs_in_the_local_administrator(api: FastAPI) -> None:
    made = _as_local(api, SECRET)
    assert made.status_code == 201, made.text
    koers = api.state.koers
    (event,) = koers.event_history(made.json()["id"])
    assert event.actor == "ann"  # whom the command line names
    assert event.credential == f"local:{getpass.getuser()}"  # what proved it


@pytest.mark.parametrize(
    ("secret", "client"),
    [("not-the-secret", "127.0.0.1"), (SECRET, "192.0.2.7"), ("", "127.0.0.1")],
    ids=["wrong secret", "from another machine", "empty"],
)
def test_the_local_secret_works_from_this_machine_only(
    api: FastAPI, secret: str, client: str
) -> None:
    refused = _as_local(api, secret, client)
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")


def test_an_api_without_a_local_secret_takes_none() -> None:
    with bootstrap(popo_settings()) as runtime:
        bare = create_api(runtime.app)
        assert _as_local(bare, "anything").status_code == 401


@pytest.mark.parametrize("how", ["query", "header"])
@pytest.mark.parametrize("path", ["/objectives", "/objectives/{id}", "/delegation-board"])
def test_a_position_never_written_is_refused_naming_the_last(
    api: FastAPI, path: str, how: str
) -> None:
    """``min_position`` (or ``Koers-Min-Position``) beyond the log's last event: 422 at once,
    saying the last position, for the reads of the log as for the views."""
    made = ask(api, "POST", "http://localhost/objectives", json=OBJECTIVE)
    assert made.status_code == 201, made.text
    last = api.state.koers.recorder.max_notification_id()
    url = "http://localhost" + path.replace("{id}", made.json()["id"])
    ahead = {"params": {"min_position": last + 1000}} if how == "query" else {
        "headers": {"Koers-Min-Position": str(last + 1000)}}  # fmt: skip
    refused = ask(api, "GET", url, **ahead)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert f"(position {last})" in refused.json()["detail"]
    assert refused.headers["Koers-Position"] == str(last)
    reached = {"params": {"min_position": last}} if how == "query" else {
        "headers": {"Koers-Min-Position": str(last)}}  # fmt: skip
    assert ask(api, "GET", url, **reached).status_code == 200

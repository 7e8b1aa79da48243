"""What the API tests share (no tests here): a running API on a fresh stream, and data.

The API runs for real: uvicorn on 127.0.0.1 and a free port, in a thread, over a ``Koers``
application on the session's nats-server (a fresh stream per test); the client is httpx.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from ledger.api import create_api
from ledger.api._server import ApiServer
from ledger.application import Koers
from ledger.settings import AccessSettings
from tests.conftest import fresh_env

__all__ = ["ANN", "TODAY", "WORKERS", "Api", "Tokens", "running_api", "seed", "seed_directory"]

ANN = {"Koers-Actor": "ann"}
#: Who the tests' shorthand ``Koers-Actor: koers`` is: the workers' service token.
WORKERS = {"Koers-Actor": "koers"}
TODAY = datetime.now(UTC).date()


#: The directory every API test starts with: ann leads the company (so every team below it),
#: the others are members of one team each; ``admin`` is an admin and ``audrey`` an auditor.
PEOPLE = ("ann", "bram", "bob", "cem", "dora", "tester", "admin", "audrey", "mallory")
TEAMS = {"company": None, "platform": "company", "sales": "company"}
MEMBERS = {("company", "ann"): "lead", ("platform", "bram"): "member",
           ("platform", "bob"): "member", ("platform", "tester"): "lead",
           ("sales", "cem"): "member", ("sales", "dora"): "lead"}  # fmt: skip


def seed_directory(koers: Koers) -> None:
    for handle in PEOPLE:
        koers.add_person(actor="admin", handle=handle, name=handle.title(),
                         email=f"{handle}@example.org")  # fmt: skip
    koers.grant_role("admin", actor="admin", role="admin")
    koers.grant_role("audrey", actor="admin", role="auditor")
    for slug, parent in TEAMS.items():
        koers.add_team(actor="admin", slug=slug, name=slug.title(), parent=parent)
    for (slug, handle), role in MEMBERS.items():
        koers.set_member(slug, actor="admin", handle=handle, role=role)


class Tokens:
    """One token per person, made when first needed; a request's ``Koers-Actor`` header
    (the tests' shorthand for who asks) becomes that person's ``Authorization``."""

    def __init__(self, koers: Koers) -> None:
        self.koers = koers
        self.secrets: dict[str, str] = {}

    def of(self, handle: str) -> str:
        if handle not in self.secrets:
            if handle not in self.koers.directory().org_roles:
                self.koers.add_person(actor="admin", handle=handle, name=handle)
            secret = self.koers.create_token(actor="admin", handle=handle,
                                             on_behalf=handle == "koers").secret  # fmt: skip
            assert secret is not None
            self.secrets[handle] = secret
        return self.secrets[handle]

    def sign(self, request: httpx.Request) -> None:
        if "authorization" in request.headers or request.headers.get("koers-test-raw"):
            request.headers.pop("koers-test-raw", None)
            return
        handle = request.headers.pop("koers-actor", None) or "ann"
        request.headers["authorization"] = f"Bearer {self.of(handle)}"


@dataclass
class Api:
    client: httpx.Client
    koers: Koers
    runner: Any  # projections.ViewRunner | None
    env: dict[str, str]
    url: str
    tokens: Tokens
    app: Any  # the FastAPI application
    #: The stream position after the directory and the tokens were made.
    base: int = 0

    def post(self, path: str, body: dict[str, Any], **headers: str) -> httpx.Response:
        return self.client.post(path, json=body, headers={**ANN, **headers})

    def ok(self, path: str, body: dict[str, Any], **headers: str) -> dict[str, Any]:
        response = self.post(path, body, **headers)
        assert response.status_code in (200, 201), response.text
        result: dict[str, Any] = response.json()
        return result

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.client.get(path, params=params)


@contextmanager
def running_api(
    env: dict[str, str] | None = None,
    views: Path | None = None,
    access: AccessSettings | None = None,
) -> Iterator[Api]:
    """The API over a fresh stream (``env``); with ``views``, live views in that file (or,
    when ``env`` has ``KOERS_VIEWS_URL``, in that PostgreSQL database); with ``access``,
    those sign-in settings (single sign-on)."""
    env = env or fresh_env()
    koers = Koers(env=env)
    seed_directory(koers)
    tokens = Tokens(koers)
    for handle in (*PEOPLE, "koers"):
        tokens.of(handle)
    base = koers.recorder.max_notification_id() or 0
    runner = None
    try:
        if views is not None or env.get("KOERS_VIEWS_URL"):
            from projections import ViewRunner

            where = {} if views is None else {"KOERSVIEWS_SQLITE_DBNAME": str(views)}
            runner = ViewRunner({**env, **where}, app=koers)
            runner.start()
        with (
            ApiServer(asgi := create_api(koers, runner, access=access), port=0) as server,
            httpx.Client(base_url=server.url, timeout=30,
                         event_hooks={"request": [tokens.sign]}) as client,
        ):  # fmt: skip
            yield Api(client, koers, runner, env, server.url, tokens, asgi, base)
    finally:
        if runner is not None:
            runner.close()
        koers.close()


def objective(**overrides: Any) -> dict[str, Any]:
    body = {"team": "platform", "title": "Ship weekly", "why": "Customers wait",
            "period": quarter(TODAY), "owner": "ann"}  # fmt: skip
    return {**body, **overrides}


def key_result(objective_id: str, **overrides: Any) -> dict[str, Any]:
    body = {"objective_id": objective_id, "title": "Lead time", "metric": "decrease",
            "start": "10", "target": "2", "unit": "days", "owner": "bram"}  # fmt: skip
    return {**body, **overrides}


def decision(**overrides: Any) -> dict[str, Any]:
    body = {
        "team": "platform",
        "question": "Move to a monorepo?",
        "options": [{"key": "a", "title": "Yes"}, {"key": "b", "title": "No"}],
        "criteria": [{"name": "speed", "weight": "3"}],
        "reversibility": "one_way",
        "information_level": 70,
        "decider": "ann",
        "decide_by": str(TODAY + timedelta(days=14)),
    }
    return {**body, **overrides}


def decide(**overrides: Any) -> dict[str, Any]:
    body = {"chosen": "a", "rationale": "Fastest", "expected_outcome": "Weekly releases",
            "confidence": "0.7", "review_on": str(TODAY)}  # fmt: skip
    return {**body, **overrides}


def delegation(**overrides: Any) -> dict[str, Any]:
    body = {"owner": "bram", "title": "Hiring plan", "why": "You know the team",
            "desired_result": "A plan", "level": "agree",
            "due": str(TODAY + timedelta(days=30))}  # fmt: skip
    return {**body, **overrides}


def retro(**overrides: Any) -> dict[str, Any]:
    return {"team": "platform", "period": "Sprint 42", "held_on": str(TODAY), **overrides}


def quarter(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def seed(api: Api) -> dict[str, str]:
    """One of everything; returns the ids by path parameter name."""
    ids: dict[str, str] = {}
    ids["objective_id"] = api.ok("/objectives", objective())["id"]
    ids["key_result_id"] = api.ok("/key-results", key_result(ids["objective_id"]))["id"]
    api.ok(f"/key-results/{ids['key_result_id']}/check-ins", {"value": "8", "confidence": 6})
    state = api.get(f"/key-results/{ids['key_result_id']}").json()
    ids["check_in_id"] = next(iter(state["check_ins"]))
    kpi = {"team": "platform", "name": "Deploys", "owner": "ann", "target": "5",
           "direction": "higher_is_better", "kind": "leading"}  # fmt: skip
    ids["kpi_id"] = api.ok("/kpis", kpi)["id"]
    ids["decision_id"] = api.ok("/decisions", decision())["id"]
    ids["delegation_id"] = api.ok("/delegations", delegation())["id"]
    ids["retro_id"] = api.ok("/retros", retro())["id"]
    action = {"text": "Automate the changelog", "owner": "bram", "due": str(TODAY)}
    ids["item_id"] = api.ok(f"/retros/{ids['retro_id']}/action-items", action)["item_id"]
    prompt = {"to": "ann", "question": "What would you redo?"}
    ids["prompt_id"] = api.ok("/prompts", prompt, **WORKERS)["id"]
    return ids

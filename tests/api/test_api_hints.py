"""The API says, in its own words, which GET lists the ids of a kind (never a CLI command):
the application's ``NotFound`` names the kind only. On the in-memory store: nothing here
needs NATS."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from ledger.api import create_api
from ledger.bootstrap import bootstrap, popo_settings


def _get(path: str) -> tuple[int, dict[str, Any]]:
    with bootstrap(popo_settings()) as runtime:
        api = create_api(runtime.app)
        runtime.app.add_person(actor="admin", handle="ann", name="Ann")
        secret = runtime.app.create_token(actor="admin", handle="ann").secret

        async def ask() -> httpx.Response:
            transport = httpx.ASGITransport(app=api)
            async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as c:
                return await c.get(path, headers={"Authorization": f"Bearer {secret}"})

        response = asyncio.run(ask())
    return response.status_code, response.json()


def test_a_thing_not_found_names_the_get_that_lists_its_kind() -> None:
    ident = uuid.uuid4()
    status, problem = _get(f"/key-results/{ident}")
    assert status == 404
    assert problem["detail"] == (
        f"no key result with id {ident}: check the id (GET /key-results lists them)"
    )
    assert "koers" not in problem["detail"]

"""Domain tests: the aggregates, their rules and events, the transcoder and the published
schemas, with no store at all (the domain is pure). Nothing here may open a connection; the
round trip of every event type through the real stream asks for the ``env`` fixture and is
therefore marked ``nats`` (and allowed to)."""

from __future__ import annotations

import pytest

from tests.conftest import refuse_the_network


@pytest.fixture(autouse=True)
def _pure(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    refuse_the_network(request, monkeypatch)

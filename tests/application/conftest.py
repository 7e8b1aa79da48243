"""Fixtures shared by the application's tests: every command's effect and rule, idempotency,
"as of" reads, on the library's in-memory POPO store built by ``ledger.bootstrap``
(``tests.factories.koers()``).

Nothing here may open a connection unless marked ``nats``: the tests that need two
application instances on one shared stream (a restart, a second replica), snapshots on the
stream and the demo's stream content run on the real server and are marked so."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest

from ledger.application import Koers
from tests.conftest import refuse_the_network
from tests.factories import T0, koers, pinned_clock

#: Moves the pinned domain clock on by a duration; returns the new moment.
Step = Callable[[timedelta], datetime]


@pytest.fixture(autouse=True)
def _in_memory(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    refuse_the_network(request, monkeypatch)


@pytest.fixture
def koers_app() -> Iterator[Koers]:
    """An application on the in-memory store."""
    with koers() as app:
        yield app


@pytest.fixture
def clock() -> Iterator[Step]:
    """The domain clock pinned at ``T0`` (modules that want it for every test use it with
    ``pytestmark = pytest.mark.usefixtures("clock")``)."""
    with pinned_clock(T0) as step:
        yield step

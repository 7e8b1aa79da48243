"""Application tests: every command's effect and rule, idempotency, "as of" reads, on the
library's in-memory POPO store built by ``ledger.bootstrap`` (``tests.factories.koers()``).

Nothing here may open a connection unless marked ``nats``: the tests that need two
application instances on one shared stream (a restart, a second replica), snapshots on the
stream and the demo's stream content run on the real server and are marked so."""

from __future__ import annotations

import pytest

from tests.conftest import refuse_the_network


@pytest.fixture(autouse=True)
def _in_memory(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    refuse_the_network(request, monkeypatch)

"""The HTTP API over an application on a real nats-server: the contract, the fuzzing against
its own OpenAPI document, and ``koers serve``. Every test here is marked ``nats``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.test_api_support import Api, running_api
from tests.conftest import mark_nats


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_nats(items, __file__)


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    """The API over a fresh application, one per test module (a module that needs it set up
    otherwise, or afresh per test, defines its own)."""
    with running_api() as running:
        yield running

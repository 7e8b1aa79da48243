"""The HTTP API over an application on a real nats-server: the contract, the fuzzing against
its own OpenAPI document, and ``koers serve``. Every test here is marked ``nats``."""

from __future__ import annotations

import pytest

from tests.conftest import mark_nats


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_nats(items, __file__)

"""The event store against a real nats-server: the library's recorder contract cases,
concurrency, bulk reads and crashes. Every test here is marked ``nats``."""

from __future__ import annotations

import pytest

from tests.conftest import mark_nats


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_nats(items, __file__)

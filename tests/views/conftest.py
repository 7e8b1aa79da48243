"""The views (projections) following a Koers log on a real nats-server, live, rebuilt and
"as of", and their crash tests. Every test here is marked ``nats``."""

from __future__ import annotations

import pytest

from tests.conftest import mark_nats


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_nats(items, __file__)

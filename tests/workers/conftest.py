"""The reflection workers on a real nats-server: triggers, schedules, dead letters, and the
kill tests. Every test here is marked ``nats``."""

from __future__ import annotations

import pytest

from tests.conftest import mark_nats


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_nats(items, __file__)

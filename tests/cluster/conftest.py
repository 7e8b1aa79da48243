"""The cluster stack: the deploy/ files, ``koers cluster up`` on a real 3-node cluster, and
its faults. Every test here but the file comparison (test_same_files.py) starts
nats-servers and is marked ``nats``; the chaos test is also ``slow``."""

from __future__ import annotations

import pytest

from tests.conftest import mark_nats


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_nats(items, __file__, ("test_cluster_up.py", "test_cluster_faults.py"))

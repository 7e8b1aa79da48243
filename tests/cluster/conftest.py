"""The cluster stack: the deploy/ files, ``koers cluster up`` on a real 3-node cluster, its
faults, and the entry. The tests that open sockets (test_cluster_up.py, test_entry.py) are
marked ``nats``; the fault test is also ``slow``; test_same_files.py only reads files."""

from __future__ import annotations

import pytest

from tests.conftest import mark_nats


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_nats(items, __file__, ("test_cluster_up.py", "test_entry.py"))

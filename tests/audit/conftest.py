"""The audit trail: the Merkle tree, checkpoints, the verifier and the settings need no store;
the trail over a ledger on its own nats-server (and its tamper tests) are marked ``nats``."""

from __future__ import annotations

import pytest

from tests.conftest import mark_nats


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_nats(items, __file__, ("test_audit_trail.py", "test_audit_trail_tamper.py"))

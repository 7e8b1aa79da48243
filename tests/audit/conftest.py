"""Fixtures shared by the audit trail's tests. The Merkle tree, checkpoints, the verifier and
the settings need no store; the trail over a ledger on its own nats-server (and its tamper
tests) are marked ``nats``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.audit.test_audit_trail_support import Ledger
from tests.conftest import mark_nats


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_nats(
        items,
        __file__,
        (
            "test_audit_trail.py",
            "test_audit_trail_tamper.py",
            "test_ledger_guard.py",
            "test_audit_signing.py",
            "test_audit_ranges.py",
        ),
    )


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    """A ledger on its own embedded nats-server, stopped at the end."""
    ledger = Ledger(tmp_path)
    try:
        yield ledger
    finally:
        ledger.server.stop()

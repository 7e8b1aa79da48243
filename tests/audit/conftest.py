"""Fixtures shared by the audit trail's tests. The Merkle tree, checkpoints, the verifier and
the settings need no store; the trail over a ledger on its own nats-server (and its tamper
tests) are marked ``nats``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.audit.test_audit_trail_support import Ledger, signed_history
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


@pytest.fixture(scope="session")
def histories(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Ledger]]:
    """The signed history of the tamper tests (``signed_history``: through `koers`), made
    once per pytest worker: on the audited stream, and on one that allows
    deleting a message. Each test damages a copy of its own (``signed``, ``deletable``)."""
    made: dict[str, Ledger] = {}
    try:
        for name, weaker in (("audited", {}), ("deletable", {"deny_delete": False})):
            made[name] = Ledger(tmp_path_factory.mktemp(name))
            signed_history(made[name], **weaker)
        yield made
    finally:
        for ledger in made.values():
            ledger.server.stop()


@pytest.fixture
def signed(histories: dict[str, Ledger], tmp_path: Path) -> Iterator[Ledger]:
    """A copy of the signed history on the audited stream, for one test to damage."""
    ledger = histories["audited"].copy(tmp_path)
    yield ledger
    ledger.server.stop()


@pytest.fixture
def deletable(histories: dict[str, Ledger], tmp_path: Path) -> Iterator[Ledger]:
    """A copy of the signed history on a stream that allows deleting a message."""
    ledger = histories["deletable"].copy(tmp_path)
    yield ledger
    ledger.server.stop()

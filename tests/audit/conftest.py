"""Fixtures shared by the audit trail's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.audit.test_audit_trail_support import Ledger


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    """A ledger on its own embedded nats-server, stopped at the end."""
    ledger = Ledger(tmp_path)
    try:
        yield ledger
    finally:
        ledger.server.stop()

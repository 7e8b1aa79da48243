"""The ``koers`` command line as a user runs it: real processes on a real nats-server
(marked ``nats``), except the help texts, which need no store."""

from __future__ import annotations

import pytest

from tests.conftest import mark_nats


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_nats(items, __file__, ("test_cli.py", "test_export.py", "test_settings.py"))

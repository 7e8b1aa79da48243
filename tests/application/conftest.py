"""Fixtures shared by the application's tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest

from ledger.application import Koers
from tests.factories import T0, koers, pinned_clock

#: Moves the pinned domain clock on by a duration; returns the new moment.
Step = Callable[[timedelta], datetime]


@pytest.fixture
def koers_app() -> Iterator[Koers]:
    with koers() as app:
        yield app


@pytest.fixture
def clock() -> Iterator[Step]:
    """The domain clock pinned at ``T0`` (modules that want it for every test use it with
    ``pytestmark = pytest.mark.usefixtures("clock")``)."""
    with pinned_clock(T0) as step:
        yield step

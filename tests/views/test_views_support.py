"""What the view tests share (no tests here): an application, the clock, built views.

Every metric test records a small story with the domain clock pinned at each step
(:func:`on`), builds the views from the log (:func:`views_of`, the same projection code the
live runner uses) and compares each metric with a number worked out by hand in a comment.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

from ledger.application import Koers
from ledger.domain._clock import frozen_at
from projections import KoersViews, open_views, views_as_of
from tests.conftest import fresh_env, postgres_views

__all__ = ["BACKEND", "app", "find", "moment", "on", "views_of"]


def moment(text: str) -> datetime:
    """``"2026-02-15"`` or ``"2026-02-15T09:30"`` as an aware UTC datetime."""
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


@contextmanager
def on(text: str) -> Iterator[None]:
    """Record what happens inside at this moment (the domain clock pinned)."""
    with frozen_at(moment(text)):
        yield


#: Where :func:`views_of` builds the views: "sqlite" (in memory), or a fresh schema in the
#: session's PostgreSQL (the ``view_backend`` fixture of ``tests/views/conftest.py`` sets it).
BACKEND = {"name": "sqlite"}


@contextmanager
def views_of(koers: Koers) -> Iterator[KoersViews]:
    """The views built from the whole log (closed afterwards), in the backend under test."""
    into = open_views(postgres_views()) if BACKEND["name"] == "postgresql" else None
    views = views_as_of(koers, into=into)
    try:
        yield views
    finally:
        views.close()


def find(items: list[Any], **wanted: Any) -> Any:
    """The one item whose attributes equal ``wanted``."""
    (match,) = [i for i in items if all(getattr(i, k) == v for k, v in wanted.items())]
    return match


@pytest.fixture
def app() -> Iterator[Koers]:
    koers = Koers(env=fresh_env())
    try:
        yield koers
    finally:
        koers.close()

"""The views (projections) following a Koers log on a real nats-server, live, rebuilt and
"as of", and their crash tests. Every test here is marked ``nats``.

The view tests run on both backends: every test of the metric modules (:data:`BOTH`: their
views are built by ``views_of``) and every test that asks for ``views_place`` runs once on
SQLite and once on the session's PostgreSQL (``tests.conftest.postgres_url``), through the
``view_backend`` fixture. The rest (checkpoints, a file's crash) are about SQLite files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import mark_nats, postgres_views
from tests.views.test_views_support import BACKEND

BACKENDS = ("sqlite", "postgresql")
BOTH = (
    "test_views_decider_quality", "test_views_decisions", "test_views_delegations",
    "test_views_lineage", "test_views_matrix", "test_views_okr", "test_views_pulse",
    "test_views_retros",
)  # fmt: skip

#: ``place(env)``: the runner's settings and view file for views of this test's own.
Place = Callable[[dict[str, str]], tuple[dict[str, str], Path | None]]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_nats(items, __file__)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    module = metafunc.module.__name__.rpartition(".")[2]
    if module in BOTH or "views_place" in metafunc.fixturenames:
        metafunc.parametrize("view_backend", BACKENDS, indirect=True)


@pytest.fixture(autouse=True)
def view_backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """The backend this test's views are in ("sqlite" unless parametrized)."""
    name = getattr(request, "param", "sqlite")
    BACKEND["name"] = name
    try:
        yield name
    finally:
        BACKEND["name"] = "sqlite"


@pytest.fixture
def views_place(view_backend: str, tmp_path: Path) -> Place:
    """Where a runner keeps this test's views: a SQLite file in ``tmp_path``, or a fresh
    schema in the session's PostgreSQL."""

    def place(env: dict[str, str]) -> tuple[dict[str, str], Path | None]:
        if view_backend == "postgresql":
            return {**env, **postgres_views()}, None
        return env, tmp_path / "views.sqlite3"

    return place

"""The composition root: parts start in order and close in reverse, also when one fails to
start; the application can live in memory. On the in-memory store (nothing here needs NATS;
the NATS-bound uses are covered by ``koers serve``'s tests and test_settings.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from ledger.application import Koers
from ledger.bootstrap import bootstrap, popo_settings
from ledger.errors import ConfigurationError
from ledger.settings import Settings
from projections import ViewRunner
from tests.factories import ANN, objective


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return popo_settings().with_store(data_dir=tmp_path)


@pytest.fixture
def closed(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, object]]:
    """The parts closed (name, object), in the order they were closed: any application's or
    view runner's, also one of an earlier test that the garbage collector closes meanwhile
    (the library's ``Application.__del__``); a test picks its own by identity."""
    order: list[tuple[str, object]] = []
    for name, cls in (("app", Koers), ("views", ViewRunner)):
        original = cls.close

        def close(self: object, _name: str = name, _original: object = original) -> None:
            order.append((_name, self))
            _original(self)  # type: ignore[operator]

        monkeypatch.setattr(cls, "close", close)
    return order


def test_the_application_on_the_in_memory_store(settings: Settings) -> None:
    with bootstrap(settings) as runtime:
        receipt = runtime.app.set_objective(actor=ANN, **objective())
        assert type(runtime.app.recorder).__name__ == "POPOApplicationRecorder"
        assert len(runtime.app.event_history(receipt.id)) == 1
        assert (runtime.auditor, runtime.views, runtime.workers, runtime.api) == (
            None,
            None,
            None,
            None,
        )


def test_the_parts_close_in_the_reverse_order(
    settings: Settings, closed: list[tuple[str, object]]
) -> None:
    with bootstrap(settings, views=True) as runtime:
        receipt = runtime.app.set_objective(actor=ANN, **objective())
        assert runtime.views is not None
        runtime.views.views.wait("Koers", receipt.position, timeout=5)
    ours = (runtime.app, runtime.views)
    assert [name for name, part in closed if any(part is p for p in ours)] == ["views", "app"]


def test_a_part_that_fails_to_start_closes_what_had_started(
    settings: Settings, closed: list[tuple[str, object]]
) -> None:
    with (
        pytest.raises(ConfigurationError, match="needs the NATS store"),
        bootstrap(settings, audit=True, views=True),
    ):
        pytest.fail("the auditor should have refused the in-memory store")
    # the views, after the auditor, never started; the app was closed (the library's
    # Application.__del__ may close it once more when it is collected)
    assert {name for name, _ in closed} == {"app"}


def test_the_workers_section_always_follows_the_store_section(settings: Settings) -> None:
    moved = replace(settings, store=replace(settings.store, stream="GOALS"))
    assert (moved.workers.stream, moved.workers.subject_prefix) == ("GOALS", "goals")
    assert moved.workers.store_env == moved.store.as_env()
    assert settings.with_store(stream="GOALS") == moved

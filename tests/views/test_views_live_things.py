"""The things the projection keeps in memory between batches (``projections._things``,
:class:`LiveThings`): a thing's next event is applied without unpickling its row, a batch
that is rolled back leaves nothing half changed behind, and ``saved`` holds events only for
the kinds whose state reads them."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import orjson
import pytest
from eventsourcing.persistence import Tracking

from ledger.application import Koers, ReadScope
from ledger.application._reads import complete_state
from ledger.bootstrap import bootstrap, popo_settings
from ledger.domain import KeyResult
from projections import KoersViews, quarantine_entries, thing_state
from projections import _things as things_module
from projections._things import LiveThings
from projections.projection import KoersProjection, Step
from projections.views import memory_views
from tests.factories import (
    check_in,
    new_decision,
    new_key_result,
    new_objective,
    pinned_clock,
)

EVERYTHING = ReadScope("", everything=True)


@pytest.fixture
def app() -> Iterator[Koers]:
    with pinned_clock(), bootstrap(popo_settings()) as runtime:
        yield runtime.app


@pytest.fixture
def views() -> Iterator[KoersViews]:
    made = memory_views()
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def unpickled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every ``saved`` the projection unpickled from here on."""
    loads: list[str] = []
    real = things_module._loads

    def counting(saved: str) -> Any:
        loads.append(saved)
        return real(saved)

    monkeypatch.setattr(things_module, "_loads", counting)
    return loads


def _steps(app: Koers, after: int) -> list[Step]:
    """The log's events after position ``after``, as the projection takes them."""
    return [
        (app.mapper.to_domain_event(n), Tracking(app.name, n.id))
        for n in app.recorder.select_notifications(after + 1, 10_000)
    ]


def _follow(app: Koers, projection: KoersProjection, views: KoersViews) -> None:
    """Apply what the log holds beyond the views, one event per batch (as the live views do
    while writes trickle in)."""
    for step in _steps(app, views.max_tracking_id(app.name) or 0):
        projection.apply([step])


def _shown(views: KoersViews, kind: str, thing: UUID) -> dict[str, Any]:
    version, state = thing_state(views, kind, EVERYTHING, str(thing)) or (0, "null")
    shown: dict[str, Any] = orjson.loads(state)
    assert shown["version"] == version
    return shown


def _check_in(app: Koers, kr: UUID, note: str) -> None:
    app.check_in(kr, actor="bob", **check_in(note=note))


def test_the_next_check_in_is_applied_to_the_kept_key_result_not_its_row(
    app: Koers, views: KoersViews, unpickled: list[str]
) -> None:
    kr = new_key_result(app)
    projection = KoersProjection(views)
    _follow(app, projection, views)
    for n in range(5):
        _check_in(app, kr, f"week {n}")
        _follow(app, projection, views)
    assert unpickled == []  # every batch found the key result kept
    assert _shown(views, "key_result", kr) == complete_state(app.load(KeyResult, kr), lambda _: [])
    restarted = KoersProjection(views)  # nothing kept: the row is read once
    _check_in(app, kr, "after a restart")
    _follow(app, restarted, views)
    assert len(unpickled) == 1
    assert _shown(views, "key_result", kr)["version"] == app.load(KeyResult, kr).version


def test_a_rolled_back_batch_leaves_no_half_changed_thing_behind(
    app: Koers, views: KoersViews, unpickled: list[str]
) -> None:
    kr, other = new_key_result(app), new_objective(app, title="Other")
    projection = KoersProjection(views)
    _follow(app, projection, views)
    _check_in(app, kr, "good")
    ghost = dataclasses.replace(app.event_history(other)[0], originator_version=2)
    app.recorder.insert_events([app.mapper.to_stored_event(ghost)])
    # one batch: the good check-in is applied to the kept key result, then the forged event
    # fails the batch; written again event by event, the good one is applied to the row
    projection.apply(_steps(app, views.max_tracking_id(app.name) or 0))
    assert len(unpickled) == 1
    (aside,) = quarantine_entries(views)
    assert aside["event_type"] == "objective.set"
    _check_in(app, kr, "later")
    _follow(app, projection, views)
    assert len(unpickled) == 1  # kept again after the careful pass
    shown = _shown(views, "key_result", kr)
    assert shown == complete_state(app.load(KeyResult, kr), lambda _: [])
    assert sorted(c["note"] for c in shown["check_ins"].values()) == ["good", "later"]


def test_a_thing_another_projector_moved_on_is_read_from_its_row(
    app: Koers, views: KoersViews, unpickled: list[str]
) -> None:
    """Two projectors on one views store (as two processes on PostgreSQL views): what one
    keeps is used only while its row still has that version."""
    kr = new_key_result(app)
    first, second = KoersProjection(views), KoersProjection(views)
    _follow(app, first, views)  # first keeps the key result
    _check_in(app, kr, "by the second")
    _follow(app, second, views)  # its row moves on; what first keeps is behind it
    _check_in(app, kr, "by the first")
    _follow(app, first, views)
    assert len(unpickled) == 2  # second's first read, then first's
    assert quarantine_entries(views) == []
    shown = _shown(views, "key_result", kr)
    assert shown == complete_state(app.load(KeyResult, kr), lambda _: [])


def test_a_kept_thing_is_handed_out_once_and_only_at_its_rows_version(app: Koers) -> None:
    kr = app.load(KeyResult, new_key_result(app))
    live = LiveThings(most=1)
    live.keep("kr", kr, [])
    assert live.take("kr", kr.version + 1) is None  # its row moved on: read the row
    assert live.take("kr", kr.version) is None  # and it was dropped
    live.keep("kr", kr, [])
    assert live.take("kr", kr.version) == (kr, [])
    assert live.take("kr", kr.version) is None  # handed out: being changed
    live.keep("kr", kr, [])
    live.keep("other", kr, [])  # at most one: the oldest goes
    assert live.take("kr", kr.version) is None


def _saved(views: KoersViews, thing: UUID) -> tuple[Any, list[Any]]:
    (row,) = views.rows("SELECT saved FROM things WHERE thing_id = ?", str(thing))
    return things_module._loads(row["saved"])


def test_saved_keeps_events_only_where_the_state_reads_them(app: Koers, views: KoersViews) -> None:
    kr, decision = new_key_result(app), new_decision(app)
    _check_in(app, kr, "one")
    _follow(app, KoersProjection(views), views)
    assert _saved(views, kr)[1] == []  # the check-ins are in the key result
    thing, events = _saved(views, decision)  # a decision's state reads its events
    assert [e.originator_version for e in events] == list(range(1, thing.version + 1))

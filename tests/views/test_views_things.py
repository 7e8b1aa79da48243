"""Lists and shows from the state the views keep (``projections._things``, ``.things``):
the same answers as the aggregates rebuilt from the store, the same visibility as the
access rules, filters and paging in SQL, forged events set aside, old view files rebuilt."""

from __future__ import annotations

import base64
import copy
import dataclasses
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from ledger.application import Koers, ReadScope
from ledger.application._reads import complete_state
from ledger.bootstrap import bootstrap, popo_settings
from ledger.demo import load_demo
from ledger.domain import AGGREGATES, Principal
from projections import (
    KoersViews,
    ViewRunner,
    quarantine_entries,
    replay,
    thing_page,
    thing_state,
    views_as_of,
)
from projections._schema import SCHEMA
from projections._things import FILTERS, LISTED, _complete_state
from tests.conftest import fresh_env
from tests.factories import new_objective

TODAY = date(2026, 5, 20)  # the demo tells 2026-Q1
EVERYTHING = ReadScope("", everything=True)
ALL = 1_000_000


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[Koers, KoersViews]]:
    with bootstrap(popo_settings()) as runtime:
        load_demo(runtime.app, today=TODAY)
        views = _views_of(runtime.app)
        try:
            yield runtime.app, views
        finally:
            views.close()


def _views_of(app: Koers) -> KoersViews:
    return views_as_of(app)


def _states(views: KoersViews, kind: str, scope: ReadScope = EVERYTHING, **wanted: str) -> Any:
    page = thing_page(views, kind, scope, wanted, limit=ALL, offset=0)
    return [orjson.loads(s) for s in page.items], page.total


@pytest.mark.parametrize("kind", LISTED)
def test_every_thing_answers_what_its_events_rebuild(
    demo: tuple[Koers, KoersViews], kind: str
) -> None:
    app, views = demo
    expected = [complete_state(a, app.event_history) for a in app.all_of(AGGREGATES[kind])]
    states, total = _states(views, kind)
    assert expected, f"the demo has no {kind}"
    assert states == expected  # oldest first, every field, the same values
    assert total == len(expected)
    for state in expected:
        version, shown = thing_state(views, kind, EVERYTHING, state["id"]) or (0, "")
        assert (version, orjson.loads(shown)) == (state["version"], state)
    other = next(k for k in LISTED if k != kind)
    assert thing_state(views, other, EVERYTHING, expected[0]["id"]) is None  # not of that kind


def _principals(app: Koers) -> list[Principal]:
    people = [Principal(handle, "test") for handle in sorted(app.directory().org_roles)]
    return [*people, Principal("koers", "service", service=True),
            Principal("root", "local", local=True), Principal("nobody", "test")]  # fmt: skip


@pytest.mark.parametrize("kind", LISTED)
def test_what_each_person_sees_is_what_the_access_rules_let_them_read(
    demo: tuple[Koers, KoersViews], kind: str
) -> None:
    app, views = demo
    things = app.all_of(AGGREGATES[kind])
    seen_by_someone: set[str] = set()
    hidden = False
    for principal in _principals(app):
        scope = app.read_scope(principal, kind)
        allowed = [str(t.id) for t in things if app.may_read(principal, kind, t)]
        states, total = _states(views, kind, scope)
        assert [s["id"] for s in states] == allowed, principal.handle
        assert total == len(allowed)
        for thing in things:  # a show: the same rule, one thing
            shown = thing_state(views, kind, scope, str(thing.id)) is not None
            assert shown == (str(thing.id) in allowed), (principal.handle, thing.id)
        seen_by_someone |= set(allowed)
        if 0 < len(allowed) < len(things):
            hidden = True
    assert seen_by_someone, f"nobody sees a {kind}: the test would prove nothing"
    assert hidden or kind == "prompt" or len(things) == 1


@pytest.mark.parametrize("kind", LISTED)
def test_each_filter_matches_what_the_list_compared_and_pages_in_order(
    demo: tuple[Koers, KoersViews], kind: str
) -> None:
    _, views = demo
    everything, _ = _states(views, kind)
    for name in FILTERS[kind]:
        for value in {str(s.get(name)) for s in everything}:
            expected = [s for s in everything if str(s.get(name)) == value]
            assert _states(views, kind, **{name: value}) == (expected, len(expected))
            for offset in range(len(expected) + 1):
                page = thing_page(views, kind, EVERYTHING, {name: value}, limit=2, offset=offset)
                assert [orjson.loads(s) for s in page.items] == expected[offset : offset + 2]
                assert page.total == len(expected)
    name = FILTERS[kind][0]
    assert _states(views, kind, **{name: "no such value"}) == ([], 0)
    with pytest.raises(ValueError, match="has no filter"):
        thing_page(views, kind, EVERYTHING, {"colour": "red"}, limit=1, offset=0)


def test_a_page_is_an_index_range_not_a_scan(demo: tuple[Koers, KoersViews]) -> None:
    _, views = demo
    plan = views.rows(
        "EXPLAIN QUERY PLAN SELECT state FROM things WHERE kind = ? AND thing_id IN "
        "(SELECT thing_id FROM thing_fields WHERE kind = ? AND name = ? AND value = ?) "
        "ORDER BY position LIMIT 10",
        "decision", "decision", "team", "platform",
    )  # fmt: skip
    details = " | ".join(str(row["detail"]) for row in plan)
    assert "SCAN things" not in details.replace("USING INDEX", "")  # no full scan
    assert "things_kind_position_team_owner_private_to_thing_id" in details
    assert "sqlite_autoindex_thing_fields_1" in details


def test_a_forged_event_is_set_aside_and_its_thing_keeps_its_last_good_state() -> None:
    with bootstrap(popo_settings()) as runtime:
        app = runtime.app
        good = new_objective(app, title="Ship weekly")
        set_event = app.event_history(good)[0]
        forged = dataclasses.replace(set_event, originator_version=5, title="Forged")
        ghost = dataclasses.replace(  # an event of a thing that was never created
            app.event_history(new_objective(app))[0], originator_version=2
        )
        app.recorder.insert_events([app.mapper.to_stored_event(e) for e in (forged, ghost)])
        after = new_objective(app, title="After the forgery")
        views = _views_of(app)
        try:
            aside = quarantine_entries(views)
            assert [row["event_type"] for row in aside] == ["objective.set", "objective.set"]
            assert all(row["reason"].startswith("cannot apply: ") for row in aside)
            states, _ = _states(views, "objective")
            by_id = {s["id"]: s for s in states}
            assert by_id[str(good)]["title"] == "Ship weekly"  # its last good state
            assert by_id[str(good)]["version"] == 1
            assert by_id[str(after)]["title"] == "After the forgery"  # the views went on
            assert views.position == app.recorder.max_notification_id()
        finally:
            views.close()


class _Runs:
    """What a pickle made by someone else could hide: a call of anything, here ``os.system``."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        import os

        return os.system, (self.command,)


def test_a_saved_thing_that_would_run_code_is_refused_and_its_event_set_aside(
    tmp_path: Path,
) -> None:
    """Whoever may write the views (a shared PostgreSQL schema) cannot make the projector run
    code through ``things.saved``: it loads the domain's classes and a few value types only."""
    marker = tmp_path / "ran"
    with bootstrap(popo_settings()) as runtime:
        app = runtime.app
        objective = new_objective(app, title="Ship weekly")
        views = _views_of(app)
        try:
            evil = base64.b64encode(pickle.dumps(_Runs(f"touch {marker}"))).decode()
            with views._transaction(commit=True) as c:  # what a writer of the schema could do
                c.execute("UPDATE things SET saved = ? WHERE thing_id = ?", (evil, str(objective)))
            app.score_objective(objective, actor="ann", score="0.5", learnings="x")
            replay(app, views)
            (aside,) = quarantine_entries(views)
            assert aside["event_type"] == "objective.scored"
            assert "posix.system, which is not a class of the domain" in aside["reason"]
            assert not marker.exists()
            assert views.position == app.recorder.max_notification_id()  # the views went on
        finally:
            views.close()


def test_views_made_by_an_older_schema_are_rebuilt_when_a_runner_opens_them(
    tmp_path: Path,
) -> None:
    env = fresh_env()
    app = Koers(env=env)
    path = tmp_path / "views.sqlite3"
    try:
        objective = new_objective(app)
        with ViewRunner(env, path, app=app) as runner:
            runner.wait_for(app.recorder.max_notification_id(), timeout=10)
            assert not runner.views.outdated
        old = ViewRunner(env, path, app=app)  # as an older Koers left it: no state, no version
        with _raw(old.views) as run:
            run(f"DELETE FROM {SCHEMA.name}")
            run("DELETE FROM things")
        assert old.views.outdated
        old.close()
        with ViewRunner(env, path, app=app) as runner:
            assert not runner.views.outdated
            states, _ = _states(runner.views, "objective")
            assert [s["id"] for s in states] == [str(objective)]
    finally:
        app.close()


@contextmanager
def _raw(views: KoersViews) -> Iterator[Any]:
    """Run statements on the view file outside the projection (to age it)."""
    with views._transaction(commit=True) as cursor:
        yield cursor.execute


def test_the_filters_kept_are_those_the_api_and_the_command_line_offer() -> None:
    from ledger.api._kinds import KINDS
    from ledger.cli._reads import READS

    assert {kind: tuple(filters) for kind, (_, filters) in KINDS.items()} == FILTERS
    for kind in LISTED:
        assert set(READS[kind].filters) <= set(FILTERS[kind]), kind


@pytest.mark.parametrize("kind", LISTED)
def test_the_state_written_in_one_pass_is_complete_state(
    demo: tuple[Koers, KoersViews], kind: str
) -> None:
    """What the projection writes (orjson's pass where the kind adds nothing to the state)
    is what :func:`complete_state` answers, value for value."""
    app, _ = demo
    for thing, events in app.all_with_events(AGGREGATES[kind]):
        assert _complete_state(thing, events) == complete_state(thing, app.event_history)


def test_a_value_orjson_cannot_write_takes_the_walk_of_plain(
    demo: tuple[Koers, KoersViews],
) -> None:
    app, _ = demo
    kr = copy.deepcopy(app.all_of(AGGREGATES["key_result"])[0])
    kr.by_amount = {Decimal("1.5"): "a decimal key: orjson writes no such key"}
    state = _complete_state(kr, [])
    assert state["by_amount"] == {"1.5": "a decimal key: orjson writes no such key"}
    assert state == complete_state(kr, app.event_history)

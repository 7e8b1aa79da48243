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
from uuid import UUID

import orjson
import pytest

from ledger.application import Koers, ReadScope
from ledger.application._reads import complete_state
from ledger.bootstrap import bootstrap, popo_settings
from ledger.demo import load_demo
from ledger.domain import AGGREGATES, Principal
from ledger.domain._clock import frozen_at
from projections import (
    KoersViews,
    ViewRunner,
    _thing_counts,
    open_views,
    quarantine_entries,
    replay,
    thing_page,
    thing_state,
    views_as_of,
)
from projections._schema import SCHEMA
from projections._things import FILTERS, LISTED, _complete_state
from projections.things import page_query
from tests.conftest import fresh_env, postgres_views
from tests.factories import T0, decide, new_decision, new_delegation, new_objective, new_prompt

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


@pytest.mark.parametrize(
    ("wanted", "index"),
    [
        ({}, "things_kind_position_team_owner_private_to_thing_id"),
        ({"team": "platform"}, "sqlite_autoindex_thing_fields_1"),
    ],
)
def test_a_page_reads_an_index_range_in_list_order_and_stops_when_full(
    demo: tuple[Koers, KoersViews], wanted: dict[str, str], index: str
) -> None:
    """No full scan, no sort, and no subquery built in full before the first row (what the
    reader is named on is looked up per row): a page reads about ``offset + limit`` rows."""
    app, views = demo
    scope = app.read_scope(Principal("ann", "test"), "decision")
    assert not scope.everything  # the condition has all its parts
    assert scope.teams
    sql, params = page_query("decision", scope, wanted, limit=10, offset=0)
    details = " | ".join(str(r["detail"]) for r in views.rows(f"EXPLAIN QUERY PLAN {sql}", *params))
    assert "SCAN" not in details  # every table is searched by an index
    assert "TEMP B-TREE" not in details  # the index gives the order: no sort
    assert "LIST SUBQUERY" not in details  # nothing materialized
    assert index in details


def _grow(app: Koers, rounds: range, earlier: list[tuple[UUID, str, str]]) -> None:
    """More of every listed kind the cells depend on, spread over the demo's teams and
    people; the decisions of the round before (``earlier``, their views written already)
    are changed: decided (their status moves) or a person named on them (their cell moves)."""
    people = sorted(app.directory().org_roles)
    with frozen_at(T0):
        for n, (decision, who, other) in enumerate(earlier):
            if n % 2:
                app.decide(decision, actor=who, **decide())
            else:
                app.name_decision_roles(decision, actor=who, approver=other)
        earlier.clear()
        for r in rounds:
            for n, team in enumerate(("platform", "sales", "company")):
                who, other = people[(3 * r + n) % len(people)], people[(5 * r + n + 1) % 12]
                decision = new_decision(app, actor=who, team=team, decider=who,
                                        consulted=(other,))  # fmt: skip
                earlier.append((decision, who, other))
                new_delegation(app, actor=who, delegator=who, owner=other)
                new_prompt(app, to=other)
                new_objective(app, actor=who, team=team, owner=who)


def _every_reader_sees_what_the_rules_allow(app: Koers, views: KoersViews, kind: str) -> None:
    """For every reader: the list, its total, and each filter's total and a page of it are
    what :meth:`Koers.may_read` allows, in list order."""
    states = {s["id"]: s for s in _states(views, kind)[0]}
    things = app.all_of(AGGREGATES[kind])
    for principal in _principals(app):
        scope = app.read_scope(principal, kind)
        allowed = [states[str(t.id)] for t in things if app.may_read(principal, kind, t)]
        ids = [s["id"] for s in allowed]
        listed, total = _states(views, kind, scope)
        assert ([s["id"] for s in listed], total) == (ids, len(ids)), principal.handle
        for name in FILTERS[kind]:
            for value in {str(s.get(name)) for s in states.values()}:
                expected = [s["id"] for s in allowed if str(s.get(name)) == value]
                page = thing_page(views, kind, scope, {name: value}, limit=2, offset=1)
                got = [orjson.loads(item)["id"] for item in page.items]
                assert (got, page.total) == (expected[1:3], len(expected)), (principal, name)
        if allowed and len(FILTERS[kind]) > 1:  # two filters: counted from the rows
            a, b = FILTERS[kind][:2]
            both = {a: str(allowed[-1].get(a)), b: str(allowed[-1].get(b))}
            expected = [
                s["id"] for s in allowed if all(str(s.get(k)) == v for k, v in both.items())
            ]
            page = thing_page(views, kind, scope, both, limit=ALL, offset=0)
            assert [orjson.loads(item)["id"] for item in page.items] == expected
            assert page.total == len(expected)


def _counts(views: KoersViews) -> list[dict[str, Any]]:
    return views.rows("SELECT * FROM thing_counts WHERE n <> 0 ORDER BY kind, name, value, "
                      "handle, team, owner, private_to")  # fmt: skip


def _fresh_views(app: Koers, backend: str) -> KoersViews:
    """The views of ``app``'s whole log, in memory (SQLite) or a fresh PostgreSQL schema."""
    if backend == "sqlite":
        return _views_of(app)
    return views_as_of(app, into=open_views(postgres_views()))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_totals_and_pages_stay_exact_for_every_reader_as_the_ledger_grows(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The counts the projection keeps (``projections._thing_counts``) answer each reader's
    ``total`` at several sizes, kept up batch by batch as things are made and changed, and
    equal to the counts a rebuild from the whole log makes; on both view backends. (Three
    counts per statement, so a thing's counts take several.)"""
    monkeypatch.setattr(_thing_counts, "_ROWS", 3)
    with bootstrap(popo_settings()) as runtime:
        app = runtime.app
        load_demo(app, today=TODAY)
        views = _fresh_views(app, backend)
        try:
            earlier: list[tuple[UUID, str, str]] = []
            for rounds in (range(0), range(0, 2), range(2, 6), range(0)):  # the demo, +2, +6
                _grow(app, rounds, earlier)
                replay(app, views)  # on from where the views are
                for kind in LISTED:
                    _every_reader_sees_what_the_rules_allow(app, views, kind)
            assert len(app.all_of(AGGREGATES["decision"])) >= len(LISTED) + 18
            rebuilt = _fresh_views(app, backend)
            try:
                assert _counts(views) == _counts(rebuilt)
            finally:
                rebuilt.close()
        finally:
            views.close()


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


def test_a_total_is_the_sum_of_the_readers_cells_as_docs_metrics_works_it_out() -> None:
    """docs/metrics.md's worked example, by hand: Ann (platform only) sees two platform
    decisions and the sales one that consults her, not the other sales one: 2 + 1 = 3."""
    with bootstrap(popo_settings()) as runtime:
        app = runtime.app
        for handle in ("ann", "bob", "gijs"):
            app.add_person(actor="admin", handle=handle, name=handle.title())
        for slug in ("platform", "sales"):
            app.add_team(actor="admin", slug=slug, name=slug.title())
        app.set_member("platform", actor="admin", handle="ann", role="member")
        app.set_member("sales", actor="admin", handle="gijs", role="lead")
        with frozen_at(T0):
            mine = [new_decision(app, decider="bob", consulted=("bob",)) for _ in range(2)]
            theirs = new_decision(app, team="sales", decider="gijs", consulted=("ann",))
            new_decision(app, team="sales", decider="gijs", consulted=("bob",))
        views = _views_of(app)
        try:
            cells = {
                (r["handle"], r["team"]): r["n"]
                for r in views.rows(
                    "SELECT handle, team, n FROM thing_counts "
                    "WHERE kind = 'decision' AND name = '' AND n <> 0"
                )
            }
            assert cells[("", "platform")] == 2
            assert cells[("", "sales")] == 2
            assert cells[("ann", "sales")] == 1
            assert ("ann", "platform") not in cells  # she is not named on platform's
            scope = app.read_scope(Principal("ann", "test"), "decision")
            page = thing_page(views, "decision", scope, {}, limit=10, offset=0)
            assert page.total == 3
            assert [orjson.loads(s)["id"] for s in page.items] == [*map(str, mine), str(theirs)]
        finally:
            views.close()


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

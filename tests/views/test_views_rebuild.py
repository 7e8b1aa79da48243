"""Rebuild: a rebuilt view equals the live one byte for byte; every path into the views (live
runner, rebuild, "as of", the library's ProjectionRunner) gives the same tables; an event
delivered twice is applied once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent, Tracking
from eventsourcing.projection import ProjectionRunner
from eventsourcing.utils import get_topic

from ledger.application import Koers
from ledger.bootstrap import bootstrap, popo_settings
from ledger.demo import load_demo
from ledger.domain import Decision, Objective
from projections import (
    KoersProjection,
    SQLiteKoersViews,
    ViewRunner,
    dump,
    memory_views,
    open_views,
    quarantine_entries,
    views_as_of,
)
from projections import projection as projection_module
from projections._types import Handlers
from projections.replay import recorded_at, replay
from tests.conftest import fresh_env
from tests.factories import new_objective
from tests.views.conftest import Place

TODAY = date(2026, 5, 20)  # the demo tells 2026-Q1
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo() -> Any:
    env = fresh_env()
    app = Koers(env=env)
    load_demo(app, today=TODAY)
    yield env, app
    app.close()


def test_live_views_after_the_demo_equal_rebuilt_views_byte_for_byte(
    tmp_path: Path, views_place: Place
) -> None:
    """On either backend the rebuilt views equal the live ones, and both equal the views
    replayed into SQLite, in memory and in a file rebuilt by a runner of its own: in
    PostgreSQL, live = rebuilt = the SQLite rebuild of the same log."""
    env = fresh_env()
    app = Koers(env=env)
    runner = ViewRunner(*views_place(env), app=app).start()
    in_sqlite = ViewRunner(env, tmp_path / "sqlite.sqlite3", app=app)
    try:
        load_demo(app, today=TODAY)  # the runner follows while the demo is written
        last = app.recorder.max_notification_id()
        runner.wait_for(last, timeout=30)
        runner.export(tmp_path / "live.jsonl")
        seen: list[tuple[int, int]] = []
        started = time.perf_counter()
        assert runner.rebuild(progress=lambda done, total: seen.append((done, total))) == last
        seconds = time.perf_counter() - started
        runner.export(tmp_path / "rebuilt.jsonl")
        live, rebuilt = (tmp_path / "live.jsonl").read_bytes(), (tmp_path / "rebuilt.jsonl")
        assert rebuilt.read_bytes() == live
        assert seen[0] == (0, last)
        assert seen[-1] == (last, last)
        print(f"\nrebuild: {last} events in {seconds * 1000:.0f} ms ({last / seconds:,.0f}/s)")
        replayed = views_as_of(app)
        try:
            assert dump(replayed) == live
        finally:
            replayed.close()
        assert in_sqlite.rebuild() == last
        assert in_sqlite.dump() == live
        receipt = app.issue_prompt(actor="k", to="ann", question="After?", kind="k")
        runner.wait_for(receipt.position)  # the rebuilt views keep following
        assert runner.position == receipt.position
        assert len(live.splitlines()) > 200  # rows of every table
    finally:
        in_sqlite.close()
        runner.close()
        app.close()


def test_the_library_projection_runner_builds_the_same_views(demo: Any, tmp_path: Path) -> None:
    env, app = demo
    last = app.recorder.max_notification_id()
    runner_env = {
        **env,
        "KOERSVIEWS_PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "KOERSVIEWS_SQLITE_DBNAME": str(tmp_path / "library.sqlite3"),
    }
    with ProjectionRunner(
        application_class=Koers,
        projection_class=KoersProjection,
        view_class=SQLiteKoersViews,
        env=runner_env,
    ) as runner:
        runner.wait(last, timeout=30)
        library = dump(runner.view)
    runner.view.close()
    replayed = views_as_of(app)
    try:
        assert library == dump(replayed)
    finally:
        replayed.close()


@pytest.mark.parametrize("bounds", ["whole log", "up to a position", "up to a time"])
def test_prefetching_the_next_page_gives_the_views_replaying_page_after_page(
    demo: Any, bounds: str
) -> None:
    """``replay`` reads (and decodes) page k+1 in a helper thread while it applies page k:
    the views, their position and what is held back for an "as of" time are exactly those of
    reading one page after the other (small pages: many of them, a time inside the log)."""
    _, app = demo
    last = app.recorder.max_notification_id()
    stop = last // 2 if bounds == "up to a position" else None
    until = recorded_at(app, last // 3) if bounds == "up to a time" else None
    built = []
    for prefetch in (True, False):
        views = memory_views()
        try:
            position = replay(app, views, stop=stop, until=until, page=7, prefetch=prefetch)
            built.append((position, dump(views)))
        finally:
            views.close()
    assert built[0] == built[1]
    assert built[0][0] == {"whole log": last, "up to a position": stop}.get(bounds, last // 3)


def test_an_event_delivered_twice_is_applied_once(demo: Any, views_place: Place) -> None:
    env, app = demo
    settings, path = views_place(env)
    views = views_as_of(app, position=40, into=None if path else open_views(settings))
    try:
        before = dump(views)
        notes = app.recorder.select_notifications(31, 10)
        steps = [(app.mapper.to_domain_event(n), Tracking(app.name, n.id)) for n in notes]
        KoersProjection(views).apply(steps)  # 31–40 again: skipped
        assert dump(views) == before
        with pytest.raises(IntegrityError), views.recording(Tracking(app.name, 40)) as tx:
            tx.run("DELETE FROM objectives")  # never committed: the position is taken
        assert dump(views) == before
        KoersProjection(views).apply(
            [(app.mapper.to_domain_event(n), Tracking(app.name, n.id)) for n in notes[:0]]
        )
        assert views.position == 40
    finally:
        views.close()


def test_a_failing_handler_sets_its_event_aside_and_the_views_go_on(
    monkeypatch: pytest.MonkeyPatch, views_place: Place
) -> None:
    """A handler that raises: its event is quarantined (with why), nothing of it is written,
    the events after it are applied, and a rebuild sets aside the same events."""

    def broken(tx: Any, *_: Any) -> None:
        tx.run("DELETE FROM decisions")  # half done, then it fails: rolled back
        raise ValueError("a bug in a handler")

    handlers: Handlers = {**projection_module.HANDLERS, Decision.Reversed: broken}
    monkeypatch.setattr(projection_module, "HANDLERS", handlers)
    env = fresh_env()
    app = Koers(env=env)
    runner = ViewRunner(*views_place(env), app=app).start()
    try:
        load_demo(app, today=TODAY)
        last = app.recorder.max_notification_id()
        runner.wait_for(last, timeout=30)
        assert runner.error is None
        reversed_at = [
            n.id
            for n in app.recorder.select_notifications(1, 1000)
            if n.topic.endswith("Decision.Reversed")
        ]
        aside = quarantine_entries(runner.views)
        assert [row["position"] for row in aside] == reversed_at
        assert {row["reason"] for row in aside} == {"cannot apply: ValueError: a bug in a handler"}
        assert {row["event_type"] for row in aside} == {"decision.reversed"}
        assert aside[0]["subject"].endswith(".reversed")
        assert runner.views.rows("SELECT COUNT(*) AS n FROM decisions")[0]["n"] > 0
        live = runner.dump()
        runner.rebuild()
        assert runner.dump() == live
    finally:
        runner.close()
        app.close()


def test_an_event_that_does_not_decode_is_set_aside_and_the_replay_goes_on() -> None:
    """A stored event of a known type whose payload its class cannot be built from."""
    with bootstrap(popo_settings()) as runtime:
        app = runtime.app
        first = new_objective(app)
        topic = get_topic(Objective.Set)
        app.recorder.insert_events([StoredEvent(uuid.uuid4(), 1, topic, b"not json")])
        new_objective(app)
        views = views_as_of(app)
        try:
            [aside] = quarantine_entries(views)
            assert (aside["position"], aside["event_type"]) == (2, "objective.set")
            assert aside["reason"].startswith("cannot decode: ")
            ids = {r["objective_id"] for r in views.rows("SELECT objective_id FROM objectives")}
            assert str(first) in ids
            assert len(ids) == 2
            assert views.position == 3
        finally:
            views.close()


def _koers_projections(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ledger.cli", "projections", *args],
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_rebuild_from_the_command_line(demo: Any, tmp_path: Path) -> None:
    env, app = demo
    views = tmp_path / "views.sqlite3"
    env = {**env, "KOERS_DATA_DIR": str(tmp_path)}
    done = _koers_projections("rebuild", "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["position"] == app.recorder.max_notification_id()
    assert "replaying the log" in done.stderr
    status = _koers_projections("status", "--json", env=env)
    assert json.loads(status.stdout)["behind"] == 0
    replayed = views_as_of(app)
    try:
        assert _koers_projections("export", str(tmp_path / "x.jsonl"), env=env).returncode == 0
        assert (tmp_path / "x.jsonl").read_bytes() == dump(replayed)
    finally:
        replayed.close()
    runner = ViewRunner(env, views, app=app)  # holds the writer lock
    try:
        busy = _koers_projections("rebuild", env=env)
    finally:
        runner.close()
    assert busy.returncode == 3
    assert "maintained by another process" in busy.stderr

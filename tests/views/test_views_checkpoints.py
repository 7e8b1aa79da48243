"""View checkpoints: an "as of" read that starts from the nearest checkpoint answers what a
replay of the whole log answers, at every kind of position (before the first checkpoint,
exactly on one, just after one, the end) and time; checkpoints survive a restart, are taken
by the live runner as it follows, and are rebuilt with the views (``koers projections
rebuild``)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ledger.application import Koers
from ledger.demo import load_demo
from projections import ViewRunner, dump, replay, views_as_of
from projections._checkpoints import thinned
from projections.replay import recorded_at
from tests.conftest import fresh_env
from tests.views.test_views_rebuild import ROOT, TODAY

EVERY = 100


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[dict[str, str], Koers]]:
    env = {**fresh_env(), "KOERSVIEWS_CHECKPOINT_EVERY": str(EVERY),
           "KOERS_DATA_DIR": str(tmp_path)}  # fmt: skip
    app = Koers(env=env)
    load_demo(app, today=TODAY)
    yield env, app
    app.close()


def _full(app: Koers, position: int | None = None, at: datetime | None = None) -> bytes:
    views = views_as_of(app, position=position, time=at)
    try:
        return dump(views)
    finally:
        views.close()


def _from_checkpoints(runner: ViewRunner, position: int | None = None,
                      at: datetime | None = None) -> tuple[bytes, datetime | None]:  # fmt: skip
    views = runner.as_of(position=position, time=at)
    try:
        return dump(views), views.as_of
    finally:
        views.close()


def _assert_same_as_full_replay(app: Koers, runner: ViewRunner, kept: list[int]) -> None:
    last = app.recorder.max_notification_id() or 0
    positions = {1, kept[0] - 1, last, last - 1}
    for c in kept:
        positions |= {c, c + 1, c - 1}
    for p in sorted(x for x in positions if 0 < x <= last):
        assert _from_checkpoints(runner, p)[0] == _full(app, p), f"position {p}"
    moments = {kept[0] - 1, kept[0], kept[0] + 1, kept[-1], kept[-1] + 2, last}
    for p in sorted(x for x in moments if 0 < x <= last):  # the demo's size may vary
        recorded = _recorded(app, p)
        for at in (recorded, recorded - timedelta(microseconds=1), recorded + timedelta(hours=1)):
            got, as_of = _from_checkpoints(runner, at=at)
            assert got == _full(app, at=at), f"time {at} (position {p})"
            assert as_of == at
    before_all = _recorded(app, 1) - timedelta(days=1)
    assert _from_checkpoints(runner, at=before_all)[0] == _full(app, at=before_all)
    assert _from_checkpoints(runner, position=kept[1], at=_recorded(app, last))[0] == _full(
        app, kept[1], _recorded(app, last)
    )


def test_as_of_from_checkpoints_equals_a_full_replay_before_and_after_a_restart(
    demo: tuple[dict[str, str], Koers], tmp_path: Path
) -> None:
    env, app = demo
    last = app.recorder.max_notification_id() or 0
    assert last > 3 * EVERY
    path = tmp_path / "views.sqlite3"
    runner = ViewRunner(env, path, app=app)
    try:
        for stop in (EVERY, 2 * EVERY, 3 * EVERY):
            replay(app, runner.views, stop=stop)
            assert runner.checkpoint() == stop
        replay(app, runner.views)
        assert runner.checkpoints.positions() == [EVERY, 2 * EVERY, 3 * EVERY]
        _assert_same_as_full_replay(app, runner, runner.checkpoints.positions())
    finally:
        runner.close()
    again = ViewRunner(env, path, app=app)  # a restart: the checkpoints are files
    try:
        assert again.checkpoints.positions() == [EVERY, 2 * EVERY, 3 * EVERY]
        assert _from_checkpoints(again, 2 * EVERY + 7)[0] == _full(app, 2 * EVERY + 7)
    finally:
        again.close()


def test_the_live_runner_takes_checkpoints_as_it_follows(
    demo: tuple[dict[str, str], Koers], tmp_path: Path
) -> None:
    env, app = demo
    last = app.recorder.max_notification_id() or 0
    with ViewRunner(env, tmp_path / "views.sqlite3", app=app, batch=20) as runner:
        runner.wait_for(last, timeout=30)
        deadline = time.monotonic() + 30
        while runner.checkpoints.due(last):  # none due any more: the last one is that recent
            assert time.monotonic() < deadline, runner.checkpoints.positions()
            time.sleep(0.01)
        kept = runner.checkpoints.positions()
        gaps = [b - a for a, b in zip([0, *kept], kept, strict=False)]
        assert all(gap >= EVERY for gap in gaps), kept  # a checkpoint lags, never precedes
        assert kept[-1] > last - EVERY
        for c in kept:  # each one holds exactly the events 1..c
            assert _from_checkpoints(runner, c)[0] == _full(app, c)


def test_koers_projections_rebuild_rebuilds_the_checkpoints(
    demo: tuple[dict[str, str], Koers], tmp_path: Path
) -> None:
    env, app = demo
    path = tmp_path / "views.sqlite3"
    runner = ViewRunner(env, path, app=app)
    try:
        replay(app, runner.views, stop=EVERY + 3)
        runner.checkpoint()
        stale = runner.checkpoints.path(EVERY + 3)
        _change(path, "DELETE FROM objectives")  # a checkpoint of other views than the log's
        assert runner.checkpoint() == EVERY + 3
        assert stale.exists()
    finally:
        runner.close()
    done = subprocess.run(
        [sys.executable, "-m", "ledger.cli", "projections", "rebuild"],
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    last = app.recorder.max_notification_id() or 0
    runner = ViewRunner(env, path, app=app)
    try:
        kept = runner.checkpoints.positions()
        assert kept == list(range(EVERY, last + 1, EVERY)), kept
        assert not stale.exists()
        _assert_same_as_full_replay(app, runner, kept)
    finally:
        runner.close()


def test_thinned_keeps_the_newest_and_one_older_checkpoint_per_doubling_stretch() -> None:
    """Worked by hand (every 100): nothing goes while they fit; 100..400 at most 3: one
    per 100 is 4, one per 200 keeps 100 and 200, and 400; 100..900 at most 4: one per 200
    is 5 older, one per 400 keeps 100, 400, 800, and 900."""
    assert thinned([100, 200, 300], 3, 100) == []
    assert thinned([100, 200, 300, 400], 3, 100) == [300]
    assert thinned(list(range(100, 1000, 100)), 4, 100) == [200, 300, 500, 600, 700]


def test_checkpoints_past_the_limit_are_thinned_and_as_of_still_equals_a_full_replay(
    demo: tuple[dict[str, str], Koers], tmp_path: Path
) -> None:
    """Taken every 50 events, at most 3 kept: after each the newest is there and at most 3
    are; the ones left after 400 are 50, 200 and 400 (worked by hand in the thinning rule),
    and "as of" from them still answers what a full replay answers. A checkpoint thinned
    away after a read chose it: the read starts from the nearest earlier one left."""
    env, app = demo
    env = {**env, "KOERSVIEWS_CHECKPOINT_EVERY": "50", "KOERSVIEWS_CHECKPOINTS_KEPT": "3"}
    runner = ViewRunner(env, tmp_path / "views.sqlite3", app=app)
    try:
        for stop in range(50, 401, 50):
            replay(app, runner.views, stop=stop)
            assert runner.checkpoint() == stop
            kept = runner.checkpoints.positions()
            assert (kept[-1], len(kept) <= 3) == (stop, True), kept
        assert kept == [50, 200, 400]
        assert sorted(runner.checkpoints.folder.iterdir()) == [
            runner.checkpoints.path(p) for p in kept
        ]
        replay(app, runner.views)
        _assert_same_as_full_replay(app, runner, kept)
        runner.checkpoints.path(200).unlink()  # as a thinning between the choice and the read
        runner.checkpoints.images.clear()
        start, views = runner.checkpoints.open(260)
        try:
            assert start is not None
            assert start.position == 50
            replay(app, views, stop=260)
            assert dump(views) == _full(app, 260)
        finally:
            views.close()
    finally:
        runner.close()


def _change(path: Path, statement: str, *params: Any) -> None:
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        connection.execute(statement, params)


def test_views_without_a_whole_time_index_replay_the_whole_log_for_a_time(
    demo: tuple[dict[str, str], Koers], tmp_path: Path
) -> None:
    """Views made before the time index existed have no rows for their first events: an
    "as of" a time cannot trust it and replays the whole log (still the same answer)."""
    env, app = demo
    runner = ViewRunner(env, tmp_path / "views.sqlite3", app=app)
    try:
        replay(app, runner.views, stop=2 * EVERY)
        runner.checkpoint()
        replay(app, runner.views)
        _change(runner.path, "DELETE FROM view_batches WHERE after < ?", EVERY)
        for p in (EVERY // 2, 2 * EVERY + 5):  # trusting the index, the first would be empty
            at = _recorded(app, p)
            assert _from_checkpoints(runner, at=at)[0] == _full(app, at=at)
    finally:
        runner.close()


def _recorded(app: Koers, position: int) -> datetime:
    moment = recorded_at(app, position)
    assert moment is not None
    return moment

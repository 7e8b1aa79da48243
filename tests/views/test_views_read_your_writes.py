"""Read your writes: a write returns its stream position; ``wait_for(position)`` returns as
soon as the views reflect it, and a query then sees the write. Only correctness is asserted;
the timings are printed (run with ``-s``)."""

from __future__ import annotations

import statistics
import time
from datetime import date
from pathlib import Path

import pytest
from eventsourcing.persistence import Tracking

from ledger.application import Koers
from projections import ViewRunner, delegation_board, open_views
from projections.views import UPSTREAM
from tests.conftest import fresh_env
from tests.views.conftest import Place

WRITES = 60


def test_a_read_after_wait_for_sees_the_write(views_place: Place) -> None:
    env = fresh_env()
    app = Koers(env=env)
    runner = ViewRunner(*views_place(env), app=app).start()
    try:
        d = app.delegate(
            actor="ann", owner="bob", title="Plan Q3", why="w", desired_result="r",
            level="consult", due=date(2027, 1, 1),
        )  # fmt: skip
        runner.wait_for(d.position)
        waits: list[float] = []
        for n in range(1, WRITES + 1):
            receipt = app.delegation_check_in(d.id, actor="bob", status="on_track", progress="p")
            started = time.perf_counter()
            runner.wait_for(receipt.position, timeout=5)
            waits.append((time.perf_counter() - started) * 1000)
            (owner,) = delegation_board(runner.views, owner="bob").owners
            assert owner.delegations[0].check_ins == n
            assert runner.position >= (receipt.position or 0)
        waits.sort()
        print(
            f"\nwait_for after a write: median {statistics.median(waits):.2f} ms, "
            f"p90 {waits[int(len(waits) * 0.9)]:.2f} ms, max {waits[-1]:.2f} ms"
        )
    finally:
        runner.close()
        app.close()


def test_wait_for_returns_at_once_for_nothing_and_times_out_for_the_future(
    views_place: Place,
) -> None:
    env = fresh_env()
    with ViewRunner(*views_place(env)) as runner:
        runner.wait_for(None)
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            runner.wait_for(10**6, timeout=0.05)
        assert time.monotonic() - started < 2


def test_a_wait_that_returns_leaves_the_committed_position_at_least_there(tmp_path: Path) -> None:
    """The API keys its cached answers by ``committed_position``. A wait may return because
    the tracking row is in the database while this views object has not noted the commit
    (another writer's, or its own writer's a moment before it notes it); the committed
    position must not stay behind then, or an answer cached before the write is served
    (``benchmarks/views_bench.py`` saw a check-in missing after ``min_position``)."""
    path = tmp_path / "views.sqlite3"
    reader, writer = open_views(path=path), open_views(path=path)
    try:
        assert reader.committed_position == 0  # noted before the write
        with writer.recording(Tracking(UPSTREAM, 5)):
            pass
        reader.wait(UPSTREAM, 5, timeout=1)
        assert reader.committed_position == 5
    finally:
        reader.close()
        writer.close()

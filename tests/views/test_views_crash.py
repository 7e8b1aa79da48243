"""Exactly once under a crash: a view runner process is SIGKILLed mid-stream (most likely
inside a transaction), restarted, and its views end equal to a clean build: every event
applied once, the tracking position at the log's last notification id."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ledger.application import Koers
from ledger.demo import load_demo
from projections import KoersViews, dump, open_views, views_as_of
from tests.conftest import fresh_env

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]

#: A runner that sleeps inside each transaction (before every handler), so that a kill
#: lands mid-transaction; batches of at most 5 events.
SLOW_RUNNER = """
import json, sys, time
from projections import projection
from projections.runner import ViewRunner

def slow(handler):
    def run(tx, event, position):
        time.sleep(0.004)
        handler(tx, event, position)
    return run

for kind, handler in list(projection.HANDLERS.items()):
    projection.HANDLERS[kind] = slow(handler)
runner = ViewRunner(json.loads(sys.argv[1]), sys.argv[2], batch=5).start()
while runner.error is None:
    time.sleep(0.1)
raise runner.error
"""


def _position(path: Path, mode: str = "ro") -> int:
    """The views' tracking position, read as any other process would (0 before any).

    After a kill, read with ``mode="rw"``: like the restarted runner, that connection
    recovers the dead writer's write-ahead log, so it sees every committed transaction.
    """
    if not path.exists():
        return 0
    db = sqlite3.connect(f"file:{path}?mode={mode}", uri=True, timeout=5)
    try:
        row = db.execute(
            "SELECT notification_id FROM tracking WHERE application_name = 'Koers'"
        ).fetchone()
    except sqlite3.OperationalError:  # the tables are not created yet
        return 0
    finally:
        db.close()
    return 0 if row is None else int(row[0])


def _wait_until(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.005)


def test_a_runner_killed_mid_stream_applies_each_event_once(tmp_path: Path) -> None:
    env = fresh_env()
    app = Koers(env=env)
    try:
        load_demo(app, today=date(2026, 5, 20))
        last = app.recorder.max_notification_id()
        assert last is not None
        path = tmp_path / "views.sqlite3"
        child_env = {**os.environ, "PYTHONPATH": str(ROOT)}
        slow = subprocess.Popen(
            [sys.executable, "-c", SLOW_RUNNER, json.dumps(env), str(path)],
            env=child_env, cwd=ROOT, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            _wait_until(lambda: _position(path) >= 100, "the runner made some progress")
        finally:
            slow.send_signal(signal.SIGKILL)
            slow.wait(timeout=10)
            assert slow.stderr is not None
            slow.stderr.close()
        killed_at = _position(path, mode="rw")
        assert 100 <= killed_at < last, "killed mid-stream"

        restarted = subprocess.Popen(
            [sys.executable, "-m", "ledger.cli", "projections", "run", "--views", str(path)],
            env={**child_env, **env}, cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            _wait_until(lambda: _position(path) == last, "the restarted runner caught up")
        finally:
            restarted.send_signal(signal.SIGTERM)
            out, _ = restarted.communicate(timeout=20)
        assert restarted.returncode == 0
        assert f"from position {killed_at}" in out
        assert f"stopped at position {last}" in out

        views, clean = open_views(path=path), views_as_of(app)
        try:
            assert views.position == last
            assert dump(views) == dump(clean)  # byte for byte
            _counts_match_the_log(app, views)
        finally:
            views.close()
            clean.close()
    finally:
        app.close()


def _counts_match_the_log(app: Koers, views: KoersViews) -> None:
    """Inserted rows and counters (``x = x + 1``) equal what the log holds."""
    log = Counter(n.topic.split(":")[-1] for n in app.recorder.select_notifications(1, 10**4))

    def one(sql: str) -> int:
        (row,) = views.rows(sql)
        return int(next(iter(row.values())))

    assert one("SELECT COUNT(*) AS n FROM kr_check_ins") == log["KeyResult.CheckedIn"]
    assert one("SELECT COUNT(*) AS n FROM delegation_check_ins") == log["Delegation.CheckedIn"]
    assert one("SELECT COUNT(*) AS n FROM decision_links") == log["Decision.Linked"]
    assert (
        one("SELECT SUM(went_well + to_improve + ideas) AS n FROM retros")
        == (log["Retro.ItemAdded"])
    )
    assert (
        one("SELECT SUM(renegotiations) AS n FROM delegations") == (log["Delegation.Renegotiated"])
    )
    assert one("SELECT SUM(options_count) AS n FROM decisions") == (
        sum(len(e.options) for e in _opened(app)) + log["Decision.OptionAdded"]
    )


def _opened(app: Koers) -> list[Any]:
    return [
        app.mapper.to_domain_event(n)
        for n in app.recorder.select_notifications(1, 10**4)
        if n.topic.endswith(":Decision.Opened")
    ]

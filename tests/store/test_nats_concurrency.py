"""Optimistic concurrency under real contention: many threads, one aggregate, one server."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from eventsourcing.persistence import IntegrityError

from ledger.errors import ConcurrencyConflict
from tests.examples import Tallies, Tally

THREADS = 8
#: per thread: 800 increments that must all land, through hundreds of version conflicts
#: (200 each took 67 s of a loaded run, for no invariant 100 does not test)
COMMANDS = 100


def test_eight_threads_on_one_aggregate_lose_nothing(env: dict[str, str]) -> None:
    # The repository's cache with fast-forward is how a busy aggregate is served: a command
    # reads only the events after its cached version (the store seeks to them).
    app = Tallies.example({**env, "AGGREGATE_CACHE_MAXSIZE": "100"})
    try:
        tally_id = app.start("contended")
        conflicts: list[IntegrityError] = []
        notification_ids: list[int] = []
        lock = threading.Lock()

        def worker(number: int) -> None:
            for command in range(COMMANDS):
                while True:
                    try:
                        nid = app.increment(tally_id, by=f"{number}:{command}")
                    except IntegrityError as e:
                        with lock:
                            conflicts.append(e)
                        continue
                    with lock:
                        notification_ids.append(nid)
                    break

        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(worker, range(THREADS)))

        tally: Tally = app.repository.get(tally_id)
        events = app.recorder.select_events(tally_id)
        assert tally.count == THREADS * COMMANDS
        assert sorted(tally.by) == sorted(
            f"{t}:{c}" for t in range(THREADS) for c in range(COMMANDS)
        )
        assert [e.originator_version for e in events] == list(range(1, THREADS * COMMANDS + 2))
        assert len(set(notification_ids)) == THREADS * COMMANDS
        assert conflicts, "eight threads on one aggregate should have collided at least once"
        assert all(isinstance(c, ConcurrencyConflict) for c in conflicts)
        notifications = app.recorder.select_notifications(start=None, limit=10_000)
        ids = [n.id for n in notifications]
        assert ids == list(range(1, THREADS * COMMANDS + 2))
        assert set(notification_ids) == set(ids[1:])
    finally:
        app.close()

"""Kill tests: the nats-server is SIGKILLed under load and restarted.

Invariants checked afterwards, on what is stored:
- every event whose save returned is readable, at the notification id the save returned;
- no event is stored twice (a retried write whose ack was lost is recognised);
- notification ids strictly increase; each aggregate's versions are 1, 2, 3… with no gap.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError

from ledger.embedded import EmbeddedServer
from ledger.errors import StoreError
from tests.examples import Tallies, Tally

pytestmark = pytest.mark.slow

WRITERS = 4
KILLS = 3


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmbeddedServer]:
    with EmbeddedServer(tmp_path / "data", anonymous=True) as running:
        yield running


class Writer(threading.Thread):
    """Saves commands in a loop; remembers exactly the saves that returned."""

    def __init__(self, app: Tallies, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.app = app
        self.stop = stop
        self.confirmed: dict[tuple[UUID, int], int] = {}  # (aggregate, version) -> id
        self.failures = 0
        self.mine: list[UUID] = []

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.one_command()
            except (StoreError, IntegrityError):
                self.failures += 1  # outcome unknown or refused: reload next time
                time.sleep(0.05)

    def one_command(self) -> None:
        if len(self.mine) < 3 or len(self.confirmed) % 7 == 0:
            tally = Tally(f"t{uuid.uuid4().hex[:6]}")
            self.mine.append(tally.id)
        else:
            tally = self.app.repository.get(self.mine[len(self.confirmed) % len(self.mine)])
            tally.increment(by=self.name)
        for recording in self.app.save(tally):
            event = recording.domain_event
            key = (event.originator_id, event.originator_version)
            self.confirmed[key] = recording.notification.id


def test_writers_survive_three_sigkills_of_the_server(server: EmbeddedServer) -> None:
    env = {
        "PERSISTENCE_MODULE": "ledger.nats",
        "NATS_URL": server.url,
        "NATS_STREAM": "CRASH",
        "NATS_CREATE_STREAM": "yes",
        "NATS_TIMEOUT": "1",
        "NATS_WRITE_DEADLINE": "20",
    }
    app = Tallies(env=env)
    stop = threading.Event()
    writers = [Writer(app, stop) for _ in range(WRITERS)]
    try:
        for writer in writers:
            writer.start()
        for _ in range(KILLS):
            _wait_for_progress(writers)
            pid = server.pid
            server.kill()
            time.sleep(0.3)
            server.restart()
            assert server.pid != pid
        _wait_for_progress(writers)
    finally:
        stop.set()
        for writer in writers:
            writer.join(timeout=60)
        app.close()

    confirmed = {k: v for w in writers for k, v in w.confirmed.items()}
    print(f"confirmed {len(confirmed)}, failed {sum(w.failures for w in writers)}")
    assert len(confirmed) > 100, "the writers should have saved plenty between the kills"
    _check_what_is_stored(env, confirmed)


def _wait_for_progress(writers: list[Writer], events: int = 60, timeout: float = 60) -> None:
    """Wait until the writers confirmed ``events`` more saves (never a bare sleep)."""
    start = sum(len(w.confirmed) for w in writers)
    deadline = time.monotonic() + timeout
    while sum(len(w.confirmed) for w in writers) < start + events:
        assert time.monotonic() < deadline, "writers made no progress"
        time.sleep(0.02)


def _check_what_is_stored(env: dict[str, str], confirmed: dict[tuple[UUID, int], int]) -> None:
    reader = Tallies(env=env)
    try:
        notifications = reader.recorder.select_notifications(None, 1_000_000)
    finally:
        reader.close()
    ids = [n.id for n in notifications]
    assert ids == sorted(set(ids)), "notification ids must strictly increase"
    stored = {(n.originator_id, n.originator_version): n.id for n in notifications}
    assert len(stored) == len(notifications), "an event was stored twice"
    for key, notification_id in confirmed.items():
        assert stored.get(key) == notification_id, f"confirmed save {key} is not stored"
    versions: dict[UUID, list[int]] = {}
    for oid, version in sorted(stored, key=lambda k: stored[k]):
        versions.setdefault(oid, []).append(version)
    for oid, seen in versions.items():
        assert seen == list(range(1, len(seen) + 1)), f"versions of {oid} have a gap: {seen}"


def test_a_frozen_server_gives_a_clear_error_in_bounded_time_never_a_hang(
    server: EmbeddedServer,
) -> None:
    """SIGSTOP the server: reads and writes fail with StoreUnavailable within their deadlines,
    and work again once it is resumed."""
    import os
    import signal

    from ledger.errors import StoreUnavailable

    env = {
        "PERSISTENCE_MODULE": "ledger.nats",
        "NATS_URL": server.url,
        "NATS_STREAM": "FROZEN",
        "NATS_CREATE_STREAM": "yes",
        "NATS_TIMEOUT": "1",
        "NATS_WRITE_DEADLINE": "2",
    }
    app = Tallies(env=env)
    assert server.pid is not None
    try:
        tally_id = app.start("before")
        os.kill(server.pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            with pytest.raises(StoreUnavailable):
                app.start("while frozen")
            with pytest.raises(StoreUnavailable):
                app.recorder.select_events(tally_id)
            assert time.monotonic() - started < 30
        finally:
            os.kill(server.pid, signal.SIGCONT)
        deadline = time.monotonic() + 30
        while True:  # the client reconnects on its own; wait for it, bounded
            try:
                assert app.repository.get(tally_id).name == "before"
                break
            except StoreUnavailable:
                assert time.monotonic() < deadline, "the store did not come back"
                time.sleep(0.1)
        app.start("after")
    finally:
        app.close()

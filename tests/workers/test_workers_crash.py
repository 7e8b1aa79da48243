"""Crash tests: worker processes SIGKILLed mid-stream and restarted, and several at once.

Invariant checked on what is stored: every expected prompt exists, and exactly once (one
``prompt.issued`` message per prompt id, no other prompt). Each worker is a real process
(``python -m ledger.cli worker``, i.e. ``koers worker``) on a server of the test's own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from ledger.application import Koers
from ledger.domain import command_key_id
from ledger.embedded import EmbeddedServer
from tests.commandline import free_port
from tests.factories import ANN, BOB, decide, decision, koers, new_key_result
from tests.workers.test_workers_support import nats_call, wait_for

pytestmark = pytest.mark.slow

DECISIONS = 500
KEY_RESULTS = 150
TODAY = datetime.now(UTC).date()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmbeddedServer]:
    with EmbeddedServer(tmp_path / "data", max_batch_msgs=5000, anonymous=True) as running:
        yield running


def _env(server: EmbeddedServer) -> dict[str, str]:
    return {
        "PERSISTENCE_MODULE": "ledger.nats",
        "NATS_URL": server.url,
        "NATS_STREAM": "CRASH",
        "NATS_CREATE_STREAM": "yes",
    }


def _workload(app: Koers) -> set[UUID]:
    """Events whose prompts are known: the ids of every prompt they must give."""
    expected: set[UUID] = set()
    for _ in range(DECISIONS):
        opened = app.open_decision(actor=ANN, **decision(information_level=30, decide_by=TODAY))
        app.decide(opened.id, actor=ANN, **decide(review_on=TODAY + timedelta(days=60)))
        expected.add(command_key_id("Prompt", f"one_way_low_information/{opened.id}"))
    now = datetime.now(UTC)
    for _ in range(KEY_RESULTS):
        kr = new_key_result(app, owner=BOB)
        app.check_in(kr, actor=BOB, value="12", confidence=8, as_of=now)
        app.check_in(kr, actor=BOB, value="12", confidence=4, as_of=now)
        expected.add(command_key_id("Prompt", f"kr_confidence_drop/{kr}/v3"))
    return expected


class Workers:
    """Worker processes, started and SIGKILLed by pid."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(
        self, name: str = "crash", metrics_port: int | None = None
    ) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            **self.env,
            "KOERS_WORKER_NAME": name,
            "KOERS_WORKER_ACK_WAIT": "2",
            "KOERS_WORKER_RETRY_DELAY": "0.1",
            "KOERS_WEEKLY_CRON": "off",
            "KOERS_MONTHLY_CRON": "off",
            "KOERS_QUARTERLY_CRON": "off",
        }
        if metrics_port is not None:
            env["KOERS_METRICS_PORT"] = str(metrics_port)
        with (self.logs / f"worker-{len(self.procs)}.log").open("wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "ledger.cli", "worker"], env=env, stdout=log, stderr=log
            )
        self.procs.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        proc.kill()  # Popen.kill: never a pid reaped and handed out again
        proc.wait(10)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill(proc)


def _issued(url: str) -> dict[str, int]:
    """prompt.issued subject -> how many messages it holds."""

    async def read(nc: Any) -> dict[str, int]:
        info = await nc.jetstream().stream_info("CRASH", subjects_filter="crash.prompt.*.issued")
        return dict(info.state.subjects or {})

    result: dict[str, int] = nats_call(url, read)
    return result


def _has_issued(url: str, count: int) -> bool:
    return len(_issued(url)) >= count


def _settled(url: str, durable: str) -> bool:
    async def check(nc: Any) -> bool:
        info = await nc.jetstream().consumer_info("CRASH", durable)
        return bool(info.num_pending == 0 and info.num_ack_pending == 0)

    return bool(nats_call(url, check))


def _exactly_once(url: str, expected: set[UUID]) -> None:
    issued = _issued(url)
    ids = {UUID(subject.split(".")[2]) for subject in issued}
    assert ids == expected, f"{len(expected - ids)} missing, {len(ids - expected)} unexpected"
    twice = {s: n for s, n in issued.items() if n != 1}
    assert not twice, f"prompts issued more than once: {twice}"


def test_workers_killed_mid_stream_twice_issue_every_prompt_exactly_once(
    server: EmbeddedServer, tmp_path: Path
) -> None:
    env = _env(server)
    workers = Workers(env, tmp_path)
    with koers(env) as app:
        expected = _workload(app)
    try:
        for at_least in (len(expected) // 6, len(expected) // 2):
            proc = workers.start()
            wait_for(partial(_has_issued, server.url, at_least), 60, f"{at_least} prompts")
            workers.kill(proc)  # mid-stream: messages fetched, some prompts half issued
            assert len(_issued(server.url)) < len(expected), "the kill came too late to count"
        workers.start()
        wait_for(lambda: len(_issued(server.url)) >= len(expected), 60, "every prompt")
        wait_for(lambda: _settled(server.url, "crash-ledger"), 30, "the consumer settled")
    finally:
        workers.stop_all()
    _exactly_once(server.url, expected)


def _processed(port: int) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith('koers_worker_messages_total{outcome="processed",source="ledger"}')
    )


def test_three_worker_processes_at_once_issue_every_prompt_exactly_once(
    server: EmbeddedServer, tmp_path: Path
) -> None:
    env = _env(server)
    workers = Workers(env, tmp_path)
    ports = [free_port(), free_port()]
    with koers(env) as app:
        # Two replicas share one durable (scale-out); a third, under another name, reads
        # everything too and races them for every prompt.
        workers.start("shared", ports[0])
        workers.start("shared", ports[1])
        workers.start("racer")
        expected = _workload(app)
    try:
        wait_for(lambda: len(_issued(server.url)) >= len(expected), 90, "every prompt")
        wait_for(lambda: _settled(server.url, "shared-ledger"), 30, "the shared consumer settled")
        wait_for(lambda: _settled(server.url, "racer-ledger"), 30, "the racer settled")
        shares = [_processed(port) for port in ports]
        assert all(share > 0 for share in shares), f"one replica did nothing: {shares}"
    finally:
        workers.stop_all()
    _exactly_once(server.url, expected)
    assert all(proc.returncode == 0 for proc in workers.procs), "a worker did not stop cleanly"

"""Webhook deliveries under SIGKILL and with two workers at once: every delivery arrives,
and none twice by ``webhook-id`` except in the one window nobody can close.

That window (ledger/webhooks/_records.py): a worker killed after the receiver's 2xx and
before the ``done`` record is stored sends that delivery again after a restart. It is
bounded here: a duplicate's first copy was taken in a phase that ended with a kill, and a
kill causes at most ``CONCURRENCY`` of them (the POSTs a worker has in flight). With two
workers running side by side and nobody killed, nothing arrives twice: they give the
receiver 3 s to answer (an answer later than that is taken as none, and the delivery sent
again, as the README says; with 1 s a loaded CI machine once saw that happen). Each worker
is a real process (``koers worker``) on a server of the test's own.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.domain import COMMANDS, Principal
from ledger.embedded import EmbeddedServer
from ledger.webhooks import HookNames, delivery_id
from tests.factories import ANN, decision, koers
from tests.workers.test_webhooks_support import Receiver, receiving
from tests.workers.test_workers_support import nats_call, wait_for

pytestmark = pytest.mark.slow

DELIVERIES = 1000
CONCURRENCY = 16
NAMES = HookNames("CRASH", "crash")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmbeddedServer]:
    with EmbeddedServer(tmp_path / "server", max_batch_msgs=5000, anonymous=True) as running:
        yield running


def _env(server: EmbeddedServer, tmp_path: Path) -> dict[str, str]:
    return {
        "PERSISTENCE_MODULE": "ledger.nats",
        "NATS_URL": server.url,
        "NATS_STREAM": "CRASH",
        "NATS_CREATE_STREAM": "yes",
        "KOERS_DATA_DIR": str(tmp_path / "data"),  # the webhook secrets' key
    }


def _start(
    env: dict[str, str], logs: Path, index: int, timeout: int = 1
) -> subprocess.Popen[bytes]:
    more = {
        "KOERS_WORKER_NAME": "crash",
        "KOERS_WORKER_ACK_WAIT": "2",
        "KOERS_WEBHOOK_TIMEOUT": str(timeout),  # the senders' ack_wait: 5 s, or 3 timeouts
        "KOERS_WEBHOOK_RETRY_DELAY": "0.1",
        "KOERS_WEBHOOK_CONCURRENCY": str(CONCURRENCY),
        "KOERS_WEEKLY_CRON": "off",
        "KOERS_MONTHLY_CRON": "off",
        "KOERS_QUARTERLY_CRON": "off",
    }
    with (logs / f"worker-{index}.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "ledger.cli", "worker"],
            env={**os.environ, **env, **more},
            stdout=log,
            stderr=log,
        )


def _kill(proc: subprocess.Popen[bytes]) -> None:
    proc.kill()  # Popen.kill: never a pid reaped and handed out again
    proc.wait(10)


def _sends(url: str) -> dict[str, int]:
    async def read(nc: Any) -> dict[str, int]:
        info = await nc.jetstream().stream_info(
            NAMES.hooks_stream, subjects_filter=NAMES.send_filter
        )
        return dict(info.state.subjects or {})

    result: dict[str, int] = nats_call(url, read)
    return result


def _settled(url: str) -> bool:
    async def check(nc: Any) -> bool:
        js = nc.jetstream()
        sends = await js.consumer_info(NAMES.hooks_stream, NAMES.send_durable)
        fanout = await js.consumer_info("CRASH", NAMES.fanout_durable)
        idle = (
            sends.num_pending,
            sends.num_ack_pending,
            fanout.num_pending,
            fanout.num_ack_pending,
        )
        return idle == (0, 0, 0, 0)

    return bool(nats_call(url, check))


def _workload(env: dict[str, str], receiver: Receiver) -> set[str]:
    """A webhook and ``DELIVERIES`` decisions for it: the delivery ids that must arrive."""
    with koers(env) as app:
        app.add_person(actor="admin", handle=ANN, name="Ann")
        app.add_team(actor="admin", slug="platform", name="Platform")
        app.set_member("platform", actor="admin", handle=ANN, role="member")
        hook = app.execute(COMMANDS["webhook.add"], None,
                           {"url": receiver.url, "events": "decision.opened"},
                           principal=Principal(ANN, "test")).id  # fmt: skip
        expected = set()
        for _ in range(DELIVERIES):
            receipt = app.open_decision(actor=ANN, **decision(decider=ANN))
            assert receipt.position is not None
            expected.add(delivery_id(hook, receipt.position))
        return expected


def test_killed_and_doubled_workers_deliver_everything_and_nothing_twice_outside_the_window(
    server: EmbeddedServer, tmp_path: Path
) -> None:
    env = _env(server, tmp_path)
    procs: list[subprocess.Popen[bytes]] = []
    with receiving() as receiver:
        expected = _workload(env, receiver)
        try:
            for phase, at_least in enumerate((DELIVERIES // 5, DELIVERIES // 2)):
                receiver.phase = phase
                procs.append(_start(env, tmp_path, len(procs)))
                wait_for(lambda n=at_least: len(receiver.ids()) >= n, 90, f"{at_least} taken")
                _kill(procs[-1])  # mid-stream: POSTs in flight, records not yet written
                assert len(receiver.ids()) < DELIVERIES, "the kill came too late to count"
            receiver.phase = 2  # two workers side by side, nobody killed
            procs += [_start(env, tmp_path, len(procs) + n, timeout=3) for n in range(2)]
            wait_for(lambda: len(receiver.ids()) >= DELIVERIES, 120, "every delivery")
            wait_for(lambda: _settled(server.url), 60, "the consumers settled")
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in procs:
                proc.wait(30)
    taken = receiver.ids()
    assert set(taken) == expected
    first_phase = {}
    for received in receiver.taken:
        first_phase.setdefault(received.id, received.phase)
    twice = Counter(first_phase[i] for i, n in taken.items() for _ in range(n - 1))
    assert twice[2] == 0, "sent twice with nobody killed"
    assert all(n <= CONCURRENCY for n in twice.values()), f"more than the window: {twice}"
    sends = _sends(server.url)
    assert set(sends) == {NAMES.send_subject(d) for d in expected}
    assert set(sends.values()) == {1}, "a delivery fanned out twice"
    bodies = {json.loads(r.body)["position"] for r in receiver.taken}
    assert len(bodies) == DELIVERIES

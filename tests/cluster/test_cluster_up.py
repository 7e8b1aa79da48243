"""``koers cluster up``'s stack on this machine: what runs, R3 everywhere, and faults.

One stack per module (it takes a while to start on a busy 2-core machine): three nodes on
free ports, ``koers init`` as admin, the views projector, two worker processes, two API
processes and the entry, all in a temporary directory and all stopped by their pids.

The fault test (``slow``) drives check-ins through the entry from four clients, each retrying
with the same ``Idempotency-Key`` until acknowledged, and meanwhile SIGKILLs the stream
leader, restarts it, SIGKILLs one of the two worker processes and a follower, restarts the
follower. Every second check-in drops the confidence by 7 points, which the workers answer
with one prompt to the key result's owner. Then: every acknowledged check-in is in the
ledger once (none lost, none doubled), writes resumed within 10 s of the leader's loss, the
views projector's views equal a rebuild of the same log, and each dropping check-in has
exactly one prompt.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import httpx
import pytest

from ledger.application import Koers
from ledger.cluster import SERVICES, LocalCluster
from ledger.domain import KeyResult, Prompt
from ledger.embedded import NODE_CONFIG
from tests.cluster_support import stream_leader
from tests.factories import key_result, objective
from tests.factories import koers as koers_app

WRITERS = 4
RESUME_WITHIN = 10.0


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    cluster = LocalCluster(
        tmp_path_factory.mktemp("stack") / "cluster", port=0, nats_port=0, postgres_port=0
    )
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
        cluster.postgres.remove()  # its data may be in the temp folder, outside tmp_path


def koers(stack: LocalCluster, *args: str, user: str = "app", **extra: str) -> str:
    env = {**os.environ, **stack.settings(user), "KOERS_USER": "ann", **extra}
    done = subprocess.run([sys.executable, "-m", "ledger.cli", *args], env=env,
                          capture_output=True, text=True, timeout=180, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _cmdline(pid: int | None) -> list[str]:
    assert pid is not None
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]


@pytest.mark.timeout(600)  # the stack's start included: minutes on a busy 2-core machine
def test_every_process_runs_from_the_deploy_files_and_every_stream_is_r3(
    stack: LocalCluster,
) -> None:
    for node in stack.nodes.nodes:
        assert str(NODE_CONFIG) in _cmdline(node.pid)
    for service in SERVICES:
        running = [p for p in stack.processes if p.name.split("-")[0] == service.name]
        assert len(running) == service.replicas
        for process in running:
            command = _cmdline(process.pid)
            assert command[command.index("ledger.cli") + 1 :][: len(service.args)] == list(
                service.args
            )
    status = json.loads(koers(stack, "status", "--json"))
    assert (status["stream"], status["replicas"]) == ("LEDGER", 3)
    # a command that may create a stream creates it at NATS_REPLICAS, and says so
    fresh = json.loads(koers(stack, "status", "--json", user="admin", NATS_STREAM="FRESH",
                             NATS_CREATE_STREAM="yes"))  # fmt: skip
    assert (fresh["stream"], fresh["replicas"]) == ("FRESH", 3)
    replicas = _replicas_of_every_stream(stack)
    assert {"LEDGER", "LEDGER_SNAPSHOTS", "LEDGER_CHECKPOINTS", "FRESH"} <= set(replicas)
    assert set(replicas.values()) == {3}, replicas  # the workers' own streams too
    for _ in range(4):
        assert httpx.get(f"{stack.entry_url}/health", timeout=10).status_code == 200
    # the views are in PostgreSQL: the projector keeps them, both APIs read them
    views = json.loads(koers(stack, "projections", "status", "--json"))
    assert views["behind"] == 0, views
    apis = [p for p in stack.processes if p.name.startswith("api")]
    for api in apis:
        health = httpx.get(f"http://127.0.0.1:{api.port}/health", timeout=10).json()
        assert health["views"] is not None, health  # null: no live views in that process
        assert health["views"] >= views["position"], health
    assert stack.postgres.pid is not None
    assert "PostgreSQL" in stack.describe()


def _replicas_of_every_stream(stack: LocalCluster) -> dict[str, int]:
    import asyncio

    import nats

    async def ask() -> dict[str, int]:
        nc = await nats.connect(stack.nodes.url.split(","), user="admin",
                                password=stack.passwords["KOERS_NATS_ADMIN_PASSWORD"])  # fmt: skip
        try:
            infos = await nc.jetstream().streams_info()
            return {i.config.name or "": i.config.num_replicas or 1 for i in infos}
        finally:
            await nc.close()

    return asyncio.run(ask())


# -- faults ----------------------------------------------------------------------------------


class Writers:
    """Clients checking in through the entry, each on its own key result, each retrying a
    write with the same Idempotency-Key until it is acknowledged."""

    def __init__(self, url: str, token: str, key_results: list[str]) -> None:
        self.url, self.token, self.key_results = url, token, key_results
        self.acked: list[list[tuple[float, str, int]]] = [[] for _ in key_results]
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(n,)) for n in range(WRITERS)]

    def _run(self, number: int) -> None:
        kr = self.key_results[number]
        auth = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.url, headers=auth, timeout=60) as http:
            i = 0
            while not self.stop.is_set():
                confidence = 9 if i % 2 == 0 else 2  # every second one drops by 7 points
                body = {"value": str(i), "confidence": confidence, "note": f"w{number}-{i}"}
                key = {"Idempotency-Key": f"check-in-{number}-{i}"}
                try:
                    done = http.post(f"/key-results/{kr}/check-ins", json=body, headers=key)
                    ok = done.is_success
                except httpx.TransportError:
                    ok = False
                if ok:
                    self.acked[number].append((time.monotonic(), f"w{number}-{i}", confidence))
                    i += 1
                else:
                    time.sleep(0.05)

    def __enter__(self) -> Writers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(120)

    def resumed_after(self, moment: float, within: float = 60.0) -> float:
        """Seconds from ``moment`` until a write was acknowledged after it, by any client."""
        deadline = moment + within
        while time.monotonic() < deadline:
            later = [t for acks in self.acked for t, _, _ in acks if t > moment]
            if later:
                return min(later) - moment
            time.sleep(0.05)
        return within

    def wait_for_more(self, count: int = 3, within: float = 60.0) -> None:
        """Until every client has had ``count`` more writes acknowledged."""
        start = [len(a) for a in self.acked]
        deadline = time.monotonic() + within
        while any(len(a) < s + count for a, s in zip(self.acked, start, strict=True)):
            assert time.monotonic() < deadline, "writes did not go on"
            time.sleep(0.05)


def _set_up(app: Koers) -> tuple[str, list[str]]:
    """ann leads platform, with a token and one key result per writer (in this process:
    a command line per step costs seconds on a busy machine)."""
    for handle in ("admin", "ann"):
        app.add_person(actor="admin", handle=handle, name=handle.title(),
                       email=f"{handle}@example.org")  # fmt: skip
    app.grant_role("admin", actor="admin", role="admin")
    app.add_team(actor="admin", slug="platform", name="Platform", parent=None)
    app.set_member("platform", actor="admin", handle="ann", role="lead")
    token = app.create_token(actor="admin", handle="ann").secret
    assert token is not None
    goal = app.set_objective(actor="ann", **objective(period="2026-Q4")).id
    krs = [
        str(
            app.add_key_result(
                actor="ann", objective_id=goal, **key_result(title=f"KR {n}", owner="ann")
            ).id
        )
        for n in range(WRITERS)
    ]
    return token, krs


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_leader_follower_and_worker_kills_lose_and_double_nothing(stack: LocalCluster) -> None:
    with koers_app(stack.settings("app")) as app:
        token, krs = _set_up(app)
        acked, resumed = _write_through_faults(stack, token, krs)
        assert resumed <= RESUME_WITHIN, f"writes resumed {resumed:.1f} s after the leader's loss"
        drops = _every_acknowledged_check_in_once(app, acked, krs)
        _views_equal_a_rebuild(stack)
        _one_prompt_per_drop(app, drops)


def _write_through_faults(
    stack: LocalCluster, token: str, krs: list[str]
) -> tuple[list[list[str]], float]:
    """Kill the leader, restart it, kill a worker process and a follower, restart the
    follower, all under load; the notes acknowledged per client, and how long after the
    leader's loss writes were acknowledged again."""
    with Writers(stack.entry_url, token, krs) as writers:
        writers.wait_for_more()
        leader = stream_leader(stack.nodes, "LEDGER")
        killed = time.monotonic()
        stack.nodes.kill(leader)
        resumed = writers.resumed_after(killed)
        writers.wait_for_more()
        stack.nodes.start_node(leader)
        writers.wait_for_more()
        worker = stack.process("workers-1").proc
        assert worker is not None
        worker.kill()
        worker.wait(30)
        follower = next(n.name for n in stack.nodes.nodes
                        if n.name != stream_leader(stack.nodes, "LEDGER"))  # fmt: skip
        stack.nodes.kill(follower)
        writers.wait_for_more()
        stack.nodes.start_node(follower)
        writers.wait_for_more()
    return [[note for _, note, _ in acks] for acks in writers.acked], resumed


def _every_acknowledged_check_in_once(app: Koers, acked: list[list[str]], krs: list[str]) -> int:
    """Check the ledger against the acknowledgements; return its confidence drops."""
    drops = 0
    for number, kr in enumerate(krs):
        stored = list(app.load(KeyResult, UUID(kr)).check_ins.values())
        drops += sum(1 for c in stored if int(c["confidence"]) == 2)
        notes = Counter(c["note"] for c in stored)
        assert [n for n, times in notes.items() if times > 1] == []  # none doubled
        assert set(acked[number]) <= set(notes)  # none lost
        assert len(notes) - len(acked[number]) <= 1  # at most the one in flight at the end
    return drops


def _views_equal_a_rebuild(stack: LocalCluster, within: float = 180.0) -> None:
    """The projector caught up with the log, and its views are those of a rebuild."""
    deadline = time.monotonic() + within
    while True:
        status = json.loads(koers(stack, "projections", "status", "--json"))
        if status["behind"] == 0:
            break
        assert time.monotonic() < deadline, f"the views projector stayed behind: {status}"
        time.sleep(1)
    live, rebuilt = stack.root / "live.jsonl", stack.root / "rebuilt.jsonl"
    koers(stack, "projections", "export", str(live))
    koers(stack, "projections", "export", str(rebuilt), "--as-of-position", str(status["last"]))
    assert live.read_bytes() == rebuilt.read_bytes()


def _one_prompt_per_drop(app: Koers, drops: int, within: float = 180.0) -> None:
    """The workers (one of the two killed on the way) issued one prompt per drop."""
    deadline = time.monotonic() + within
    while True:
        dropped = [p for p in app.all_of(Prompt) if p.kind == "kr_confidence_drop"]
        if len(dropped) >= drops or time.monotonic() > deadline:
            break
        time.sleep(1)
    triggers = Counter(tuple(p.triggered_by) for p in dropped)
    assert [t for t, n in triggers.items() if n > 1] == []  # none twice
    assert len(dropped) == drops  # one per confidence drop in the ledger

"""Webhook benchmark (issue 13): deliveries per second through one worker to a local
receiver, beside that receiver's own ceiling measured in the same run.

Run from the repository root::

    .venv/bin/python -m benchmarks.webhook_bench            # the reported run (3 reps)
    .venv/bin/python -m benchmarks.webhook_bench --quick    # smoke test: tiny sizes, 1 rep

One embedded nats-server (temp store, ``sync_interval: always``) for the run, a fresh stream
per repetition:

* **ceiling**: the receiver (``benchmarks/_receiver.py``: plain asyncio HTTP/1.1 in a process
  of its own on 127.0.0.1, answering 204) is sent ``deliveries`` signed POSTs of a delivery's
  size by the workers' HTTP client (``aiohttp``) with their concurrency (64):
  what the receiver, the client and the machine manage without Koers.
* **worker**: a webhook (``objective.*``) and ``deliveries`` objectives set are written
  first (events the prompt triggers ignore, so the figure is the webhooks' own); then one
  worker starts (in this process, default settings) and fans the backlog out and delivers
  it. The clock starts when the worker consumes and stops when the receiver
  has taken every delivery. deliveries/s = deliveries / that time; every delivery counted
  once by ``webhook-id``. Deliveries per CPU-second (this process's CPU time meanwhile, less
  the main thread's, which only polls the receiver) say what the worker costs, whatever
  share of a busy machine it got.

Output: a markdown table on stdout and ``benchmarks/out/webhook_bench.json``.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from benchmarks._figures import median
from benchmarks._harness import (
    NO_CRONS,
    ROOT,
    arguments,
    on_a_fresh_server,
    out_file,
    store_env,
    write_document,
)
from ledger.application import Koers
from ledger.domain import COMMANDS, Principal
from ledger.settings import WebhookSettings
from ledger.webhooks import signed_headers
from tests.factories import objective
from workers import WorkerSettings, start_workers

OUT_FILE = out_file(__file__)
#: the default webhook settings, but the receiver on 127.0.0.1 allowed (the SSRF guard)
PRIVATE_ALLOWED = WebhookSettings(allow_private=True)
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@dataclass(frozen=True)
class Sizes:
    deliveries: int = 2000
    concurrency: int = 64


def _env(url: str, tmp: Path) -> dict[str, str]:
    return store_env(
        url,
        "H" + uuid.uuid4().hex[:10].upper(),
        NATS_MAX_BATCH="5000",
        KOERS_DATA_DIR=str(tmp / "data"),
        KOERS_WEBHOOKS_ALLOW_PRIVATE="1",  # the receiver is on 127.0.0.1
    )


@dataclass(frozen=True)
class Receiver:
    url: str
    #: one client for every poll: a new one per poll loaded the CA certificates each time
    #: (~10 ms of CPU), which on a 20 ms poll was a third of the process's CPU
    client: httpx.Client

    def unique(self) -> int:
        """How many ``webhook-id``s it took (each counted once)."""
        return int(self._count()["unique"])

    def taken(self) -> int:
        return int(self._count()["taken"])

    def _count(self) -> dict[str, Any]:
        answer = self.client.get(self.url.removesuffix("/hooks") + "/count")
        result: dict[str, Any] = answer.json()
        return result


@contextmanager
def receiving() -> Iterator[Receiver]:
    """The receiver process, stopped by its pid."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks._receiver"], stdout=subprocess.PIPE, cwd=ROOT
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        with httpx.Client(timeout=10) as client:
            yield Receiver(f"http://127.0.0.1:{port}/hooks", client)
    finally:
        proc.kill()
        proc.wait(10)


def ceiling(receiver: Receiver, sizes: Sizes, body: bytes) -> float:
    """POSTs/s the receiver takes from the workers' HTTP client (aiohttp) with the workers'
    concurrency, signed as they sign, without Koers."""

    async def blast() -> float:
        limit = asyncio.Semaphore(sizes.concurrency)
        connector = aiohttp.TCPConnector(limit=sizes.concurrency)
        async with aiohttp.ClientSession(connector=connector) as client:

            async def one(index: int) -> None:
                async with limit:
                    delivery = f"msg_ceiling_{index}_{uuid.uuid4().hex}"
                    headers = signed_headers(SECRET, delivery, int(time.time()), body)
                    async with client.post(receiver.url, data=body, headers=headers) as answer:
                        await answer.read()
                        answer.raise_for_status()

            started = time.perf_counter()
            await asyncio.gather(*(one(i) for i in range(sizes.deliveries)))
            return sizes.deliveries / (time.perf_counter() - started)

    return asyncio.run(blast())


def through_a_worker(url: str, tmp: Path, receiver: Receiver, sizes: Sizes) -> tuple[float, float]:
    """Deliveries per second, and per CPU-second of this process (the worker's cost, apart
    from how much of the machine other processes took meanwhile)."""
    env = _env(url, tmp)
    with Koers(env=env) as app:
        app.add_person(actor="admin", handle="ann", name="Ann")
        app.add_team(actor="admin", slug="platform", name="Platform")
        app.set_member("platform", actor="admin", handle="ann", role="member")
        values = {"url": receiver.url, "events": "objective.*"}
        app.execute(COMMANDS["webhook.add"], None, values, principal=Principal("ann", "bench"))
        for _ in range(sizes.deliveries):
            app.set_objective(actor="ann", **objective(owner="ann"))
    settings = WorkerSettings.for_store(env, crons=NO_CRONS, webhooks=PRIVATE_ALLOWED)
    before = receiver.unique()
    handle = start_workers(settings)
    try:
        started, cpu, polling = time.perf_counter(), time.process_time(), time.thread_time()
        while receiver.unique() - before < sizes.deliveries:
            time.sleep(0.02)
        elapsed = time.perf_counter() - started
        # the worker's threads: the process less this thread's polling of the receiver
        cpu = (time.process_time() - cpu) - (time.thread_time() - polling)
        return sizes.deliveries / elapsed, sizes.deliveries / cpu
    finally:
        handle.stop()


def measure(url: str, tmp: Path, sizes: Sizes, reps: int) -> dict[str, Any]:
    body = b'{"type":"objective.set","payload":' + b'{"x":"' + b"y" * 500 + b'"}}'
    runs: list[dict[str, float]] = []
    with receiving() as receiver:
        for rep in range(reps):
            roof = ceiling(receiver, sizes, body)
            worker, per_cpu = through_a_worker(url, tmp / f"rep{rep}", receiver, sizes)
            runs.append(
                {
                    "ceiling_per_s": roof,
                    "worker_per_s": worker,
                    "worker_per_cpu_s": per_cpu,
                    "loadavg": os.getloadavg()[0],
                }
            )
            print(f"rep {rep + 1}: receiver ceiling {roof:,.0f}/s, worker {worker:,.0f}/s "
                  f"({per_cpu:,.0f} per CPU-second), load {os.getloadavg()[0]:.1f}",
                  flush=True)  # fmt: skip
        twice = receiver.taken() - receiver.unique()
    return {"runs": runs, "delivered_twice": twice}


def main() -> None:
    parser = arguments(__doc__, 3)
    options = parser.options()
    sizes = Sizes(deliveries=200) if options.quick else Sizes()
    results, run = on_a_fresh_server(
        "webhook", ["workers", "ledger/webhooks"], options, sizes,
        lambda url, tmp: measure(url, tmp, sizes, options.reps),
    )  # fmt: skip
    runs = results["runs"]
    roof = median([r["ceiling_per_s"] for r in runs])
    worker = median([r["worker_per_s"] for r in runs])
    print("\n| metric (median) | value |\n|---|---:|")
    print(f"| receiver ceiling, POSTs/s | {roof:,.0f} |")
    print(f"| **one worker, deliveries/s** | **{worker:,.0f}** (target ≥ 500) |")
    print(f"| worker ÷ ceiling | {worker / roof:.2f} |")
    per_cpu = median([r["worker_per_cpu_s"] for r in runs])
    print(f"| one worker, deliveries per CPU-second | {per_cpu:,.0f} |")
    print(f"| delivered twice | {results['delivered_twice']} |")
    write_document(OUT_FILE, run, runs=runs, median_ceiling_per_s=roof,
                   median_worker_per_s=worker, ratio=worker / roof,
                   median_worker_per_cpu_s=per_cpu,
                   delivered_twice=results["delivered_twice"])  # fmt: skip


if __name__ == "__main__":
    main()

"""Reflection-worker benchmark (issue 5): throughput through the triggers and event-to-prompt
latency, beside raw nats-py consumption of the same stream in the same run.

Run from the repository root::

    .venv/bin/python -m benchmarks.worker_bench            # the reported run (3 reps)
    .venv/bin/python -m benchmarks.worker_bench --quick    # smoke test: tiny sizes, 1 rep

Each repetition uses a fresh embedded nats-server (temp store, ``sync_interval: always``):

* **backlog**: ``units`` (1,000) x 17 realistic events are written first (per unit: an
  objective, a key result with 6 check-ins, one a confidence drop; a decision opened and made,
  every other one a one-way door at low information; a delegation with 2 check-ins; a retro
  with 2 action items, one completed). The triggers judge 60 % of them against their
  aggregate's state; every unit issues 1-2 prompts and sets or cancels 5 schedules.
* **raw**: a nats-py durable pull consumer (``fetch(500)`` + ``ack`` per message, no work) reads
  the backlog: the ceiling of consuming this stream from Python.
* **worker**: the workers (defaults: batches of 256, 32 aggregates at once) start on the backlog;
  the clock stops when their consumer has acknowledged every backlog message and every
  expected prompt is stored. events/s = backlog / that time.
* **latency**: with the workers live, trigger events are written at ``rate``/s (one-way
  decisions at low information and confidence drops, between ordinary check-ins); latency is
  the prompt's stream time minus its trigger's stream time (both server clocks).

Output: a markdown table on stdout and ``benchmarks/out/worker_bench.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import nats
import nats.js.errors
from nats.js import api

from benchmarks._harness import NO_CRONS, out_file, store_env
from ledger.application import Koers
from ledger.domain import Criterion, Option, Risk
from ledger.embedded import EmbeddedServer
from tests.factories import decide
from workers import WorkerSettings, _broker, _consumer, start_workers

OUT_FILE = out_file(__file__)
STREAM = "WBENCH"
TODAY = datetime.now(UTC).date()
#: What every unit records; who records it varies from unit to unit.
OBJECTIVE: dict[str, Any] = {
    "team": "platform",
    "title": "Ship weekly",
    "why": "customers wait",
    "period": "2026-Q4",
}
KEY_RESULT: dict[str, Any] = {
    "title": "Lead time",
    "metric": "decrease",
    "start": "10",
    "target": "2",
    "unit": "days",
}
DELEGATION: dict[str, Any] = {
    "title": "Plan Q1",
    "why": "capacity",
    "desired_result": "a plan",
    "level": "consult",
}


def _decision(app: Koers, who: str, low: bool) -> Any:
    opened = app.open_decision(
        actor=who,
        team="platform",
        question="Do we move to a monorepo?",
        context="",
        options=(Option("a", "yes"), Option("b", "no")),
        criteria=(Criterion("speed", Decimal(1)),),
        risk=Risk(2, 3),
        reversibility="one_way" if low else "two_way",
        cost_to_reverse="",
        information_level=40 if low else 85,
        decider=who,
        decide_by=TODAY,
    )
    app.decide(opened.id, actor=who, **decide(chosen="a", review_on=TODAY + timedelta(days=90)))
    return opened.id


def _unit(app: Koers, n: int) -> int:
    """One unit of realistic work (17 events); the number of prompts it must give."""
    who, owner = f"lead{n % 20}", f"owner{n % 20}"
    now = datetime.now(UTC)
    objective = app.set_objective(actor=who, owner=who, **OBJECTIVE).id
    kr = app.add_key_result(
        actor=who, objective_id=objective, owner=owner, cadence_days=7, **KEY_RESULT
    ).id
    for confidence in (7, 7, 8, 8, 5, 5):  # 8 -> 5 is a drop
        app.check_in(kr, actor=owner, value="6", confidence=confidence, as_of=now)
    _decision(app, who, low=n % 2 == 0)
    due = TODAY + timedelta(days=30)
    delegation = app.delegate(
        actor=who, delegator=who, owner=owner, cadence_days=7, due=due, **DELEGATION
    ).id
    for _ in range(2):
        app.delegation_check_in(delegation, actor=owner, status="on_track", progress="half")
    retro = app.hold_retro(actor=who, team="platform", period="S1", held_on=TODAY).id
    items = [
        app.add_action_item(
            retro, actor=who, text=text, owner=owner, due=TODAY + timedelta(days=14)
        ).item_id
        for text in ("runbook", "alerts")
    ]
    app.complete_action_item(retro, actor=who, item_id=items[0])
    return 1 + (n % 2 == 0)


def write_backlog(app: Koers, units: int) -> int:
    with ThreadPoolExecutor(16) as pool:
        return sum(pool.map(lambda n: _unit(app, n), range(units)))


async def _stream_state(url: str) -> tuple[int, int]:
    nc = await nats.connect(url)
    try:
        info = await nc.jetstream().stream_info(STREAM)
        return info.state.messages, info.state.last_seq
    finally:
        await nc.close()


async def raw_consume(url: str, count: int) -> float:
    """Seconds for a raw nats-py durable pull consumer to fetch and ack ``count`` messages."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    config = api.ConsumerConfig(max_ack_pending=20_000, ack_wait=60)
    sub = await js.pull_subscribe("wbench.>", durable="raw-bench", stream=STREAM, config=config)
    start, seen = time.perf_counter(), 0
    while seen < count:
        for msg in await sub.fetch(500, timeout=5):
            await msg.ack()
            seen += 1
    await nc.flush()
    elapsed = time.perf_counter() - start
    await nc.close()
    return elapsed


async def _wait_done(url: str, last_seq: int, prompts: int) -> None:
    """Until the workers acknowledged the backlog and stored every expected prompt."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    try:
        while True:
            try:
                info = await js.consumer_info(STREAM, "koers-prompts-ledger")
            except nats.js.errors.NotFoundError:  # not created yet
                await asyncio.sleep(0.05)
                continue
            if info.ack_floor.stream_seq >= last_seq and info.num_ack_pending == 0:
                issued = await js.stream_info(STREAM, subjects_filter="wbench.prompt.*.issued")
                if issued.state.messages >= prompts:
                    return
            await asyncio.sleep(0.05)
    finally:
        await nc.close()


def worker_catch_up(env: dict[str, str], url: str, last_seq: int, prompts: int) -> float:
    settings = WorkerSettings.for_store(env, crons=NO_CRONS)
    start = time.perf_counter()
    handle = start_workers(settings)
    try:
        asyncio.run(_wait_done(url, last_seq, prompts))
        return time.perf_counter() - start
    finally:
        handle.stop()


def measure_latency(env: dict[str, str], url: str, triggers: int, rate: float) -> list[float]:
    """Event-to-prompt latencies (s), from the stream's own timestamps."""
    settings = WorkerSettings.for_store(env, crons=NO_CRONS)
    app = Koers(env=env)
    handle = start_workers(settings)
    try:
        now = datetime.now(UTC)
        kr = app.add_key_result(
            actor="ann",
            objective_id=app.set_objective(
                actor="ann", team="t", title="t", why="w", period="2026-Q4", owner="ann"
            ).id,
            title="t",
            metric="increase",
            start="0",
            target="10",
            owner="bob",
        ).id
        confidence = 9
        for n in range(triggers):
            tick = time.perf_counter()
            if n % 2:
                _decision(app, "ann", low=True)
            else:  # an ordinary check-in, then a drop
                confidence = 9 if confidence < 4 else confidence
                app.check_in(kr, actor="bob", value="1", confidence=confidence, as_of=now)
                confidence -= 3
                app.check_in(kr, actor="bob", value="1", confidence=confidence, as_of=now)
            time.sleep(max(0.0, 1 / rate - (time.perf_counter() - tick)))
        time.sleep(1.0)  # let the last prompts land (a benchmark, not a test)
        return asyncio.run(_latencies(url))
    finally:
        handle.stop()
        app.close()


async def _latencies(url: str) -> list[float]:
    nc = await nats.connect(url)
    js = nc.jetstream()
    sub = await js.subscribe("wbench.>", stream=STREAM, ordered_consumer=True)
    info = await js.stream_info(STREAM)
    stored: dict[tuple[str, str], datetime] = {}
    prompts: list[tuple[str, datetime]] = []
    for _ in range(info.state.messages):
        msg = await sub.next_msg(timeout=5)
        headers = msg.headers or {}
        key = (headers.get("Koers-Originator-Id", ""), headers.get("Koers-Version", ""))
        stored[key] = msg.metadata.timestamp
        if msg.subject.endswith(".issued") and ".prompt." in msg.subject:
            link = json.loads(msg.data)["triggered_by"][0]
            prompts.append((link, msg.metadata.timestamp))
    await nc.close()
    out = []
    for link, at in prompts:
        ident, _, version = link.split(":", 1)[1].partition("@")
        if (ident, version) in stored:
            out.append((at - stored[(ident, version)]).total_seconds())
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def throughput(units: int, *, prove_first: bool | None = None) -> tuple[int, int, float, float]:
    """A fresh server and backlog; (events, prompts, raw consumer s, workers s). The workers
    as shipped (``None``), or with the batch levers on (``True``: a batch's signatures on
    threads, headers found when asked) or off (``False``: each signature checked in
    ``decode``, every header parsed; the shipped default, see ``workers._consumer``)."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        EmbeddedServer(Path(tmp) / "data", max_batch_msgs=5000, anonymous=True) as server,
    ):
        env = store_env(server.url, STREAM, KOERS_DATA_DIR=str(Path(tmp) / "koers"))
        app = Koers(env=env)
        prompts = write_backlog(app, units)
        app.close()
        events, last_seq = asyncio.run(_stream_state(server.url))
        raw_s = asyncio.run(raw_consume(server.url, events))
        shipped = _consumer.PROVE_FIRST, _broker.LAZY_HEADERS
        if prove_first is not None:
            _consumer.PROVE_FIRST = _broker.LAZY_HEADERS = prove_first
        try:
            worker_s = worker_catch_up(env, server.url, last_seq, prompts)
        finally:
            _consumer.PROVE_FIRST, _broker.LAZY_HEADERS = shipped
    return events, prompts, raw_s, worker_s


def one_rep(
    units: int, triggers: int, rate: float, rep: int = 0, *, baseline: bool = False
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    ways: list[bool | None] = [True, False] if baseline else [None]
    for prove_first in ways[:: 1 if rep % 2 == 0 else -1]:
        events, prompts, raw_s, worker_s = throughput(units, prove_first=prove_first)
        if prove_first is not False:
            out |= {
                "backlog_events": events,
                "backlog_prompts": prompts,
                "raw_events_per_s": events / raw_s,
                "worker_events_per_s": events / worker_s,
            }
        else:
            out["worker_before_events_per_s"] = events / worker_s
            out["raw_before_events_per_s"] = events / raw_s
    if triggers <= 0:
        return out
    with (
        tempfile.TemporaryDirectory() as tmp,
        EmbeddedServer(Path(tmp) / "data", anonymous=True) as server,
    ):
        env = store_env(server.url, STREAM)
        latencies = measure_latency(env, server.url, triggers, rate)
    return out | {
        "latency_samples": len(latencies),
        "latency_p50_ms": 1000 * percentile(latencies, 0.50),
        "latency_p99_ms": 1000 * percentile(latencies, 0.99),
        "latency_max_ms": 1000 * max(latencies),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repetition")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--units", type=int, help="backlog units of 17 events (default 1,000)")
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="run the workers with the batch levers on (worker_events_per_s) and off "
        "(worker_before_events_per_s: each signature checked in decode, all headers parsed), "
        "each on its own backlog of the same size, in an order alternating per repetition",
    )
    parser.add_argument("--no-latency", action="store_true", help="throughput only")
    args = parser.parse_args(argv)
    units, triggers, rate, reps = (40, 40, 50.0, 1) if args.quick else (1000, 300, 40.0, args.reps)
    units = args.units or units
    triggers = 0 if args.no_latency else triggers
    runs = [one_rep(units, triggers, rate, rep, baseline=args.baseline) for rep in range(reps)]
    keys = [k for k in runs[0] if k not in ("backlog_events", "backlog_prompts", "latency_samples")]
    if "worker_before_events_per_s" in runs[0]:
        for r in runs:
            r["worker_now_over_before"] = r["worker_events_per_s"] / r["worker_before_events_per_s"]
        keys.append("worker_now_over_before")
    summary = {k: statistics.median(r[k] for r in runs) for k in keys}
    print(f"| metric (median of {reps}) | value | min-max |\n|---|---:|---|")
    for k in keys:
        low, high = min(r[k] for r in runs), max(r[k] for r in runs)
        print(f"| {k} | {summary[k]:,.1f} | {low:,.1f}-{high:,.1f} |")
    print(
        f"\nbacklog {runs[0]['backlog_events']:,} events, {runs[0]['backlog_prompts']} prompts; "
        f"{runs[0].get('latency_samples', 0)} latency samples per rep"
    )
    OUT_FILE.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "when": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "sizes": {"units": units, "triggers": triggers, "rate": rate, "reps": reps},
        "runs": runs,
        "median": summary,
    }
    OUT_FILE.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    raise SystemExit(main())

"""Writes on a replicated stream: R3 on a 3-node cluster against R1 on one server (issue 15).

Run from the repository root::

    .venv/bin/python -m benchmarks.cluster_bench            # the reported run (3 reps)
    .venv/bin/python -m benchmarks.cluster_bench --quick    # smoke test: tiny sizes, 1 rep

The workloads are store_bench's, through the same ``eventsourcing`` application on
``ledger.nats``: W1 one writer, 1 event per save; W2 one writer, 10 events per save (an
atomic batch each); W3 16 writer threads, 1 event per save (group commit); W4 and W5 its
reads. ``r1``: one embedded nats-server (``sync_interval: always``), stream R1; ``r3``: three
nats-server processes on loopback from deploy/nats/node.conf (``sync_interval: always`` on
each), stream R3, the store connected to all three as admin. Both run in the same process and
the same minutes, a fresh stream per repetition, order alternating. Reported: medians,
min-max, and R3/R1 as the median of the per-repetition ratios. Output: a markdown table on
stdout and ``benchmarks/out/cluster_bench.json``. Nothing is asserted about timings.
"""

from __future__ import annotations

import asyncio
import secrets
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import nats

from benchmarks._figures import median, paired_ratio, ratio_text, spread
from benchmarks._harness import arguments, begin, nats_server, out_file, store_env, write_document
from benchmarks.store_bench import QUICK, Sizes, run_app
from ledger.embedded import ClusterNodes
from ledger.embedded.deploy import DEPLOY_USERS

OUT_FILE = out_file(__file__)
TARGETS = ("r1", "r3")
METRICS = {
    "w1_events_per_s": "W1 writes, 1 event/save, 1 writer (events/s)",
    "w2_events_per_s": "W2 writes, 10 events/save, 1 writer (events/s)",
    "w3_events_per_s": "W3 writes, 1 event/save, 16 writers (events/s)",
    "w4_events_per_s": "W4 aggregate reads (events/s)",
    "w5_events_per_s": "W5 notification log paging (events/s)",
}
Results = dict[str, dict[str, list[float]]]


async def _delete(url: str, login: dict[str, str], stream: str) -> None:
    nc = await nats.connect(url.split(","), **login)
    try:
        await nc.jetstream().delete_stream(stream)
    finally:
        await nc.close()


def one(
    target: str, url: str, login: dict[str, str], tmp: Path, *, sizes: Sizes, rep: int
) -> dict[str, float]:
    stream = f"BENCH{rep}{uuid.uuid4().hex[:8].upper()}"
    env = store_env(
        url,
        stream,
        NATS_REPLICAS="3" if target == "r3" else "1",
        NATS_WRITE_DEADLINE="30",
        KOERS_DATA_DIR=str(tmp / "koers"),
    )
    if login:
        env.update({"NATS_USER": login["user"], "NATS_PASSWORD": login["password"]})
    try:
        return run_app(env, sizes)
    finally:
        asyncio.run(_delete(url, login, stream))


def run_all(tmp: Path, sizes: Sizes, reps: int) -> Results:
    passwords = {
        f"KOERS_NATS_{u.name.upper()}_PASSWORD": secrets.token_hex(16) for u in DEPLOY_USERS
    }
    admin = {"user": "admin", "password": passwords["KOERS_NATS_ADMIN_PASSWORD"]}
    results: Results = {t: {} for t in TARGETS}
    with nats_server(tmp / "r1") as single, ClusterNodes(tmp / "r3", passwords) as nodes:
        where = {"r1": (single.url, {}), "r3": (nodes.url, admin)}
        for rep in range(reps):
            for target in TARGETS if rep % 2 == 0 else reversed(TARGETS):
                started = time.perf_counter()
                url, login = where[target]
                rates = one(target, url, login, tmp, sizes=sizes, rep=rep)
                for metric, value in rates.items():
                    results[target].setdefault(metric, []).append(value)
                took = time.perf_counter() - started
                shown = " ".join(f"{m.split('_')[0]}={rates[m]:,.0f}" for m in METRICS)
                print(f"rep {rep + 1}/{reps} {target} {took:5.1f}s  {shown}", flush=True)
    return results


def table(results: Results) -> str:
    lines = ["| workload | R1 (one server) | R3 (3-node cluster) | R3/R1 |", "|---|---|---|---|"]
    for metric, label in METRICS.items():
        r1, r3 = results["r1"].get(metric), results["r3"].get(metric)
        if not r1 or not r3:
            continue
        lines.append(
            f"| {label} | {spread(r1)} | {spread(r3)} | {ratio_text(paired_ratio(r3, r1))} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = arguments(__doc__, default_reps=3).options(argv)
    sizes = QUICK if args.quick else Sizes()
    ended = begin(args, sizes, "ledger")
    with tempfile.TemporaryDirectory(prefix="koers-cluster-bench-") as tmp:
        results = run_all(Path(tmp), sizes, args.reps)
    run = ended()
    print()
    print(table(results))
    write_document(
        OUT_FILE,
        run,
        results=results,
        medians={t: {m: median(v) for m, v in r.items()} for t, r in results.items()},
        ratio_r3_over_r1={
            m: paired_ratio(results["r3"].get(m), results["r1"].get(m)) for m in METRICS
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

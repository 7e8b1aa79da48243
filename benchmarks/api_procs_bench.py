"""API reads with two processes against one (issue 15): the same cached view reads against one
API process directly and against the entry in front of both, on the cluster stack.

Run from the repository root::

    .venv/bin/python -m benchmarks.api_procs_bench            # the reported run (3 reps)
    .venv/bin/python -m benchmarks.api_procs_bench --quick    # smoke test: 1 rep, 2 s per row

Set-up: ``koers cluster up``'s stack in a temporary folder (:class:`ledger.cluster.LocalCluster`
on free ports, as tests/cluster/test_cluster_up.py starts it): three nats-server nodes (streams
at R3), PostgreSQL for the views, the views projector, two worker processes, two API processes
(``koers serve --no-workers --no-views``, both reading the views in PostgreSQL, the view cache
as shipped) and the entry (``koers cluster entry``, a TCP proxy handing each connection to the
next API process in turn). ``koers demo --today 2026-11-20`` (the quarter 2026-Q3) is loaded
through the cluster as its ``app`` user, and ``koers token create ann`` makes ann's API token
(ann is the demo's admin and a lead of platform). The run waits until the projector holds the
whole log.

Each row is ``wrk -t2 -c8 -d<seconds>s`` (as benchmarks/cache_bench.py) with ann's token, in
an order rotated per repetition, against two targets: **one process** (the first API
process's own port) and **the entry** (its 8 connections spread over both processes). The
endpoints: the team room's view (``GET /teams/platform/okr-progress?period=2026-Q3``), the
decision log (``GET /decisions``) and ``/health`` (the framework's ceiling on that target).
Reported: medians over repetitions of requests/s and wrk's p50/p99, and the median of the
per-repetition ratios entry ÷ one process and ÷ ``/health`` on the same target. Everything is
stopped by its pid at the end (``LocalCluster.stop``) and PostgreSQL's data is removed.
Output: markdown on stdout and ``benchmarks/out/api_procs_bench.json``. Nothing is asserted
about timings.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks._harness import ROOT, arguments, begin, out_file, write_document
from benchmarks.access_bench import require_wrk, rps_ratio, wrk_rounds, wrk_row
from benchmarks.views_bench import DEMO_PERIOD, DEMO_TODAY
from ledger.cluster import LocalCluster

OUT_FILE = out_file(__file__)
ENDPOINTS = {
    "team OKR view": f"/teams/platform/okr-progress?period={DEMO_PERIOD}",
    "decision log": "/decisions",
    "/health": "/health",
}
TARGETS = ("one process", "entry (two processes)")
CATCH_UP = 600.0  # seconds the projector may take to hold the demo on a busy machine


@dataclass(frozen=True)
class Sizes:
    seconds: int = 10  # per wrk row


QUICK = Sizes(seconds=2)
Rows = dict[str, list[dict[str, float]]]


def koers(cluster: LocalCluster, *args: str, user: str = "ann") -> str:
    """``koers args`` on the cluster as its ``app`` NATS user, ``user`` the person; stdout."""
    env = {**os.environ, **cluster.settings("app"), "KOERS_USER": user}
    done = subprocess.run([sys.executable, "-m", "ledger.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=600, check=False)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"koers {' '.join(args)}: {done.stdout}{done.stderr}")
    return done.stdout.strip()


def load(cluster: LocalCluster) -> dict[str, Any]:
    """The demo and ann's token, and the views caught up with the whole log."""
    demo = json.loads(koers(cluster, "demo", "--today", DEMO_TODAY.isoformat(), "--json"))
    token = koers(cluster, "token", "create", "ann", "--label", "api-procs-bench").splitlines()[-1]
    deadline = time.monotonic() + CATCH_UP
    while True:
        status = json.loads(koers(cluster, "projections", "status", "--json"))
        if status["behind"] == 0:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"the views projector stayed behind: {status}")
        time.sleep(1)
    return {"demo": demo, "views": status, "token": token}


def targets(cluster: LocalCluster) -> dict[str, str]:
    one = cluster.process("api-1")
    return {TARGETS[0]: f"http://127.0.0.1:{one.port}", TARGETS[1]: cluster.entry_url}


def check_answers(urls: dict[str, str], token: str) -> dict[str, int]:
    """Every row answers 200 before it is measured (wrk counts errors, it does not stop)."""
    statuses = {}
    for target, url in urls.items():
        with httpx.Client(base_url=url, timeout=60,
                          headers={"Authorization": f"Bearer {token}"}) as client:  # fmt: skip
            for name, path in ENDPOINTS.items():
                answer = client.get(path)
                if answer.status_code != 200:
                    raise RuntimeError(f"{target} {path}: {answer.status_code} {answer.text[:300]}")
                statuses[f"{name}, {target}"] = answer.status_code
    return statuses


def measure(cluster: LocalCluster, sizes: Sizes, reps: int) -> dict[str, Any]:
    loaded = load(cluster)
    token = loaded.pop("token")
    urls = targets(cluster)
    check_answers(urls, token)
    bearer = {"Authorization": f"Bearer {token}"}
    cases = {
        f"{name}, {target}": (urls[target] + path, bearer)
        for name, path in ENDPOINTS.items()
        for target in TARGETS
    }
    return {**loaded, "rows": wrk_rounds(cases, sizes.seconds, reps)}


def ratios(rows: Rows) -> dict[str, dict[str, float | None]]:
    """Per row: ÷ /health on the same target, and (on the entry) entry ÷ one process."""
    found: dict[str, dict[str, float | None]] = {}
    for case, runs in rows.items():
        name, target = case.rsplit(", ", 1)
        found[case] = {
            "over_health": rps_ratio(runs, rows.get(f"/health, {target}")),
            "entry_over_one": rps_ratio(runs, rows.get(f"{name}, {TARGETS[0]}"))
            if target == TARGETS[1]
            else None,
        }
    return found


def report(results: dict[str, Any]) -> None:
    rows, shares = results["rows"], ratios(results["rows"])
    print(f"\nThe cluster stack after the demo ({results['views']['last']} events in the log), "
          "wrk -t2 -c8 [medians of the repetitions]:\n")  # fmt: skip
    print("| endpoint, target | req/s | p50 ms | p99 ms | non-2xx/3xx | ÷ /health (same target) "
          "| entry ÷ one process |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|")
    for case, runs in rows.items():
        print(wrk_row(case, runs, shares[case]["over_health"], shares[case]["entry_over_one"]))


def main(argv: Sequence[str] | None = None) -> int:
    args = arguments(__doc__, default_reps=3).options(argv)
    require_wrk()
    sizes = QUICK if args.quick else Sizes()
    ended = begin(args, sizes, "ledger", "projections")
    with tempfile.TemporaryDirectory(prefix="koers-api-procs-bench-") as tmp:
        cluster = LocalCluster(Path(tmp) / "cluster", port=0, nats_port=0, postgres_port=0)
        cluster.start()
        try:
            print(cluster.describe(), flush=True)
            results = measure(cluster, sizes, args.reps)
        finally:
            cluster.stop()
            cluster.postgres.remove()  # its data may be outside the temporary folder
    run = ended()
    report(results)
    write_document(OUT_FILE, run, results=results, ratios=ratios(results["rows"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

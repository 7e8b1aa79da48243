"""Lists and shows from the read model (issue 16, item 2): ``GET /decisions`` at the demo's
size and at 10k decisions, against ``/health`` as the framework's ceiling in the same run,
with ``wrk``.

Run from the repository root::

    .venv/bin/python -m benchmarks.lists_bench            # the reported run (1 rep)
    .venv/bin/python -m benchmarks.lists_bench --quick    # smoke test: 2 s per row, 1k decisions
    .venv/bin/python -m benchmarks.lists_bench --against 0df21ea   # old code vs this, same run

Set-up (as ``benchmarks/cache_bench.py``): one embedded nats-server (fresh temp store, fsync
always), three ledgers in streams of their own, each served by ``koers serve --no-workers
--port 0`` (a child process with its own data directory, stopped by its PID):

* **demo**: the demo quarter as ``koers demo`` records it (2026-Q3; 15 decisions);
* **10k**: the decision events of the demo copied with every id renamed until there are at
  least 10,000 decisions, then the demo (so ann's token and the demo's teams are there);
* **10k, cache off**: the same ledger served with ``KOERS_VIEW_CACHE_SECONDS=0``: every list
  runs its SQL on the views (the cache-on servers answer a repeated read from the cache).

With ``--against REV`` the three ledgers are served a second time (``demo-old``, ...) by
the code of commit ``REV`` (``git archive`` into the temporary folder; ``koers serve`` runs
there), so old and new are measured in the same run on the same machine load.

Each row is ``wrk -t2 -c8 -d<seconds>s`` with ann's API token, in an order rotated per
repetition: ``GET /decisions`` (the first page, 100), ``GET /decisions?limit=7`` (an answer
the size of the demo's whole list: ann sees 7 of its decisions), ``GET /decisions?team=
platform&limit=20&offset=40`` (a filtered page further in), ``GET /decisions/<id>`` (one
decision), and ``/health``. Reported: medians over repetitions of requests/s and wrk's
p50/p99, the ratio to ``/health`` on the same server, 10k ÷ demo (flat: ≈ 1) and new ÷ old.
Output: markdown on stdout and ``benchmarks/out/lists_bench.json``. Nothing is asserted
about timings.
"""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eventsourcing.persistence import StoredEvent

from benchmarks._figures import median, ratio_text
from benchmarks._harness import ROOT, arguments, measure_and_write, out_file
from benchmarks.access_bench import require_wrk, wrk_rounds
from benchmarks.cache_bench import cache_off
from benchmarks.views_bench import DEMO_TODAY, demo_events, renamed
from benchmarks.web_bench import Served, api_client, served

OUT_FILE = out_file(__file__)
DECISION_EVENTS = ":Decision."  # in the topic of every decision event
FILTERED = "/decisions?team=platform&limit=20&offset=40"
OLD = "-old"  # the name of a ledger served by the older code ends so
PATHS = {
    "GET /decisions": "/decisions",
    "GET /decisions?limit=7": "/decisions?limit=7",
    f"GET {FILTERED}": FILTERED,
    "GET /decisions/<id>": "/decisions/{id}",
    "/health": "/health",
}


@dataclass(frozen=True)
class Sizes:
    seconds: int = 10  # per wrk row
    decisions: int = 10_000


QUICK = Sizes(seconds=2, decisions=1_000)


def many_decisions(demo: Sequence[StoredEvent], decisions: int) -> list[StoredEvent]:
    """At least ``decisions`` decisions: renamed copies of the demo's decision events, then
    the whole demo."""
    theirs = [e for e in demo if DECISION_EVENTS in e.topic]
    per_copy = len({e.originator_id for e in theirs if e.originator_version == 1})
    copies = max(0, math.ceil((decisions - per_copy) / per_copy))
    log: list[StoredEvent] = []
    for copy in range(copies):
        log += renamed(theirs, copy)
    return log + list(demo)


def _rows(sites: Sequence[Served]) -> dict[str, tuple[str, dict[str, str]]]:
    rows: dict[str, tuple[str, dict[str, str]]] = {}
    for site in sites:
        with api_client(site) as client:
            listed = client.get("/decisions", params={"limit": 1})
            assert listed.status_code == 200, listed.text
            print(f"{site.name}: {listed.json()['total']} decisions listed", flush=True)
            one = listed.json()["items"][0]["id"]
        for name, path in PATHS.items():
            rows[f"{name}, {site.name}"] = (
                site.url + path.format(id=one), {"Authorization": f"Bearer {site.token}"},
            )  # fmt: skip
    return rows


def old_code(rev: str, tmp: Path) -> Path:
    """The source tree of commit ``rev``, exported into ``tmp`` (no checkout, no worktree)."""
    folder = tmp / f"code-{rev}"
    folder.mkdir()
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


def measure(url: str, tmp: Path, sizes: Sizes, reps: int, against: str | None) -> dict[str, Any]:
    demo = demo_events(DEMO_TODAY, None)
    big = many_decisions(demo, sizes.decisions)
    codes = [("", ROOT)] + ([(OLD, old_code(against, tmp))] if against else [])
    with ExitStack() as stack:
        sites = []
        for suffix, code in codes:
            for name, events in (("demo", demo), ("10k", big)):
                sites.append(stack.enter_context(served(name + suffix, url, tmp, events, code)))
            with cache_off():
                sites.append(stack.enter_context(
                    served(f"10k-uncached{suffix}", url, tmp, big, code)))  # fmt: skip
        sites.sort(key=lambda site: site.name.removesuffix(OLD))  # old beside new (stable)
        rows = _rows(sites)
        rounds = wrk_rounds(rows, sizes.seconds, reps)
        return {"events": {s.name: s.events for s in sites}, "rows": rounds, "against": against}


def _ratio(runs: list[dict[str, float]], under: list[dict[str, float]] | None) -> float | None:
    if not under:
        return None
    return median([a["rps"] / b["rps"] for a, b in zip(runs, under, strict=True)])


def report(results: dict[str, Any]) -> None:
    rows = results["rows"]
    sizes = ", ".join(f"{name}: {n:,} events" for name, n in results["events"].items())
    print(f"\nkoers serve ({sizes}), wrk -t2 -c8 [medians of the repetitions]:\n")
    print("| endpoint, ledger | req/s | p50 ms | p99 ms | non-2xx/3xx | ÷ /health (same server) "
          "| ÷ the demo's | new ÷ old |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, runs in rows.items():
        what, site = name.rsplit(", ", 1)
        suffix = OLD if site.endswith(OLD) else ""
        health = rows.get(f"/health, {site}")
        demo = rows.get(f"{what}, demo{suffix}") if site != f"demo{suffix}" else None
        old = rows.get(f"{name}{OLD}") if not suffix else None
        cells = [median([r[k] for r in runs]) for k in ("rps", "p50", "p99", "errors")]
        ratios = " | ".join(ratio_text(_ratio(runs, under)) for under in (health, demo, old))
        print(f"| {name} | {cells[0]:,.0f} | {cells[1]:.1f} | {cells[2]:.1f} | {cells[3]:.0f} "
              f"| {ratios} |")  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = arguments(__doc__, default_reps=1)
    parser.add_argument("--against", metavar="REV", help="also serve commit REV's code")
    args = parser.options(argv)
    require_wrk()
    sizes = QUICK if args.quick else Sizes()
    return measure_and_write(
        "lists", args, sizes, lambda url, tmp: measure(url, tmp, sizes, args.reps, args.against),
        report=report, out=OUT_FILE,
    )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())

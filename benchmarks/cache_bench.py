"""Cached view reads (issue 16, item 1): view reads with the view cache on and off, against
``/health`` as the framework's ceiling in the same run, with ``wrk``.

Run from the repository root::

    .venv/bin/python -m benchmarks.cache_bench            # the reported run (3 reps)
    .venv/bin/python -m benchmarks.cache_bench --quick    # smoke test: 1 rep, 2 s per row

Set-up (as ``benchmarks/web_bench.py`` serves a ledger): one embedded nats-server (fresh temp
store, fsync always); the demo quarter as ``koers demo`` records it (``ledger.demo``, 2026-Q3)
written through ``ledger.nats`` into two streams, each served by its own ``koers serve
--no-workers --port 0`` (a child process with its own data directory, stopped by its PID):

* **cache on**: as shipped (``KOERS_VIEW_CACHE_SECONDS`` = 1);
* **cache off**: ``KOERS_VIEW_CACHE_SECONDS=0``, every read runs its query on the views.

Each row is ``wrk -t2 -c8 -d<seconds>s`` (Debian's ``wrk``; ``apt-get install wrk``) with ann's
API token, in an order rotated per repetition: on both servers the team room's view
(``GET /teams/platform/okr-progress?period=2026-Q3``), the same "as of" a position (an answer
that never changes), ``/health`` (signed in as well; it reads the store's last position and
the quarantine count); on the cache-on server also the view with ``If-None-Match`` naming the
"as of" answer's ``ETag`` (304s). Reported: medians over repetitions of requests/s and of
wrk's p50/p99, and the median of the per-repetition ratios to ``/health`` on the same server
and cache on ÷ off. Output: markdown on stdout and ``benchmarks/out/cache_bench.json``.
Nothing is asserted about timings.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks._harness import arguments, measure_and_write, out_file
from benchmarks.access_bench import require_wrk, rps_ratio, wrk_rounds, wrk_row
from benchmarks.views_bench import DEMO_TODAY, demo_events
from benchmarks.web_bench import Served, api_client, served

OUT_FILE = out_file(__file__)
VIEW = "/teams/platform/okr-progress?period=2026-Q3"
AS_OF_POSITION = 200  # an "as of" read of the demo's first 200 events


@dataclass(frozen=True)
class Sizes:
    seconds: int = 10  # per wrk row


QUICK = Sizes(seconds=2)


@contextmanager
def cache_off() -> Iterator[None]:
    """The next ``koers serve`` started runs without the view cache."""
    os.environ["KOERS_VIEW_CACHE_SECONDS"] = "0"
    try:
        yield
    finally:
        del os.environ["KOERS_VIEW_CACHE_SECONDS"]


def _rows(on: Served, off: Served) -> dict[str, tuple[str, dict[str, str]]]:
    """Every measured row: (url, headers)."""
    as_of = f"{VIEW}&position={AS_OF_POSITION}"
    with api_client(on) as client:
        tag = client.get(as_of).headers["etag"]
    rows: dict[str, tuple[str, dict[str, str]]] = {}
    for site in (on, off):
        bearer = {"Authorization": f"Bearer {site.token}"}
        rows[f"view, cache {site.name}"] = (site.url + VIEW, bearer)
        rows[f"view as of a position, cache {site.name}"] = (site.url + as_of, bearer)
        rows[f"/health, cache {site.name}"] = (site.url + "/health", bearer)
    rows["view as of a position with If-None-Match (304), cache on"] = (
        on.url + as_of, {"Authorization": f"Bearer {on.token}", "If-None-Match": tag},
    )  # fmt: skip
    return rows


def measure(url: str, tmp: Path, sizes: Sizes, reps: int) -> dict[str, Any]:
    events = demo_events(DEMO_TODAY, None)
    with ExitStack() as stack:
        on = stack.enter_context(served("on", url, tmp, events))
        with cache_off():
            off = stack.enter_context(served("off", url, tmp, events))
        rows = _rows(on, off)
        with api_client(on) as client:
            assert client.get(rows["view, cache on"][0]).status_code == 200
        return {"events": len(events), "rows": wrk_rounds(rows, sizes.seconds, reps)}


def report(results: dict[str, Any]) -> None:
    rows = results["rows"]
    print(f"\nkoers serve after the demo ({results['events']} events), wrk -t2 -c8 "
          "[medians of the repetitions]:\n")  # fmt: skip
    print("| endpoint | req/s | p50 ms | p99 ms | non-2xx/3xx | ÷ /health (same server) | "
          "cache on ÷ off |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, runs in rows.items():
        server = "on" if name.endswith("cache on") else "off"
        health = rows.get(f"/health, cache {server}")
        off = rows.get(name.replace("cache on", "cache off")) if server == "on" else None
        print(wrk_row(name, runs, rps_ratio(runs, health), rps_ratio(runs, off)))


def main(argv: Sequence[str] | None = None) -> int:
    args = arguments(__doc__, default_reps=3).options(argv)
    require_wrk()
    sizes = QUICK if args.quick else Sizes()
    return measure_and_write(
        "cache", args, sizes, lambda url, tmp: measure(url, tmp, sizes, args.reps),
        report=report, out=OUT_FILE,
    )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())

"""Views "as of" at scale (issue 16, item 3): an "as of" read from the nearest view checkpoint
against the full replay it replaces, in the same run, on a 100k-event log.

Run from the repository root::

    .venv/bin/python -m benchmarks.as_of_bench            # the reported run (3 reps)
    .venv/bin/python -m benchmarks.as_of_bench --quick    # smoke test: a 3k-event log, 1 rep

Set-up: one embedded nats-server (fresh temp store, fsync always) holds the log of
``benchmarks/web_bench.py`` (:func:`big_log`: the demo with every id renamed per copy, over
the quarters before 2026-Q3, then the demo itself), written through ``ledger.nats``. A
``ViewRunner`` (default settings: a checkpoint every ``KOERSVIEWS_CHECKPOINT_EVERY`` = 2,000
events) rebuilds the views from it, which takes the checkpoints; the rebuild's time and the
checkpoints' size on disk are reported.

Every repetition draws (seeded) positions uniformly over the log and, for each, measures:

* **from checkpoints**: ``ViewRunner.as_of(position=p)`` (the API's "as of" path: copy the
  nearest checkpoint at or before p into memory, replay the tail) plus the team room's query
  (``okr_progress(views, "platform", "2026-Q3")``) and closing the views;
* **by time**: the same with ``as_of(time=t)``, t the recorded time of the event at p;
* **full replay** (the baseline, on the first ``full`` positions): ``views_as_of(app,
  position=p)`` without checkpoints, the same query; the run checks that both ways give the
  same tables (``dump``, untimed) at those positions.

Reported: per kind the median and p90 over all samples (min-max of the per-repetition
medians), and the ratio full ÷ checkpoints of the medians. Output: markdown on stdout and
``benchmarks/out/as_of_bench.json``. Nothing is asserted about timings.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks._figures import median
from benchmarks._harness import arguments, measure_and_write, out_file
from benchmarks.views_bench import write_log
from benchmarks.web_bench import big_log
from ledger.application import Koers
from projections import KoersViews, ViewRunner, dump, okr_progress, views_as_of
from projections.replay import recorded_at

OUT_FILE = out_file(__file__)
SEED = 16


@dataclass(frozen=True)
class Sizes:
    events: int = 100_000  # events in the log (at least)
    samples: int = 40  # "as of" reads per kind and repetition
    full: int = 3  # full replays per repetition (≈ 7 s each at 100k)


QUICK = Sizes(events=3_000, samples=5, full=1)


def _timed(make: Callable[[], KoersViews], tables: list[bytes] | None = None) -> float:
    """Milliseconds to make the views and run the team room's query on them (then, untimed,
    their tables appended to ``tables``)."""
    started = time.perf_counter()
    views = make()
    try:
        okr_progress(views, "platform", "2026-Q3")
        seconds = time.perf_counter() - started
        if tables is not None:
            tables.append(dump(views))
        return seconds * 1000
    finally:
        views.close()


def _tables(make: Callable[[], KoersViews]) -> bytes:
    views = make()
    try:
        return dump(views)
    finally:
        views.close()


def _size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.glob("*.sqlite3"))


def measure(
    url: str, tmp: Path, sizes: Sizes, reps: int, *, every: int | None, kept: int | None = None
) -> dict[str, Any]:
    env = {"NATS_URL": url, "NATS_STREAM": "ASOF", "NATS_CREATE_STREAM": "yes",
           "KOERS_DATA_DIR": str(tmp / "data"), "NATS_TIMEOUT": "30"}  # fmt: skip
    if every is not None:
        env["KOERSVIEWS_CHECKPOINT_EVERY"] = str(every)
    if kept is not None:
        env["KOERSVIEWS_CHECKPOINTS_KEPT"] = str(kept)
    started = time.perf_counter()
    last = write_log({**env, "PERSISTENCE_MODULE": "ledger.nats"}, big_log(sizes.events))
    print(f"log: {last} events written in {time.perf_counter() - started:.0f} s", flush=True)
    app = Koers(env=env)
    runner = ViewRunner(env, tmp / "views.sqlite3", app=app)
    try:
        started = time.perf_counter()
        runner.rebuild()
        rebuild = time.perf_counter() - started
        taken = runner.checkpoints.positions()
        results: dict[str, Any] = {
            "events": last, "rebuild_s": rebuild, "checkpoints": len(taken),
            "every": runner.checkpoints.every,
            "checkpoint_bytes": _size(runner.checkpoints.folder),
            "views_bytes": runner.path.stat().st_size,
            "checkpoints_ms": [], "before_ms": [], "by_time_ms": [], "full_ms": [],
            "same_tables": [],
        }  # fmt: skip
        print(f"rebuilt with {len(taken)} checkpoints in {rebuild:.1f} s", flush=True)
        rng = random.Random(SEED)
        for rep in range(reps):
            positions = [rng.randint(1, last) for _ in range(sizes.samples)]
            one_rep(app, runner, positions, sizes, results)
            print(f"rep {rep + 1}: checkpoints p50 {median(results['checkpoints_ms'][-1]):.0f} "
                  f"ms, full p50 {median(results['full_ms'][-1]):.0f} ms", flush=True)  # fmt: skip
        return results
    finally:
        runner.close()
        app.close()


def _before(app: Koers, runner: ViewRunner, position: int) -> KoersViews:
    """``runner.as_of(position)`` with the tail read as before issue 16's levers: every page
    a batch direct get, the next page read only after this one is applied."""
    access = app.recorder.access  # type: ignore[attr-defined]
    shipped, access.consumer_pages_from = access.consumer_pages_from, None
    try:
        return runner.as_of(position, prefetch=False)
    finally:
        access.consumer_pages_from = shipped


def one_rep(
    app: Koers, runner: ViewRunner, positions: list[int], sizes: Sizes, results: dict[str, Any]
) -> None:
    near: list[float] = []
    before: list[float] = []
    by_time: list[float] = []
    full: list[float] = []
    for i, p in enumerate(positions):
        ways = [(near, partial(runner.as_of, p)), (before, partial(_before, app, runner, p))]
        for into, make in ways[:: 1 if i % 2 == 0 else -1]:  # which goes first alternates
            into.append(_timed(make))
        by_time.append(_timed(partial(runner.as_of, None, recorded_at(app, p))))
    for p in positions[: sizes.full]:
        tables: list[bytes] = []
        full.append(_timed(partial(views_as_of, app, p), tables))
        results["same_tables"].append(_tables(partial(runner.as_of, p)) == tables[0])
    results["checkpoints_ms"].append(near)
    results["before_ms"].append(before)
    results["by_time_ms"].append(by_time)
    results["full_ms"].append(full)


def _p90(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]


def report(results: dict[str, Any]) -> None:
    print(f"\n{results['events']:,} events; rebuild {results['rebuild_s']:.1f} s; "
          f"{results['checkpoints']} checkpoints (every {results['every']:,} events), "
          f"{results['checkpoint_bytes'] / 1e6:.0f} MB on disk beside a "
          f"{results['views_bytes'] / 1e6:.1f} MB view file\n")  # fmt: skip
    print('| "as of" read + team room query | p50 ms | p90 ms | per-rep p50 (min-max) |')
    print("|---|---|---|---|")
    for name, key in (("from the nearest checkpoint, by position", "checkpoints_ms"),
                      ("... tail read as before (direct-get pages, no prefetch)", "before_ms"),
                      ("from the nearest checkpoint, by time", "by_time_ms"),
                      ("full replay (baseline)", "full_ms")):  # fmt: skip
        every = [v for rep in results[key] for v in rep]
        per_rep = [statistics.median(rep) for rep in results[key]]
        print(f"| {name} | {median(every):,.0f} | {_p90(every):,.0f} | "
              f"{min(per_rep):,.0f}-{max(per_rep):,.0f} |")  # fmt: skip
    ratio = median([v for r in results["full_ms"] for v in r]) / median(
        [v for r in results["checkpoints_ms"] for v in r]
    )
    before = statistics.median(
        b / n for b, n in zip(
            [v for r in results["before_ms"] for v in r],
            [v for r in results["checkpoints_ms"] for v in r], strict=True)
    )  # fmt: skip
    print(f"\nbefore ÷ now, the same positions (median of the ratios): {before:.2f}x")
    print(f"\nfull replay ÷ from checkpoints (medians): {ratio:.0f}x; same tables: "
          f"{all(results['same_tables'])} ({len(results['same_tables'])} positions)")  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = arguments(__doc__, default_reps=3)
    parser.add_argument("--events", type=int, help="events in the log (default 100,000)")
    parser.add_argument("--samples", type=int, help="'as of' reads per kind and repetition")
    parser.add_argument("--full", type=int, help="full replays per repetition")
    parser.add_argument("--every", type=int, help="events between checkpoints (default: the "
                        "default of KOERSVIEWS_CHECKPOINT_EVERY)")  # fmt: skip
    parser.add_argument("--kept", type=int, help="checkpoints kept at most (default: the "
                        "default of KOERSVIEWS_CHECKPOINTS_KEPT)")  # fmt: skip
    args = parser.options(argv)
    sizes = QUICK if args.quick else Sizes()
    sizes = Sizes(args.events or sizes.events, args.samples or sizes.samples,
                  sizes.full if args.full is None else args.full)  # fmt: skip
    return measure_and_write(
        "as-of", args, sizes,
        lambda url, tmp: measure(url, tmp, sizes, args.reps, every=args.every, kept=args.kept),
        report=report, out=OUT_FILE,
    )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())

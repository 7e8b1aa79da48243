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

Every repetition draws (seeded) positions uniformly over the log, and "recent" ones over its
last :data:`RECENT` events, and for each measures, each time with the team room's query
(``okr_progress(views, "platform", "2026-Q3")``) and closing the views:

* **now, cold**: ``ViewRunner.as_of(position=p)`` (the API's "as of" path) with no view image
  in memory (:mod:`projections._images` emptied first): the nearest checkpoint's file loaded
  with ``deserialize``, the tail replayed;
* **before** (the same position, the order alternating with "now"): the path before this
  change, :func:`_before`: a shared-cache in-memory store, the checkpoint the earlier thinning
  rule keeps (``thinned(..., recent=1)``: those are a subset of today's, checked) copied in
  with the backup API, the tail replayed, the end of the log and the recorded time asked;
* **again**: the same position read again (a second query of a page "as of" that moment):
  from the image the first read kept;
* **by time, cold** and **by time, after a read at p**: ``as_of(time=t)``, t the recorded time
  of the event at p, with no image in memory, and right after the read at p;
* **full replay** (the baseline, on the first ``full`` positions): ``views_as_of(app,
  position=p)`` without checkpoints; the run checks that both ways give the same tables
  (``dump``, untimed) at those positions.

Reported: per kind the median and p90 over all samples (min-max of the per-repetition
medians), before ÷ now (median of the per-position ratios) and full ÷ now of the medians.
Output: markdown on stdout and ``benchmarks/out/as_of_bench.json``. Nothing is asserted
about timings.
"""

from __future__ import annotations

import random
import sqlite3
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks._figures import median
from benchmarks._harness import arguments, measure_and_write, out_file
from benchmarks.views_bench import write_log
from benchmarks.web_bench import big_log
from ledger.application import Koers
from projections import KoersViews, ViewRunner, dump, okr_progress, replay, views_as_of
from projections._checkpoints import thinned
from projections.replay import recorded_at
from projections.views import SQLiteKoersViews, open_views

OUT_FILE = out_file(__file__)
SEED = 16


@dataclass(frozen=True)
class Sizes:
    events: int = 100_000  # events in the log (at least)
    samples: int = 40  # "as of" reads per kind and repetition
    full: int = 3  # full replays per repetition (≈ 7 s each at 100k)
    recent: int = 20  # of them, positions drawn over the last RECENT events


QUICK = Sizes(events=3_000, samples=5, full=1, recent=3)
#: The "recent" positions are drawn over this many last events of the log.
RECENT = 20_000


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
        earlier = _earlier_rule(runner, last)
        results: dict[str, Any] = {
            "events": last, "rebuild_s": rebuild, "checkpoints": len(taken), "kept": taken,
            "kept_before": earlier, "every": runner.checkpoints.every,
            "checkpoint_bytes": _size(runner.checkpoints.folder),
            "views_bytes": runner.path.stat().st_size, "same_tables": [],
            **{key: [] for key in KINDS.values()},
        }  # fmt: skip
        print(f"rebuilt with {len(taken)} checkpoints in {rebuild:.1f} s: {taken}", flush=True)
        rng = random.Random(SEED)
        for rep in range(reps):
            positions = [rng.randint(1, last) for _ in range(sizes.samples)]
            recent = [rng.randint(max(1, last - RECENT), last) for _ in range(sizes.recent)]
            one_rep(app, runner, earlier, positions, recent, sizes=sizes, results=results)
            print(f"rep {rep + 1}: now p50 {median(results['now_ms'][-1]):.0f} ms, before "
                  f"{median(results['before_ms'][-1]):.0f} ms, full p50 "
                  f"{median(results['full_ms'][-1]):.0f} ms", flush=True)  # fmt: skip
        return results
    finally:
        runner.close()
        app.close()


#: Each kind of read -> its key in the results.
KINDS = {
    "uniform positions: now, cold (no image in memory)": "now_ms",
    "... before (earlier thinning, backup copy, shared cache, round trips)": "before_ms",
    "... again at the same position (from the image kept)": "again_ms",
    "... by time, cold": "by_time_ms",
    "... by time, right after a read at that position": "by_time_after_ms",
    f"recent positions (last {RECENT:,} events): now, cold": "recent_ms",
    "... before": "recent_before_ms",
    "full replay (baseline)": "full_ms",
}


def _earlier_rule(runner: ViewRunner, last: int) -> list[int]:
    """The checkpoints the thinning rule before recent-dense thinning would keep (the newest
    one dense, not the newest half), of those a rebuild takes; they must be kept today too."""
    every, most = runner.checkpoints.every, runner.checkpoints.most
    taken = list(range(every, last + 1, every))
    gone = set(thinned(taken, most, every, recent=1))
    earlier = [p for p in taken if p not in gone]
    missing = set(earlier) - set(runner.checkpoints.positions())
    if missing:
        raise RuntimeError(f"the earlier rule keeps checkpoints that are not kept: {missing}")
    return earlier


def _before(app: Koers, runner: ViewRunner, kept: list[int], position: int) -> KoersViews:
    """``runner.as_of(position)`` as it was before view images: the checkpoint the earlier
    thinning kept copied with the backup API into a fresh shared-cache in-memory store, the
    tail replayed (which asks the end of the log), the recorded time asked."""
    start = max((p for p in kept if p <= position), default=0)
    name = f"file:koers-views-{uuid.uuid4().hex}?mode=memory&cache=shared"
    views = open_views({}, path=name)
    assert isinstance(views, SQLiteKoersViews)
    try:
        if start:
            source = sqlite3.connect(f"file:{runner.checkpoints.path(start)}?mode=ro", uri=True)
            try:
                with views.datastore.get_connection(commit=True) as connection:
                    source.backup(connection._sqlite_conn)
            finally:
                source.close()
        views.as_of = recorded_at(app, replay(app, views, stop=position))
    except BaseException:
        views.close()
        raise
    return views


def one_rep(
    app: Koers,
    runner: ViewRunner,
    earlier: list[int],
    positions: list[int],
    recent: list[int],
    *,
    sizes: Sizes,
    results: dict[str, Any],
) -> None:
    got: dict[str, list[float]] = {key: [] for key in KINDS.values()}
    images = runner.checkpoints.images

    def cold(p: int) -> KoersViews:
        images.clear()
        return runner.as_of(p)

    def cold_by_time(t: datetime | None) -> KoersViews:
        images.clear()
        return runner.as_of(None, t)

    for i, p in enumerate([*positions, *recent]):
        uniform = i < len(positions)
        now, before = ("now_ms", "before_ms") if uniform else ("recent_ms", "recent_before_ms")
        ways = [(now, partial(cold, p)), (before, partial(_before, app, runner, earlier, p))]
        for key, make in ways[:: 1 if i % 2 == 0 else -1]:  # which goes first alternates
            got[key].append(_timed(make))
        if not uniform:
            continue
        t = recorded_at(app, p)
        _timed(partial(cold, p))
        got["again_ms"].append(_timed(partial(runner.as_of, p)))
        got["by_time_after_ms"].append(_timed(partial(runner.as_of, None, t)))
        got["by_time_ms"].append(_timed(partial(cold_by_time, t)))
    for p in positions[: sizes.full]:
        tables: list[bytes] = []
        got["full_ms"].append(_timed(partial(views_as_of, app, p), tables))
        results["same_tables"].append(_tables(partial(cold, p)) == tables[0])
        results["same_tables"].append(_tables(partial(runner.as_of, p)) == tables[0])
        results["same_tables"].append(
            _tables(partial(_before, app, runner, earlier, p)) == tables[0]
        )
    for key, values in got.items():
        results[key].append(values)


def _p90(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]


def report(results: dict[str, Any]) -> None:
    print(f"\n{results['events']:,} events; rebuild {results['rebuild_s']:.1f} s; "
          f"{results['checkpoints']} checkpoints (every {results['every']:,} events), "
          f"{results['checkpoint_bytes'] / 1e6:.0f} MB on disk beside a "
          f"{results['views_bytes'] / 1e6:.1f} MB view file; the earlier thinning would keep "
          f"{len(results['kept_before'])}\n")  # fmt: skip
    print('| "as of" read + team room query | p50 ms | p90 ms | per-rep p50 (min-max) | samples |')
    print("|---|---:|---:|---|---:|")
    for name, key in KINDS.items():
        every = [v for rep in results[key] for v in rep]
        if not every:
            continue
        per_rep = [statistics.median(rep) for rep in results[key]]
        print(f"| {name} | {median(every):,.0f} | {_p90(every):,.0f} | "
              f"{min(per_rep):,.0f}-{max(per_rep):,.0f} | {len(every)} |")  # fmt: skip
    for label, before, now in (("uniform", "before_ms", "now_ms"),
                               ("recent", "recent_before_ms", "recent_ms")):  # fmt: skip
        pairs = zip([v for r in results[before] for v in r],
                    [v for r in results[now] for v in r], strict=True)  # fmt: skip
        ratios = [b / n for b, n in pairs]
        if ratios:
            print(f"\nbefore ÷ now, {label} positions (median of the per-position ratios): "
                  f"{statistics.median(ratios):.2f}x")  # fmt: skip
    ratio = median([v for r in results["full_ms"] for v in r]) / median(
        [v for r in results["now_ms"] for v in r]
    )
    same = results["same_tables"]
    print(f"\nfull replay ÷ now, cold (medians): {ratio:.0f}x; same tables: {all(same)} "
          f"({len(same)} reads compared)")  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = arguments(__doc__, default_reps=3)
    parser.add_argument("--events", type=int, help="events in the log (default 100,000)")
    parser.add_argument("--samples", type=int, help="'as of' reads per kind and repetition")
    parser.add_argument("--full", type=int, help="full replays per repetition")
    parser.add_argument("--recent", type=int, help="recent positions per repetition")
    parser.add_argument("--every", type=int, help="events between checkpoints (default: the "
                        "default of KOERSVIEWS_CHECKPOINT_EVERY)")  # fmt: skip
    parser.add_argument("--kept", type=int, help="checkpoints kept at most (default: the "
                        "default of KOERSVIEWS_CHECKPOINTS_KEPT)")  # fmt: skip
    args = parser.options(argv)
    sizes = QUICK if args.quick else Sizes()
    sizes = Sizes(args.events or sizes.events, args.samples or sizes.samples,
                  sizes.full if args.full is None else args.full,
                  sizes.recent if args.recent is None else args.recent)  # fmt: skip
    return measure_and_write(
        "as-of", args, sizes,
        lambda url, tmp: measure(url, tmp, sizes, args.reps, every=args.every, kept=args.kept),
        report=report, out=OUT_FILE,
    )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())

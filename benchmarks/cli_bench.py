"""Command-line benchmark (issue 16, item 4): how long ``koers`` takes where people feel it.

Run from the repository root::

    .venv/bin/python -m benchmarks.cli_bench            # the reported run (15 reps)
    .venv/bin/python -m benchmarks.cli_bench --quick    # smoke test: 2 reps

On a fresh data directory loaded with ``koers demo``, each case is a new ``koers`` process
(the console script of this virtual environment), timed from spawn to exit:

- **baseline**: ``python -c pass`` with the same interpreter (what any Python command costs);
- **help**: ``koers --help``;
- **local read**: ``koers objective list`` with no serve running (it starts the data
  directory's embedded nats-server, reads, and stops it);
- **serve read**: the same with ``koers serve`` running on the data directory (the command
  goes through the serve's API with its local secret);
- **serve write**: ``koers objective set`` (a new objective each time) through the running
  serve.

Each repetition runs every case of its phase once, in an order rotated per repetition; the
baseline runs in both phases. Reported: the median wall time and the median CPU time (user +
system of the process and its children) over the repetitions, and the median of the per-
repetition differences to the baseline. The processes get ``PYTHONPYCACHEPREFIX`` (a
temporary folder) and not ``PYTHONDONTWRITEBYTECODE``, as an installed package has its
bytecode; one warm-up run of each case compiles it. Output: a table on stdout and
``benchmarks/out/cli_bench.json``. Nothing is asserted about timings.
"""

from __future__ import annotations

import contextlib
import os
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks._figures import median
from benchmarks._harness import arguments, begin, out_file, stop_child, write_document

KOERS = str(Path(sys.executable).with_name("koers"))
#: Targets of issue 16 (seconds, wall time).
TARGETS = {"help": 0.150, "local read": 0.500, "serve read": 0.250}


@dataclass(frozen=True)
class Sizes:
    """Repetitions per case (the data is ``koers demo``'s quarter)."""

    reps: int


def _env(data_dir: Path, pycache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "KOERS_DATA_DIR": str(data_dir), "KOERS_USER": "ann",
            "PYTHONPYCACHEPREFIX": str(pycache)}  # fmt: skip


def timed(argv: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one process (and its children), which must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr[-800:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(cases: dict[str, list[str]], env: dict[str, str], reps: int) -> dict[str, Any]:
    """Every case ``reps`` times, rotated; the first run of each is a warm-up."""
    for argv in cases.values():
        timed(argv, env)
    walls: dict[str, list[float]] = {name: [] for name in cases}
    cpus: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    for rep in range(reps):
        for name in names[rep % len(names) :] + names[: rep % len(names)]:
            wall, cpu = timed(cases[name], env)
            walls[name].append(wall)
            cpus[name].append(cpu)
    return {"wall_s": walls, "cpu_s": cpus}


@contextmanager
def serving(env: dict[str, str], data_dir: Path) -> Iterator[str]:
    """``koers serve`` on the data directory (a free port) until the block ends; stopped by
    its PID (SIGTERM, then SIGKILL)."""
    log = (data_dir.parent / "serve.log").open("w")
    serve = subprocess.Popen(
        [KOERS, "serve", "--port", "0"], env=env, stdout=log, stderr=log, start_new_session=True
    )
    try:
        url = _wait_for_serve(data_dir, serve)
        yield url
    finally:
        stop_child(serve)
        log.close()


def _wait_for_serve(data_dir: Path, serve: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if serve.poll() is not None:
            raise SystemExit(f"koers serve exited ({serve.returncode}): see its log")
        with contextlib.suppress(OSError, ValueError):
            url = (data_dir / "serve.url").read_text().strip()
            if (data_dir / "serve.secret").exists():
                with urllib.request.urlopen(f"{url}/health", timeout=5):
                    return url
        time.sleep(0.2)
    raise SystemExit("koers serve did not answer within 180 s")


def summary(phases: dict[str, dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per case: median wall and CPU, and the median difference to its phase's baseline."""
    rows: dict[str, dict[str, float]] = {}
    for phase in phases.values():
        base = phase["wall_s"]["baseline"]
        for name, walls in phase["wall_s"].items():
            key = name if name != "baseline" or name not in rows else "baseline (with serve)"
            rows[key] = {
                "wall_s": median(walls),
                "cpu_s": median(phase["cpu_s"][name]),
                "over_baseline_s": median([w - b for w, b in zip(walls, base, strict=True)]),
            }
    return rows


def print_table(rows: dict[str, dict[str, float]]) -> None:
    print("\n| case | wall (median) | CPU (median) | over `python -c pass` | target |")
    print("|---|---:|---:|---:|---|")
    for name, row in rows.items():
        target = TARGETS.get(name)
        verdict = "-" if target is None else (
            f"≤ {target * 1000:.0f} ms: {'met' if row['wall_s'] <= target else 'missed'}"
        )  # fmt: skip
        print(f"| {name} | {row['wall_s'] * 1000:.0f} ms | {row['cpu_s'] * 1000:.0f} ms | "
              f"{row['over_baseline_s'] * 1000:+.0f} ms | {verdict} |")  # fmt: skip


def main() -> None:
    options = arguments(__doc__, default_reps=15, quick_reps=2).options()
    reps = options.reps
    ended = begin(options, Sizes(reps), "ledger")
    with tempfile.TemporaryDirectory(prefix="koers-cli-bench-") as tmp:
        data_dir, pycache = Path(tmp) / "data", Path(tmp) / "pycache"
        env = _env(data_dir, pycache)
        subprocess.run([KOERS, "demo"], env=env, capture_output=True, check=True)
        baseline = [sys.executable, "-c", "pass"]
        read = [KOERS, "objective", "list"]
        phases = {"no serve": measure(
            {"baseline": baseline, "help": [KOERS, "--help"], "local read": read}, env, reps
        )}  # fmt: skip
        write = [KOERS, "objective", "set", "--team", "platform", "--period", "2026-Q4", "--why",
                 "Customers wait", "--title", "Release weekly", "--owner", "ann"]  # fmt: skip
        with serving(env, data_dir):
            phases["serve"] = measure(
                {"baseline": baseline, "serve read": read, "serve write": write}, env, reps
            )
    rows = summary(phases)
    print_table(rows)
    write_document(out_file(__file__), ended(), summary=rows, phases=phases)


if __name__ == "__main__":
    main()

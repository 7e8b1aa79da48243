"""What every benchmark run needs around its measurements: a clean environment, one embedded
nats-server stopped by its PID whatever happens, the machine and code measured, and the
document the figures are written to (the figures' own summaries: :mod:`benchmarks._figures`)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from ledger.embedded import EmbeddedServer, find_binary

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")


def out_file(script: str) -> Path:
    """Where the benchmark ``script`` (its ``__file__``) writes its figures."""
    return ROOT / "benchmarks" / "out" / f"{Path(script).stem}.json"


def code_version(*folders: str) -> dict[str, Any]:
    """The commit measured, and whether ``folders`` had uncommitted changes (None: no git)."""

    def git(*args: str) -> str | None:
        done = subprocess.run(
            ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False
        )
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "--short", "HEAD")
    dirty = git("status", "--porcelain", "--", *folders)
    return {
        "commit": commit,
        f"{'_or_'.join(folders)}_dirty": None if dirty is None else bool(dirty),
    }


def machine(*folders: str) -> dict[str, Any]:
    """Where the figures come from: the machine, its load, the versions, the code."""
    version = subprocess.run(
        [str(find_binary()), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "nproc": os.cpu_count(),
        "loadavg": os.getloadavg(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "nats_server": version,
        "sqlite": sqlite3.sqlite_version,
        "tmp": tempfile.gettempdir(),
        "code": code_version(*folders),
    }


#: The workers' periodic prompts turned off (``WorkerSettings.for_store(crons=...)``): a
#: benchmark measures what it triggers itself.
NO_CRONS: dict[str, str | None] = {"weekly": None, "monthly": None, "quarterly": None}


def store_env(url: str, stream: str, **more: str) -> dict[str, str]:
    """The settings of a Koers event store on ``stream`` (made on first use) of the
    nats-server at ``url``, and ``more``."""
    return {
        "PERSISTENCE_MODULE": "ledger.nats",
        "NATS_URL": url,
        "NATS_STREAM": stream,
        "NATS_CREATE_STREAM": "yes",
        **more,
    }


#: The prefixes of the settings a benchmark ignores in the environment it is started in.
AMBIENT = ("NATS_", "KOERS_", "KOERSVIEWS_", "SQLITE_", "BENCH_")


def clean_environment() -> None:
    """Ignore ambient settings: each part gets exactly the settings the benchmark gives it."""
    for key in list(os.environ):
        if key.startswith(AMBIENT) or key == "PERSISTENCE_MODULE":
            del os.environ[key]


def _raise_exit(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def nats_server(data_dir: Path) -> Iterator[EmbeddedServer]:
    """The embedded nats-server (fsync always); stopped, and if need be killed, by its PID."""
    server = EmbeddedServer(data_dir, anonymous=True)  # stands for a NATS_URL
    previous = signal.signal(signal.SIGTERM, _raise_exit)
    try:
        server.start()
        yield server
    finally:
        pid = server.pid
        try:
            server.stop()
        finally:
            if pid is not None:
                with contextlib.suppress(ProcessLookupError):  # it is gone: nothing to kill
                    os.kill(pid, signal.SIGKILL)
            signal.signal(signal.SIGTERM, previous)


def stop_child(child: subprocess.Popen[Any], grace: float = 60) -> None:
    """Stop a process this benchmark started, by its PID: SIGTERM, and SIGKILL after
    ``grace`` seconds; always reaped."""
    child.send_signal(signal.SIGTERM)
    try:
        child.wait(grace)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait(10)


# --- one run, from the command line to the JSON file ---------------------------------------


class Arguments(argparse.ArgumentParser):
    """The options every benchmark takes (``--reps`` and ``--quick``), and its own."""

    def __init__(self, doc: str | None, default_reps: int, quick_reps: int = 1) -> None:
        super().__init__(description=doc.split("\n\n")[0] if doc else None)
        self.default_reps, self.quick_reps = default_reps, quick_reps
        self.add_argument(
            "--reps",
            type=int,
            help=f"repetitions (default {default_reps}; {quick_reps} with --quick)",
        )
        self.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test only")

    def options(self, argv: Sequence[str] | None = None) -> argparse.Namespace:
        """The options given, ``reps`` the repetitions to run: ``--reps``, else
        ``quick_reps`` with ``--quick``, else ``default_reps``; fewer than one is refused."""
        args = self.parse_args(argv)
        args.reps = args.reps or (self.quick_reps if args.quick else self.default_reps)
        if args.reps < 1:
            self.error("--reps must be >= 1")
        return args


def arguments(doc: str | None, default_reps: int, quick_reps: int = 1) -> Arguments:
    """The parser of a benchmark's options (see :class:`Arguments`)."""
    return Arguments(doc, default_reps, quick_reps)


@dataclass(frozen=True)
class Run:
    """How a benchmark ran (its document records it beside the figures): ``--quick`` or not,
    the repetitions, the sizes (a dataclass), the machine and code measured, and the seconds
    it all took."""

    quick: bool
    reps: int
    sizes: Any
    info: dict[str, Any]
    duration: float


def begin(args: argparse.Namespace, sizes: Any, *folders: str) -> Callable[[], Run]:
    """Drop the ambient settings (:func:`clean_environment`), announce the machine (and the
    code in ``folders``), the sizes and the repetitions, and start the clock; the function
    returned says how the run went, once it is over."""
    clean_environment()
    info = machine(*folders)
    print(f"machine: {info}\nsizes: {asdict(sizes)} reps: {args.reps}", flush=True)
    started = time.perf_counter()
    return lambda: Run(args.quick, args.reps, sizes, info, time.perf_counter() - started)


def on_a_fresh_server(
    name: str,
    folders: Sequence[str],
    args: argparse.Namespace,
    sizes: Any,
    measure: Callable[[str, Path], T],
) -> tuple[T, Run]:
    """``measure(url, tmp)`` against a fresh embedded nats-server in a temporary folder, for
    the options ``args`` (:meth:`Arguments.options`).

    Announces the machine (and the code in ``folders``) first (:func:`begin`); returns the
    results and how the run went.
    """
    ended = begin(args, sizes, *folders)
    with (
        tempfile.TemporaryDirectory(prefix=f"koers-{name}-bench-") as tmp,
        nats_server(Path(tmp) / "server") as server,
    ):
        results = measure(server.url, Path(tmp))
    return results, ended()


def measure_and_write(
    name: str,
    args: argparse.Namespace,
    sizes: Any,
    measure: Callable[[str, Path], T],
    *,
    report: Callable[[T], None],
    out: Path,
) -> int:
    """``measure`` on a fresh server (code of ``ledger`` and ``projections``), ``report`` its
    results on stdout and write them to ``out``; the exit status."""
    results, run = on_a_fresh_server(name, ["ledger", "projections"], args, sizes, measure)
    report(results)
    write_document(out, run, results=results)
    return 0


def write_document(out_file: Path, run: Run, **figures: Any) -> None:
    """Say how long the run took and write it to ``out_file``: how it was run, where, and
    ``figures``."""
    print(f"\n{run.reps} reps, {run.duration:.0f} s, load average after: {os.getloadavg()}")
    out_file.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "command": f"benchmarks/{out_file.stem}.py" + (" --quick" if run.quick else ""),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "duration_s": round(run.duration, 1),
        "reps": run.reps,
        "sizes": asdict(run.sizes),
        "machine": {**run.info, "loadavg_after": os.getloadavg()},
        **figures,
    }
    out_file.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out_file.relative_to(ROOT)}")

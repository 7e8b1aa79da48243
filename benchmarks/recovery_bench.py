"""Recovery benchmark (issues 11 and 16): how soon writes resume after the nats-server is back.

Run from the repository root::

    .venv/bin/python -m benchmarks.recovery_bench            # the reported run (5 reps)
    .venv/bin/python -m benchmarks.recovery_bench --quick    # smoke test: 1 rep

Each repetition: an embedded nats-server (fsync always) and one ``ledger.nats`` application
whose ``writers`` threads each load their own aggregate and save one event to it, as an API
command does, without pause (so reads and writes are in flight when the server dies). The
server is killed (SIGKILL, as a crash), stays down for ``down_s``, and is started again on
the same port; ``start()`` returns once JetStream answers. Measured from that moment: the
time until every writer has had a write acknowledged again (**resume_s**; each had a write
waiting across the outage), and the longest time a writer stood still beyond the outage itself
(**stopped_beyond_down_s**: the server's own start, plus resume). Then the same through
``koers serve``'s HTTP API (:func:`api_run`). In the first part ``NATS_WRITE_DEADLINE`` is
raised to 30 s so that no write gives up meanwhile. Output: a table on stdout and
``benchmarks/out/recovery_bench.json``. Nothing is asserted about timings.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks._figures import median
from benchmarks._harness import arguments, begin, nats_server, out_file, write_document
from benchmarks.store_bench import make_app, open_account, post
from ledger.embedded import ensure_server

OUT_FILE = out_file(__file__)


@dataclass(frozen=True)
class Sizes:
    down_s: float = 1.0  # how long the server stays down
    warm_s: float = 0.5  # writes before the kill
    writers: int = 8


def one_run(folder: Path, sizes: Sizes) -> dict[str, float]:
    """Kill the server under a writer, start it again: seconds until writes resume."""
    with nats_server(folder) as server:
        env = {"NATS_URL": server.url, "NATS_WRITE_DEADLINE": "30", "NATS_STREAM": "RECOVERY",
               "NATS_CREATE_STREAM": "yes"}  # fmt: skip
        app = make_app(env)
        acks: list[list[float]] = [[] for _ in range(sizes.writers)]
        failures: list[BaseException] = []
        stop = threading.Event()

        def writer(number: int) -> None:
            account = open_account(number)
            app.save(account)
            i = 0
            while not stop.is_set():
                account = app.repository.get(account.id)  # as a command does: load, then save
                post(account, i)
                i += 1
                try:
                    app.save(account)
                except Exception as e:  # a write given up: counted, the run goes on
                    failures.append(e)
                    continue
                acks[number].append(time.monotonic())

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(sizes.writers)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(sizes.warm_s)
            server.kill()
            killed = time.monotonic()
            time.sleep(sizes.down_s)
            server.start()
            back = time.monotonic()
            while not all(a and a[-1] > back for a in acks) and time.monotonic() < back + 60:
                time.sleep(0.001)
        finally:
            stop.set()
            for thread in threads:
                thread.join(60)
            app.close()
    resumed = max(min(t for t in a if t > back) for a in acks)
    return {
        "resume_s": resumed - back,
        "stopped_beyond_down_s": resumed - killed - sizes.down_s,
        "restart_s": back - killed - sizes.down_s,
        "failed_writes": float(len(failures)),
    }


def _koers(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "ledger.cli", *args], env=env, check=True,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    return done.stdout


def _server_pid(data_dir: Path) -> int | None:
    try:
        return int(json.loads((data_dir / "nats" / "server.json").read_text())["pid"])
    except (FileNotFoundError, ValueError, KeyError):
        return None


def api_run(folder: Path, sizes: Sizes) -> dict[str, float]:
    """The same through ``koers serve``'s HTTP API: clients create objectives (retrying a
    503 with the same Idempotency-Key); the nats-server is killed; ``koers serve`` restarts
    it (a version without supervision gets it restarted by hand after ``down_s``). Measured
    from the moment the new server is ready (its ``server.json``): until every client has had
    a write acknowledged again."""
    env = {**os.environ, "KOERS_DATA_DIR": str(folder), "NATS_URL": "", "KOERS_USER": "ann",
           "NATS_CREATE_STREAM": "yes"}  # fmt: skip
    _koers(env, "people", "add", "ann", "--name", "Ann")
    _koers(env, "teams", "add", "platform", "--name", "Platform")
    _koers(env, "teams", "member", "platform", "ann", "--role", "lead")
    token = _koers(env, "token", "create", "ann").strip().splitlines()[-1]
    command = [sys.executable, "-m", "ledger.cli", "serve", "--port", "0", "--no-workers"]
    serve = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    by_hand = None
    try:
        assert serve.stderr is not None
        url = re.search(r"API and web page at (http://[0-9.:]+) ", serve.stderr.readline())
        assert url, "koers serve did not start"
        acks: list[list[float]] = [[] for _ in range(sizes.writers)]
        stop = threading.Event()

        def client(number: int) -> None:
            auth = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=url[1], headers=auth, timeout=60) as http:
                i = 0
                while not stop.is_set():
                    body = {"team": "platform", "title": f"o{number}-{i}", "why": "Bench",
                            "period": "2026-Q4", "owner": "ann"}  # fmt: skip
                    key = {"Idempotency-Key": f"{number}-{i}"}
                    try:
                        done = http.post("/objectives", json=body, headers=key).is_success
                    except httpx.TransportError:
                        done = False
                    if done:
                        acks[number].append(time.monotonic())
                        i += 1

        threads = [threading.Thread(target=client, args=(n,)) for n in range(sizes.writers)]
        for thread in threads:
            thread.start()
        time.sleep(sizes.warm_s * 4)
        old = _server_pid(folder)
        assert old is not None
        state = json.loads((folder / "nats" / "server.json").read_text())
        os.kill(old, signal.SIGKILL)
        killed = time.monotonic()
        while _server_pid(folder) in (None, old):
            if time.monotonic() > killed + sizes.down_s and by_hand is None:
                by_hand = ensure_server(folder, port=state["port"])  # no supervisor
            time.sleep(0.001)
        back = time.monotonic()
        while not all(a and a[-1] > back for a in acks) and time.monotonic() < back + 60:
            time.sleep(0.001)
        stop.set()
        for thread in threads:
            thread.join(60)
    finally:
        serve.send_signal(signal.SIGINT)
        serve.wait(60)
        if by_hand is not None:
            by_hand.stop()
    resumed = max(min(t for t in a if t > back) for a in acks)
    return {
        "api_resume_s": resumed - back,
        "api_restart_s": back - killed,
        "api_restarted_by_hand": float(by_hand is not None),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = arguments(__doc__, default_reps=5)
    args = parser.options(argv)
    sizes = Sizes()
    ended = begin(args, sizes, "ledger")
    runs = []
    for rep in range(args.reps):
        with tempfile.TemporaryDirectory(prefix="koers-recovery-bench-") as tmp:
            runs.append(one_run(Path(tmp), sizes))
        with tempfile.TemporaryDirectory(prefix="koers-recovery-bench-") as tmp:
            runs[-1].update(api_run(Path(tmp), sizes))
        print(f"rep {rep + 1}: {runs[-1]}", flush=True)
    figures = {key: [run[key] for run in runs] for key in runs[0]}
    print("\n| measure | median | min-max |\n|---|---|---|")
    for key, values in figures.items():
        print(f"| {key} | {median(values):.3f} | {min(values):.3f}-{max(values):.3f} |")
    write_document(
        OUT_FILE,
        ended(),
        runs=runs,
        medians={key: median(values) for key, values in figures.items()},
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

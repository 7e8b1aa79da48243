"""API writes against the application's own rate (issue 16, the "API writes" row): check-ins
through ``koers serve`` with ``wrk`` against the same command run in-process by the application
on the same nats-server, in the same run.

Run from the repository root::

    .venv/bin/python -m benchmarks.api_writes_bench            # the reported run (3 reps)
    .venv/bin/python -m benchmarks.api_writes_bench --quick    # smoke test: 1 rep, 2 s per row

Set-up: one embedded nats-server (fresh temp store, fsync always); the demo quarter written into
two streams, each served by ``koers serve --no-workers --port 0`` (child processes with their
own data directories, stopped by their PIDs): one with its views following the writes in the
same process, as in use; the other with ``--no-views`` and ``koers projections run`` keeping
its views in a process of their own (what the views cost the serve). On each, ann (lead of
platform) opens an objective with ``WRITERS`` key results through the API.

* **API** (and **API, views apart**): ``wrk -t<WRITERS> -c<WRITERS>``, each thread with one
  connection posting check-ins (``POST /key-results/{id}/check-ins``, ann's API token, no
  idempotency key) to a key result of its own, so writers never conflict on one aggregate.
* **application**: ``WRITERS`` threads in this process, each running ``Koers.check_in`` on a key
  result of its own in a second stream of the same server (the store, the command table's checks
  and the signing, without HTTP), for the same number of seconds.

Reported: medians over repetitions (rows rotated per repetition) of writes/s, wrk's p50/p99,
and the median of the per-repetition ratio of each API row ÷ application. Nothing is asserted
about timings. Output: markdown on stdout and ``benchmarks/out/api_writes_bench.json``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

from benchmarks._figures import median, ratio_text
from benchmarks._harness import arguments, measure_and_write, out_file, store_env
from benchmarks.access_bench import require_wrk, rps_ratio, wrk_report, wrk_row
from benchmarks.views_bench import DEMO_TODAY, demo_events, rotated
from benchmarks.web_bench import Served, api_client, served
from ledger.application import Koers
from tests.factories import key_result, objective

OUT_FILE = out_file(__file__)
WRITERS = 8


@dataclass(frozen=True)
class Sizes:
    seconds: int = 10  # per row


QUICK = Sizes(seconds=2)

_SCRIPT = """
local ids = {%s}
local made = 0
function setup(thread)
  made = made + 1
  thread:set("kr", ids[made])
end
function init(args)
  wrk.method = "POST"
  wrk.path = "/key-results/" .. kr .. "/check-ins"
  wrk.body = '{"value": 5, "confidence": 6, "note": "wrk"}'
  wrk.headers["Content-Type"] = "application/json"
end
"""


def _quarter() -> str:
    today = date.today()
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


def _goal(body: dict[str, Any], post: Any) -> list[str]:
    """An objective of platform's with ``WRITERS`` key results; their ids."""
    objective = post("/objectives", body)
    return [
        post(
            "/key-results",
            {
                "objective_id": objective,
                "title": f"Writes {n}",
                "metric": "increase",
                "start": "0",
                "target": "100",
                "owner": "bram",
            },
        )
        for n in range(WRITERS)
    ]


def _objective() -> dict[str, Any]:
    return objective(title="Write fast", why="a benchmark", period=_quarter())


def _cpu_seconds(pid: int) -> float:
    """The CPU time (user + system) process ``pid`` has used so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _api_rate(site: Served, ids: list[str], seconds: int) -> dict[str, float]:
    """wrk's figures, and the CPU ms per write of the serve (and of the views process)."""
    before = [_cpu_seconds(pid) for pid in site.pids]
    got = _wrk(site.url, site.token, ids, seconds)
    used = [_cpu_seconds(pid) - b for pid, b in zip(site.pids, before, strict=True)]
    writes = max(got["rps"] * seconds, 1)
    got["cpu_ms"] = used[0] * 1000 / writes
    if len(used) > 1:
        got["views_cpu_ms"] = used[1] * 1000 / writes
    return got


def _wrk(url: str, token: str, ids: list[str], seconds: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_SCRIPT % ", ".join(f'"{i}"' for i in ids))
    out = subprocess.run(
        [
            "wrk",
            f"-t{WRITERS}",
            f"-c{WRITERS}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            script.name,
            "-H",
            f"Authorization: Bearer {token}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )
    Path(script.name).unlink()
    return wrk_report(out.stdout)


def _app_rate(app: Koers, ids: list[UUID], seconds: int) -> dict[str, float]:
    counts = [0] * len(ids)
    stop = time.monotonic() + seconds

    def writer(n: int) -> None:
        while time.monotonic() < stop:
            app.check_in(ids[n], actor="ann", value="5", confidence=6, note="app")
            counts[n] += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(len(ids))]
    started, cpu = time.monotonic(), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    used = time.process_time() - cpu  # this process: the writers (nothing else runs now)
    return {"rps": sum(counts) / (time.monotonic() - started),
            "cpu_ms": used * 1000 / max(sum(counts), 1)}  # fmt: skip


def _app_ids(app: Koers) -> list[UUID]:
    """The in-process application's ann, bram, platform, objective and key results."""
    app.add_person(actor="root", handle="ann", name="Ann", email="ann@example.com")
    app.add_person(actor="root", handle="bram", name="Bram", email="bram@example.com")
    app.add_team(actor="root", slug="platform", name="Platform")
    app.set_member("platform", actor="root", handle="ann", role="lead")
    goal = app.set_objective(actor="ann", **_objective()).id
    return [
        app.add_key_result(
            actor="ann",
            objective_id=goal,
            **key_result(title=f"Writes {n}", start="0", target="100", unit="", owner="bram"),
        ).id
        for n in range(WRITERS)
    ]


def _api_ids(site: Served) -> list[str]:
    with api_client(site) as client:

        def post(path: str, body: dict[str, Any]) -> str:
            answer = client.post(path, json=body)
            answer.raise_for_status()
            return str(answer.json()["id"])

        return _goal(_objective(), post)


#: The rows, in the order of the first repetition (rotated in the next ones).
ROWS = ("API", "API, views apart", "application")


def measure(url: str, tmp: Path, sizes: Sizes, reps: int) -> dict[str, Any]:
    events = demo_events(DEMO_TODAY, None)
    with (
        served("writes", url, tmp, events) as site,
        served("apart", url, tmp, events, views_apart=True) as apart,
    ):
        targets = {"API": (site, _api_ids(site)), "API, views apart": (apart, _api_ids(apart))}
        app = Koers(env={**store_env(url, "APPWRITES"), "KOERS_DATA_DIR": str(tmp / "app")})
        try:
            app_ids = _app_ids(app)
            rows: dict[str, list[dict[str, float]]] = {name: [] for name in ROWS}
            for rep in range(reps):
                for name in rotated(ROWS, rep):
                    if name == "application":
                        got = _app_rate(app, app_ids, sizes.seconds)
                    else:
                        on, ids = targets[name]
                        got = _api_rate(on, ids, sizes.seconds)
                    rows[name].append(got)
                    print(f"rep {rep + 1} {name}: {got}", flush=True)
        finally:
            app.close()
        return {"events": len(events), "writers": WRITERS, "rows": rows}


def _cpu(runs: list[dict[str, float]], key: str = "cpu_ms") -> str:
    """The median CPU ms per write, or "-" for runs made before it was measured."""
    values = [r[key] for r in runs if key in r]
    return f"{median(values):.2f}" if values else "-"


def report(results: dict[str, Any]) -> None:
    rows = results["rows"]
    app = rows["application"]
    print(f"\ncheck-ins, {results['writers']} writers, each on a key result of its own, after "
          f"the demo ({results['events']} events) [medians of the repetitions; CPU: ms per "
          "write of the serve, or of this process for the application]:\n")  # fmt: skip
    print("| path | writes/s | p50 ms | p99 ms | non-2xx | ÷ application | CPU ms/write "
          "| views process CPU ms/write |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    api = rows["API"]
    print(wrk_row("API (`koers serve`, views in it, wrk)", api, rps_ratio(api, app))
          + f" {_cpu(api)} | - |")  # fmt: skip
    apart = rows.get("API, views apart")  # not in runs before this row was added
    if apart:
        print(wrk_row("API (`koers serve --no-views`, views in another process, wrk)", apart,
                      rps_ratio(apart, app))
              + f" {_cpu(apart)} | {_cpu(apart, 'views_cpu_ms')} |")  # fmt: skip
    print(f"| application in-process (`Koers.check_in`) | {median([r['rps'] for r in app]):,.0f} "
          f"| - | - | - | 1.00x | {_cpu(app)} | - |")  # fmt: skip
    print(f"\nAPI ÷ application: {ratio_text(rps_ratio(api, app))} (target ≥ 0.80x)")


def main(argv: Sequence[str] | None = None) -> int:
    args = arguments(__doc__, default_reps=3).options(argv)
    require_wrk()
    sizes = QUICK if args.quick else Sizes()
    return measure_and_write(
        "api-writes",
        args,
        sizes,
        lambda url, tmp: measure(url, tmp, sizes, args.reps),
        report=report,
        out=OUT_FILE,
    )


if __name__ == "__main__":
    sys.exit(main())

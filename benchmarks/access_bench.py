"""Sign-in benchmark (issue 10): what checking a credential costs per request, and the API's
read throughput with authentication on vs off in the same run.

Run from the repository root::

    .venv/bin/python -m benchmarks.access_bench            # the reported run (about 2 minutes)
    .venv/bin/python -m benchmarks.access_bench --quick    # smoke test: 1 rep, short loads

Set-up: an embedded nats-server (fsync always), a stream with a person (ann, lead of team
platform), her personal token, one objective with three key results and a check-in each,
and the live views (``ViewRunner``). Two API servers in this process, composed as `koers
serve` composes them (``create_api`` + ``ApiServer``), on two loopback ports:

- **auth on**: as shipped; every request sends ``Authorization: Bearer <token>``;
- **auth off**: the same application with the ``authenticated`` dependency replaced by one
  that sets the same principal without looking at the request (the what-if baseline).

Part 1, the token check alone: the ``authenticated`` dependency awaited on a request built
in memory (the header parsed, the token's hash compared, the principal made), with the
token cache warm (as for every request but one each ``KOERS_ACCESS_CACHE_SECONDS``), and
``Koers.token_principal`` with the cache cold (a store read of the token). Per-call times
from ``perf_counter_ns``; p50 and p99 over all calls.

Part 2, throughput: `wrk` (Debian package; `apt-get install wrk`) with 2 threads and 8
connections for ``--seconds`` per row on ``GET /teams/platform/okr-progress?period=…`` (a
view read) and ``GET /objectives/{id}`` (a store read), for each server, in an order rotated
per repetition; ``/health`` (no sign-in) as the framework's ceiling. Reported: medians of
requests/s and the median of the per-repetition on ÷ off ratios. Nothing is asserted.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request

from benchmarks._figures import median, paired_ratio, ratio_text
from benchmarks._harness import arguments, on_a_fresh_server, out_file, write_document
from ledger.api import create_api
from ledger.api._auth import authenticated
from ledger.api._server import ApiServer
from ledger.application import Koers
from ledger.domain import Principal
from projections import ViewRunner

OUT = out_file(__file__)


@dataclass
class Sizes:
    calls: int = 20_000
    cold_calls: int = 300
    seconds: int = 6


def quarter() -> str:
    today = time.gmtime()
    return f"{today.tm_year}-Q{(today.tm_mon - 1) // 3 + 1}"


def seed(koers: Koers) -> tuple[str, str]:
    """The directory, one objective with three key results (a check-in each); ann's token."""
    koers.add_person(actor="ann", handle="ann", name="Ann", email="ann@example.org")
    koers.grant_role("ann", actor="ann", role="admin")
    koers.add_team(actor="ann", slug="platform", name="Platform")
    koers.set_member("platform", actor="ann", handle="ann", role="lead")
    goal = koers.set_objective(actor="ann", team="platform", period=quarter(),
                               title="Ship weekly", why="Customers wait", owner="ann")  # fmt: skip
    for i in range(3):
        kr = koers.add_key_result(
            actor="ann", objective_id=goal.id, title=f"Measure {i}", metric="increase",
            start="0", target="10", owner="ann",
        )  # fmt: skip
        koers.check_in(kr.id, actor="ann", value=str(i + 2), confidence=6)
    secret = koers.create_token(actor="ann", handle="ann").secret
    assert secret is not None
    return str(goal.id), secret


def without_sign_in(api: FastAPI, principal: Principal) -> FastAPI:
    """The what-if: every request is ``principal``, nothing checked."""

    async def fixed(request: Request) -> Principal:
        request.state.principal = principal
        return principal

    api.dependency_overrides[authenticated] = fixed
    return api


def request_with(api: FastAPI, secret: str) -> Request:
    scope = {
        "type": "http", "method": "GET", "path": "/objectives", "app": api,
        "headers": [(b"authorization", f"Bearer {secret}".encode())], "query_string": b"",
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 2),
    }  # fmt: skip
    return Request(scope)


def per_call(calls: int, one: Callable[[], Any]) -> list[float]:
    """Each call's time in microseconds."""
    times = []
    for _ in range(calls):
        started = time.perf_counter_ns()
        one()
        times.append((time.perf_counter_ns() - started) / 1000)
    return times


def token_check(api: FastAPI, koers: Koers, secret: str, sizes: Sizes) -> dict[str, Any]:
    loop = asyncio.new_event_loop()
    try:
        warm = per_call(sizes.calls, lambda: loop.run_until_complete(
            authenticated(request_with(api, secret))))  # fmt: skip
        empty = per_call(sizes.calls, lambda: request_with(api, secret))
    finally:
        loop.close()

    def cold() -> None:
        koers._tokens.clear()  # the cache is what is bypassed here
        koers.token_principal(secret)

    cold_times = per_call(sizes.cold_calls, cold)
    return {
        "dependency, cache warm [us]": _spread(warm),
        "building the request alone (subtracted) [us]": _spread(empty),
        "token_principal, cache cold (a store read) [us]": _spread(cold_times),
    }


def _spread(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {"p50": round(median(ordered), 1), "p99": round(ordered[int(len(ordered) * 0.99)], 1)}


def wrk(url: str, seconds: int, headers: dict[str, str]) -> dict[str, float]:
    args = ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency", url]
    for name, value in headers.items():
        args[1:1] = ["-H", f"{name}: {value}"]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=seconds + 30)
    return wrk_report(out.stdout)


def wrk_rounds(
    cases: dict[str, tuple[str, dict[str, str]]], seconds: int, reps: int
) -> dict[str, list[dict[str, float]]]:
    """Each case (url, headers) run with :func:`wrk` once per repetition, in an order rotated
    per repetition; the runs of each case, as they were printed."""
    from benchmarks.views_bench import rotated

    results: dict[str, list[dict[str, float]]] = {}
    for rep in range(reps):
        for name in rotated(list(cases), rep):
            url, headers = cases[name]
            results.setdefault(name, []).append(wrk(url, seconds, headers))
            print(f"rep {rep + 1} {name}: {results[name][-1]}", flush=True)
    return results


def wrk_report(stdout: str) -> dict[str, float]:
    """Requests/s, p50 and p99 (ms) and the non-2xx/3xx count of a ``wrk --latency`` run."""
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", stdout)[1])  # type: ignore[index]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", stdout)
    latency = dict(re.findall(r"\s+(50|99)%\s+([\d.]+\w+)", stdout))
    return {"rps": rate, "p50": _ms(latency["50"]), "p99": _ms(latency["99"]),
            "errors": int(non2xx[1]) if non2xx else 0}  # fmt: skip


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def require_wrk() -> None:
    """Stop with what to do when the load generator is missing."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (the load generator)")


def rps_ratio(
    runs: Sequence[dict[str, float]], under: Sequence[dict[str, float]] | None
) -> float | None:
    """The median of the per-repetition ratios of two wrk rows' requests/s (None: no row)."""
    return paired_ratio([r["rps"] for r in runs], [r["rps"] for r in under] if under else None)


def wrk_row(name: str, runs: Sequence[dict[str, float]], *ratios: float | None) -> str:
    """A markdown row: the medians of wrk's req/s, p50, p99 and errors, then ``ratios``."""
    cells = [median([r[k] for r in runs]) for k in ("rps", "p50", "p99", "errors")]
    shown = "".join(f" {ratio_text(ratio)} |" for ratio in ratios)
    return f"| {name} | {cells[0]:,.0f} | {cells[1]:.1f} | {cells[2]:.1f} | {cells[3]:.0f} |{shown}"


def measure(url: str, tmp: Path, sizes: Sizes, reps: int) -> dict[str, Any]:
    env = {
        "NATS_URL": url,
        "NATS_STREAM": "ABENCH",
        "NATS_CREATE_STREAM": "yes",
        "KOERS_DATA_DIR": str(tmp),
    }
    koers = Koers(env=env)
    goal, secret = seed(koers)
    runner = ViewRunner({**env, "KOERSVIEWS_SQLITE_DBNAME": str(tmp / "views.sqlite3")},
                        app=koers).start()  # fmt: skip
    on = create_api(koers, runner)
    off = without_sign_in(create_api(koers, runner), koers.token_principal(secret))  # type: ignore[arg-type]
    check = token_check(on, koers, secret, sizes)
    rows: dict[str, list[dict[str, float]]] = {}
    paths = {"view": f"/teams/platform/okr-progress?period={quarter()}",
             "store": f"/objectives/{goal}"}  # fmt: skip
    with ApiServer(on, port=0) as server_on, ApiServer(off, port=0) as server_off:
        bearer = {"Authorization": f"Bearer {secret}"}
        cases = {f"{what} auth on": (server_on.url + path, bearer) for what, path in paths.items()}
        cases |= {f"{what} auth off": (server_off.url + path, {}) for what, path in paths.items()}
        cases["/health (no sign-in)"] = (server_on.url + "/health", {})
        for rep in range(reps):
            names = list(cases)
            for name in names[rep % len(names) :] + names[: rep % len(names)]:
                target, headers = cases[name]
                rows.setdefault(name, []).append(wrk(target, sizes.seconds, headers))
                print(f"rep {rep + 1} {name}: {rows[name][-1]}", flush=True)
    runner.close()
    koers.close()
    return {"token check": check, "throughput": rows}


def report(results: dict[str, Any]) -> None:
    print("\nThe token check [microseconds per call]:\n\n| what | p50 | p99 |\n|---|---:|---:|")
    for name, spread in results["token check"].items():
        print(f"| {name} | {spread['p50']} | {spread['p99']} |")
    rows = results["throughput"]
    print("\nAPI reads with wrk -t2 -c8 [medians of the repetitions]:\n")
    print("| endpoint | req/s | p50 ms | p99 ms | non-2xx | ÷ auth off |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, runs in rows.items():
        off = rows.get(name.replace("auth on", "auth off")) if "auth on" in name else None
        print(wrk_row(name, runs, rps_ratio(runs, off)))


def main() -> None:
    args = arguments(__doc__, default_reps=5).options()
    require_wrk()
    sizes = Sizes(calls=2000, cold_calls=50, seconds=2) if args.quick else Sizes()
    results, run = on_a_fresh_server(
        "access", ["ledger"], args, sizes, lambda url, tmp: measure(url, tmp, sizes, args.reps)
    )
    report(results)
    write_document(OUT, run, results=json.loads(json.dumps(results)))


if __name__ == "__main__":
    main()

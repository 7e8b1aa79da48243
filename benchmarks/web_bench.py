"""Web pages benchmark (issue 12): time to first byte and full load of the pages, and the
API's answer for the same data, in the same run, on the demo and on a 100k-event log.

Run from the repository root::

    .venv/bin/python -m benchmarks.web_bench            # the reported run (3 reps)
    .venv/bin/python -m benchmarks.web_bench --quick    # smoke test: a 2k-event log, 1 rep
    .venv/bin/python -m benchmarks.web_bench --page "decision" /decision/ID /decisions/ID

Set-up: one embedded nats-server (fresh temp store, fsync always) holds two ledgers, each
served by its own ``koers serve --no-workers --port 0`` (a child process, with its own data
directory and views, ``NATS_TIMEOUT=30`` as a loaded machine needs, stopped by its PID at the
end):

* **demo**: the demo quarter (2026-Q3) as ``koers demo`` records it (``ledger.demo``, 385
  events), written through ``ledger.nats``.
* **big** (100k events by default): the same generator as ``benchmarks/views_bench.py``
  (:func:`demo_events`: the demo with every id renamed per copy) repeated until the log
  holds ``--events`` events:
  the last copy is the demo quarter itself (so the team room of 2026-Q3 shows what the demo
  shows), the others spread over the quarters before it, several per quarter (the domain
  takes no date before 2000). Every decision of every copy is in the decision log.

Each ledger gets ann's login link and API token before its server starts; the run waits until
the views have caught up with the whole log. Then every repetition measures, per ledger and
per page, in an order rotated per repetition:

* the page: time to first byte (``httpx``, the answer's headers received; the page is
  rendered before its first byte is sent) and the full load in Chromium (Debian's, through
  Playwright: Navigation Timing's ``loadEventEnd``, style sheet and script included; the
  browser's cache is warm after the first load, as for someone who works in the pages);
* the API's answer for the same data: time to first byte and the whole body (``httpx``).

Pages are given as (name, page path, API path); a page that answers 404 (not built on the
code measured) is reported as missing and its API path is still measured. Reported: medians
over all samples (min-max of the per-repetition medians), and the median of per-repetition
ratios page ÷ API. Output: markdown on stdout and ``benchmarks/out/web_bench.json``.
Nothing is asserted about timings.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from eventsourcing.persistence import StoredEvent

from benchmarks._figures import median, ratio_text
from benchmarks._harness import ROOT, arguments, measure_and_write, out_file, stop_child
from benchmarks.views_bench import DEMO_TODAY, demo_events, quarter_days, rotated, write_log

OUT_FILE = out_file(__file__)
CHROMIUM = os.environ.get("KOERS_CHROMIUM", "/usr/bin/chromium")
#: The pages measured by default: (name, page, the API's answer for the same data).
PAGES = (
    ("team room", "/team/platform?period=2026-Q3", "/teams/platform/okr-progress?period=2026-Q3"),
    ("decision log", "/decision-log", "/decisions"),
)
OLDER_QUARTERS = 79  # the quarters before 2026-Q3 the big log's other copies spread over
STARTUP = 1800.0  # seconds a server may take to start and catch its views up


@dataclass(frozen=True)
class Sizes:
    events: int = 100_000  # events in the big log (at least)
    requests: int = 30  # httpx requests per path, ledger and repetition
    loads: int = 10  # Chromium loads per page, ledger and repetition


QUICK = Sizes(events=2_000, requests=5, loads=2)


@dataclass
class Served:
    """One ledger served: its address, ann's API token, and a browser tab signed in as ann."""

    name: str
    url: str
    events: int
    token: str
    tab: Any = None
    cookies: dict[str, str] = field(default_factory=dict)
    #: the serve's process id, then the views process's (``views_apart``)
    pids: tuple[int, ...] = ()


# --- the ledgers ---------------------------------------------------------------------------


def big_log(events: int) -> list[StoredEvent]:
    """At least ``events`` events: renamed demo copies over older quarters, then the demo."""
    demo = demo_events(DEMO_TODAY, None)
    older = quarter_days(OLDER_QUARTERS + 1)[:-1]
    copies = max(0, math.ceil((events - len(demo)) / len(demo)))
    log: list[StoredEvent] = []
    for copy in range(copies):
        log += demo_events(older[copy % len(older)], copy)
    return log + demo


def koers(env: dict[str, str], *args: str) -> str:
    """Run ``koers args`` on a ledger; its last line of output."""
    done = subprocess.run([sys.executable, "-m", "ledger.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"koers {' '.join(args)}: {done.stderr}")
    return done.stdout.strip().splitlines()[-1]


@contextmanager
def served(
    name: str,
    nats_url: str,
    tmp: Path,
    events: Sequence[StoredEvent],
    code: Path = ROOT,
    *,
    views_apart: bool = False,
) -> Iterator[Served]:
    """``events`` in a stream of their own, served by ``koers serve`` (of the source tree
    ``code``: this one, or an older commit's copy) until the end. ``views_apart``: the serve
    runs without views (``--no-views``) and ``koers projections run`` keeps them in another
    process (the same views file)."""
    data = tmp / name
    env = {**os.environ, "NATS_URL": nats_url, "NATS_STREAM": f"WEB{name.upper()}",
           "NATS_CREATE_STREAM": "yes", "KOERS_DATA_DIR": str(data), "KOERS_USER": "ann",
           "KOERS_LOGIN_LINK_MINUTES": "600", "NATS_TIMEOUT": "30"}  # fmt: skip
    written = write_log({**env, "PERSISTENCE_MODULE": "ledger.nats"}, events)
    token = koers(env, "token", "create", "ann", "--label", "web-bench")
    link = koers(env, "login-link", "ann")
    log = data / "serve.log"
    views = ["--no-views"] if views_apart else []
    for attempt in range(3):  # a loaded machine's nats-server may not answer serve's first 5 s
        with log.open("w") as sink:
            child = subprocess.Popen([sys.executable, "-m", "ledger.cli", "serve",
                                      "--no-workers", *views, "--port", "0"], env=env, cwd=code,
                                     stderr=sink, text=True, start_new_session=True)  # fmt: skip
        if address(child, log) or attempt == 2:
            break
        print(f"{name}: koers serve did not start, again: {log.read_text()[-300:]}", flush=True)
    projector = None
    if views_apart:
        with (data / "projections.log").open("w") as sink:
            projector = subprocess.Popen(
                [sys.executable, "-m", "ledger.cli", "projections", "run"],
                env=env, cwd=code, stdout=sink, stderr=sink, text=True, start_new_session=True,
            )  # fmt: skip
    try:
        url = address(child, log)
        if not url:
            raise RuntimeError(f"koers serve did not start: {log.read_text()[-2000:]}")
        print(f"{name}: {written} events at {url}", flush=True)
        site = Served(name, url, written, token)
        site.pids = (child.pid,) if projector is None else (child.pid, projector.pid)
        caught_up(site)
        site.cookies = {"login": re.sub(r"^https?://[^/]+", url, link)}
        yield site
    finally:
        stop_child(child)
        if projector is not None:
            stop_child(projector)


def address(child: subprocess.Popen[str], log: Path) -> str:
    """Where ``koers serve`` listens, from its first line; empty if it stopped first."""
    deadline = time.monotonic() + STARTUP
    while time.monotonic() < deadline:
        found = re.search(r"API and web page at (http://127\.0\.0\.1:\d+) ", log.read_text())
        if found:
            return found[1]
        if child.poll() is not None:
            return ""
        time.sleep(0.2)
    return ""


def caught_up(site: Served) -> None:
    """Wait until the views hold the whole log (``min_position``)."""
    path = PAGES[0][2]
    deadline = time.monotonic() + STARTUP
    last = "no answer"
    with api_client(site) as client:
        while time.monotonic() < deadline:
            try:
                answer = client.get(
                    f"{path}{'&' if '?' in path else '?'}min_position={site.events}"
                )
            except httpx.TransportError as e:  # a server busy replaying may drop a connection
                print(f"{site.name}: waiting for the views: {e!r}", flush=True)
                time.sleep(1)
                continue
            if answer.status_code == 200:
                return
            last = f"{answer.status_code} {answer.text[:500]}"
            time.sleep(1)
    raise RuntimeError(f"{site.name}: the views did not catch up with {site.events} events: {last}")


def api_client(site: Served) -> httpx.Client:
    return httpx.Client(base_url=site.url, timeout=60,
                        headers={"Authorization": f"Bearer {site.token}"})  # fmt: skip


# --- the measurements ----------------------------------------------------------------------


def fetch(client: httpx.Client, path: str) -> tuple[int, float, float]:
    """One GET: its status, time to first byte and time to the whole body [ms]."""
    started = time.perf_counter()
    with client.stream("GET", path) as answer:
        first = time.perf_counter()
        answer.read()
        done = time.perf_counter()
    return answer.status_code, (first - started) * 1000, (done - started) * 1000


def full_load(tab: Any, url: str) -> float:
    """One page load in Chromium until its load event [ms]."""
    tab.goto(url, wait_until="load")
    loaded: float = tab.evaluate(
        "(() => { const n = performance.getEntriesByType('navigation')[0];"
        " return n.loadEventEnd - n.startTime; })()"
    )
    return loaded


Samples = dict[str, list[float]]


@dataclass
class Tally:
    """All samples of all repetitions, and the pages that answered 404."""

    samples: Samples = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)


def one_rep(
    site: Served, pages: Sequence[tuple[str, str, str]], sizes: Sizes, rep: int, tally: Tally
) -> dict[str, float]:
    """Every page and API path of ``site`` once; this repetition's medians."""
    medians: dict[str, float] = {}
    page_client = httpx.Client(base_url=site.url, timeout=60, cookies=site.cookies)
    with page_client, api_client(site) as api:
        for name, page, api_path in rotated(pages, rep):
            key = f"{site.name} {name}"
            got: Samples = {"page_ttfb": [], "page_load": [], "api_ttfb": [], "api_full": []}
            for _ in range(sizes.requests):
                status, ttfb, full = fetch(api, api_path)
                if status != 200:
                    raise RuntimeError(f"{site.name} {api_path}: {status}")
                got["api_ttfb"].append(ttfb)
                got["api_full"].append(full)
                status, ttfb, _ = fetch(page_client, page)
                if status == 404:
                    tally.missing.add(name)
                    continue
                if status != 200:
                    raise RuntimeError(f"{site.name} {page}: {status}")
                got["page_ttfb"].append(ttfb)
            if name not in tally.missing:
                got["page_load"] = [
                    full_load(site.tab, site.url + page) for _ in range(sizes.loads)
                ]
            for part, values in got.items():
                if values:
                    tally.samples.setdefault(f"{key} {part}", []).extend(values)
                    medians[f"{key} {part}"] = median(values)
            print(f"rep {rep + 1} {key}: " + ", ".join(
                f"{p} {median(v):.1f} ms" for p, v in got.items() if v), flush=True)  # fmt: skip
    return medians


def measure(
    nats_url: str, tmp: Path, sizes: Sizes, reps: int, pages: Sequence[tuple[str, str, str]]
) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    logs = {"demo": demo_events(DEMO_TODAY, None), "big": big_log(sizes.events)}
    per_rep: list[dict[str, float]] = []
    tally = Tally()
    sizes_seen: dict[str, int] = {}
    with (
        served("demo", nats_url, tmp, logs["demo"]) as demo,
        served("big", nats_url, tmp, logs.pop("big")) as big,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                             args=["--no-sandbox", "--disable-gpu"])  # fmt: skip
        for site in (demo, big):
            sizes_seen[site.name] = site.events
            site.tab = browser.new_context().new_page()
            site.tab.goto(site.cookies.pop("login"))
            site.cookies = {c["name"]: c["value"] for c in site.tab.context.cookies()}
        for rep in range(reps):
            medians: dict[str, float] = {}
            for site in rotated((demo, big), rep):
                medians |= one_rep(site, pages, sizes, rep, tally)
            per_rep.append(medians)
        browser.close()
    return {"events": sizes_seen, "pages": [list(p) for p in pages], "per_rep": per_rep,
            "missing": sorted(tally.missing), "samples": tally.samples}  # fmt: skip


# --- the report ----------------------------------------------------------------------------


def cell(results: dict[str, Any], key: str) -> str:
    values = results["samples"].get(key)
    if not values:
        return "-"
    reps = [r[key] for r in results["per_rep"] if key in r]
    return f"{median(values):.1f} ({min(reps):.1f}-{max(reps):.1f})"


def ratio(results: dict[str, Any], top: str, bottom: str) -> float | None:
    pairs = [r[top] / r[bottom] for r in results["per_rep"] if top in r and bottom in r]
    return median(pairs) if pairs else None


def report(results: dict[str, Any]) -> None:
    print(f"\nevents: {results['events']}; pages missing (404): {results['missing'] or '-'}\n")
    print("| ledger | page | page TTFB [ms] | page full load [ms] | API TTFB [ms] | "
          "API whole answer [ms] | page TTFB ÷ API answer | page load ÷ API answer |")  # fmt: skip
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for ledger in results["events"]:
        for name, page, api_path in results["pages"]:
            key = f"{ledger} {name}"
            print(
                f"| {ledger} | {name} (`{page}` vs `{api_path}`) "
                f"| {cell(results, key + ' page_ttfb')} | {cell(results, key + ' page_load')} "
                f"| {cell(results, key + ' api_ttfb')} "
                f"| {cell(results, key + ' api_full')} "
                f"| {ratio_text(ratio(results, key + ' page_ttfb', key + ' api_full'))} "
                f"| {ratio_text(ratio(results, key + ' page_load', key + ' api_full'))} |"
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = arguments(__doc__, default_reps=3)
    parser.add_argument("--events", type=int, help="events in the big log (default 100,000)")
    parser.add_argument("--page", nargs=3, action="append", metavar=("NAME", "PAGE", "API"),
                        help="a page and the API path of the same data (repeatable; default: "
                        "the team room and the decision log)")  # fmt: skip
    args = parser.options(argv)
    sizes = QUICK if args.quick else Sizes()
    if args.events:
        sizes = Sizes(args.events, sizes.requests, sizes.loads)
    pages = [tuple(p) for p in args.page] if args.page else list(PAGES)
    return measure_and_write(
        "web", args, sizes, lambda url, tmp: measure(url, tmp, sizes, args.reps, pages),
        report=report, out=OUT_FILE,
    )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())

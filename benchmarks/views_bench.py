"""Views and read API benchmark (issue 4): replay rate, read-your-writes, API read latency.

Run from the repository root::

    .venv/bin/python -m benchmarks.views_bench            # the reported run (3 reps, ~4 min)
    .venv/bin/python -m benchmarks.views_bench --quick    # smoke test: tiny sizes, 1 rep

One embedded nats-server (fresh temp store, ``sync_interval: always``) holds two streams:

* ``VLOG``, the replay log: the demo quarter (``ledger.demo``: 357 events of every kind the
  views use) generated for ``copies`` consecutive quarters by the Koers application on the
  in-memory POPO store (the demo pins the domain clock), every id renamed per copy, and the
  resulting ``StoredEvent`` s written through the ``ledger.nats`` recorder 500 per write.
  57 copies = 20,349 real Koers events, oldest quarter first.
* ``VAPI``: the demo quarter once (2026-Q3), served by the HTTP API.

Every repetition measures every variant below, in an order rotated per repetition:

1. Replay into the views [events/s] over ``VLOG``: ``ViewRunner.rebuild`` (a fresh SQLite
   file, swapped in), the live runner catching up from zero (``ViewRunner.start`` +
   ``wait_for``), ``views_as_of`` (in-memory SQLite), and the read path alone
   (``select_notifications``, pages of 1000) with and without decoding. Baseline: the
   library's ``ProjectionRunner`` running the same ``KoersProjection`` into the same
   ``SQLiteKoersViews`` tables (one event per transaction, as the library calls it); the run
   checks that it ends with the same tables, byte for byte, as the rebuild. Ceilings: the
   lean ``BulkReader`` (batch direct gets of 1000, no processing) and a nats-py ordered
   consumer that only counts.
2. Read your writes [ms]: a check-in through the application, ``ViewRunner.wait_for`` its
   position, then ``okr_progress`` shows it (its id in the key result's history); and over
   HTTP, ``POST /key-results/{id}/check-ins`` then ``GET /teams/{team}/okr-progress`` with
   ``min_position`` (checked the same way). Each block of 30 check-ins goes to a new team
   with one objective and three key results (a dashboard the size of a demo team's).
3. API reads under load [ms]: the API in child processes, each composed as
   ``koers serve --no-workers`` composes it (``Koers`` + ``ViewRunner`` + ``ApiServer`` with
   uvicorn on 127.0.0.1, a free port): one as shipped, one with TCP_NODELAY set on its
   listening socket (a what-if: the shipped socket lacks it, see :func:`serve_api`). An
   open-loop client schedules requests at a fixed rate and measures each from its
   *scheduled* send time, so queueing shows; it is a minimal HTTP/1.1 client
   (:class:`RawHttp`), because ``httpx.AsyncClient`` costs more CPU per request than the
   server on this machine. Endpoints: the team's OKR progress, and in
   the same run ``GET /health`` (the framework plus one store round trip) and
   ``GET /problems/internal`` (the framework alone). Server CPU per request is read from
   ``/proc/<pid>/stat``.

Reported: rates as medians over repetitions (min-max), ratios as medians of per-repetition
ratios; latency percentiles over all samples of all repetitions (per-repetition min-max).
Output: markdown on stdout and ``benchmarks/out/views_bench.json``. The nats-server and the
API children are stopped by PID at the end, also on error or SIGTERM. Nothing is asserted
about timings.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit
from uuid import UUID

import nats
from eventsourcing.persistence import StoredEvent
from eventsourcing.projection import ProjectionRunner
from nats.aio.msg import Msg

from benchmarks._figures import median, paired_ratio, ratio_text, spread
from benchmarks._harness import ROOT, Run, arguments, on_a_fresh_server, out_file, write_document
from ledger.application import Koers
from ledger.demo import load_demo
from ledger.demo._directory import ADMIN
from ledger.nats._bulk import BulkReader
from ledger.settings import AuditSettings
from projections import (
    KoersProjection,
    SQLiteKoersViews,
    ViewRunner,
    dump,
    okr_progress,
    open_views,
    views_as_of,
)
from tests.factories import key_result

OUT_FILE = out_file(__file__)
LOG_STREAM = "VLOG"
API_STREAM = "VAPI"
DEMO_TODAY = date(2026, 11, 20)  # the demo tells the quarter before: 2026-Q3
DEMO_PERIOD = "2026-Q3"
API_TEAM = "platform"
WRITE_CHUNK = 500  # events per insert_events when writing the replay log
PAGE = 1000
TIMEOUT = 10.0
CONNECTIONS = 64  # most requests in flight in the open-loop load
UUID_RE = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class Sizes:
    copies: int = 57  # demo quarters in the replay log: 57 x 357 = 20,349 events
    ryw_samples: int = 300  # read-your-writes samples per repetition, in process
    http_samples: int = 100  # ... and over HTTP, per API server
    block: int = 30  # check-ins per new team (3 key results)
    rate: float = 200.0  # requests/s of the open-loop load
    load_seconds: float = 6.0  # measured load per repetition, server and endpoint
    warmup_seconds: float = 0.5  # load before each measured segment, not counted


QUICK = Sizes(
    copies=3, ryw_samples=30, http_samples=10, block=10, load_seconds=1.0, warmup_seconds=0.3
)
ENDPOINTS = {
    "okr": f"/teams/{API_TEAM}/okr-progress?period={DEMO_PERIOD}",
    "health": "/health",
    "floor": "/problems/internal",
}
#: (API child, endpoint) pairs loaded in every repetition
SEGMENTS = (
    ("shipped", "okr"),
    ("shipped", "health"),
    ("nodelay", "okr"),
    ("nodelay", "health"),
    ("nodelay", "floor"),
)


@dataclass(frozen=True)
class Timed:
    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds


Samples = dict[str, list[float]]


@dataclass
class Results:
    """Per metric, one value per repetition (in repetition order); latency samples pooled."""

    values: dict[str, list[float]] = field(default_factory=dict)
    samples: Samples = field(default_factory=dict)
    checks: dict[str, Any] = field(default_factory=dict)

    def add(self, metric: str, value: float) -> None:
        self.values.setdefault(metric, []).append(value)

    def print_checks(self) -> None:
        for key, value in self.checks.items():
            print(f"check: {key} = {value}")

    def figures(self) -> dict[str, Any]:
        """What a benchmark's document records of them: the values, the checks, the medians."""
        medians = {m: median(v) for m, v in self.values.items()}
        return {"results": self.values, "checks": self.checks, "medians": medians}

    def add_samples(self, name: str, samples: Samples) -> None:
        """One repetition's latencies [ms]: pooled, and this repetition's p50 and p99."""
        for part, latencies in samples.items():
            self.samples.setdefault(f"{name}_{part}", []).extend(latencies)
            self.add(f"{name}_{part}_p50_ms", percentile(latencies, 50))
            self.add(f"{name}_{part}_p99_ms", percentile(latencies, 99))


# --- the replay log ------------------------------------------------------------------------


def quarter_days(copies: int) -> list[date]:
    """A ``today`` for each of ``copies`` consecutive quarters ending with the one before
    DEMO_TODAY, oldest first (the demo tells the quarter before ``today``)."""
    last = DEMO_TODAY.year * 4 + (DEMO_TODAY.month - 1) // 3
    days = []
    for index in range(last - copies + 1, last + 1):
        year, quarter = divmod(index, 4)
        days.append(date(year, quarter * 3 + 1, 20))
    return days


def demo_events(today: date, copy: int | None) -> list[StoredEvent]:
    """The demo quarter before ``today`` as the application stores it; with ``copy``, every
    id renamed for that copy (:func:`renamed`)."""
    app = Koers(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    try:
        load_demo(app, today=today)
        notes = app.recorder.select_notifications(1, 100_000)
    finally:
        app.close()
    events = [StoredEvent(n.originator_id, n.originator_version, n.topic, n.state) for n in notes]
    return events if copy is None else renamed(events, copy)


def renamed(events: Sequence[StoredEvent], copy: int) -> list[StoredEvent]:
    """``events`` with every id (aggregate ids and ids inside payloads alike) renamed for
    ``copy``: the same story about other things."""
    space = UUID(int=copy + 1)
    names: dict[bytes, bytes] = {}

    def rename(match: re.Match[bytes]) -> bytes:
        old = match.group(0)
        new = names.get(old)
        if new is None:
            new = names[old] = str(uuid.uuid5(space, old.decode())).encode()
        return new

    return [
        StoredEvent(
            UUID(UUID_RE.sub(rename, str(e.originator_id).encode()).decode()),
            e.originator_version,
            e.topic,
            UUID_RE.sub(rename, e.state),
        )
        for e in events
    ]


def write_log(env: dict[str, str], events: Sequence[StoredEvent]) -> int:
    app = Koers(env=env)
    try:
        for start in range(0, len(events), WRITE_CHUNK):
            app.recorder.insert_events(events[start : start + WRITE_CHUNK])
        return app.recorder.max_notification_id() or 0
    finally:
        app.close()


# --- 1. replay -----------------------------------------------------------------------------


def remove_database(path: Path) -> None:
    for name in (str(path), f"{path}-wal", f"{path}-shm", f"{path}-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(name)


def replay_rebuild(runner: ViewRunner, *, prefetch: bool = True) -> Timed:
    started = time.perf_counter()
    position = runner.rebuild(prefetch=prefetch)
    return Timed(position, time.perf_counter() - started)


def replay_live(env: dict[str, str], app: Koers, path: Path, last: int) -> Timed:
    """The live runner following the log from an empty view file until it reaches ``last``."""
    remove_database(path)
    started = time.perf_counter()
    runner = ViewRunner(env, path, app=app)
    try:
        runner.start()
        runner.wait_for(last, timeout=300)
        seconds = time.perf_counter() - started
    finally:
        runner.close()
    return Timed(last, seconds)


def replay_as_of(app: Koers, last: int) -> Timed:
    started = time.perf_counter()
    views = views_as_of(app)
    seconds = time.perf_counter() - started
    try:
        if views.position != last:
            raise RuntimeError(f"views_as_of reached {views.position}, not {last}")
    finally:
        views.close()
    return Timed(last, seconds)


def read_pages(app: Koers, last: int, *, decode: bool, consumer: bool = True) -> Timed:
    """``select_notifications`` in pages of 1000 (and ``mapper.to_domain_event``): the read
    path of ``replay`` without the views. ``consumer=False``: every page a batch direct get
    (the reader before the paging consumer)."""
    access = app.recorder.access  # type: ignore[attr-defined]
    shipped = access.consumer_pages_from
    if not consumer:
        access.consumer_pages_from = None
    try:
        return _read_pages(app, last, decode=decode)
    finally:
        access.consumer_pages_from = shipped


def _read_pages(app: Koers, last: int, *, decode: bool) -> Timed:
    started = time.perf_counter()
    start, seen = 0, 0
    to_domain_event = app.mapper.to_domain_event
    while start < last:
        page = app.recorder.select_notifications(start + 1, PAGE, stop=last)
        if not page:
            break
        if decode:
            for notification in page:
                to_domain_event(notification)
        seen += len(page)
        start = page[-1].id
    return Timed(seen, time.perf_counter() - started)


def library_runner(env: dict[str, str], path: Path, last: int) -> Timed:
    """The library's ``ProjectionRunner`` (its own application, subscription and thread)
    applying ``KoersProjection`` to ``SQLiteKoersViews`` in a fresh file."""
    remove_database(path)
    runner_env = {
        **env,
        "KOERSVIEWS_PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "KOERSVIEWS_SQLITE_DBNAME": str(path),
    }
    started = time.perf_counter()
    runner = ProjectionRunner(
        application_class=Koers,
        projection_class=KoersProjection,
        view_class=SQLiteKoersViews,
        env=runner_env,
    )
    try:
        with runner:  # on exit: stops, joins its threads, closes its application
            runner.wait(last, timeout=600)
            seconds = time.perf_counter() - started
    finally:
        runner.view.close()
    return Timed(last, seconds)


async def raw_bulk(url: str, stream: str, subject: str, last: int) -> Timed:
    """The lean reader's batch direct gets (pages of 1000), nothing done with the messages."""
    reader = BulkReader(url, TIMEOUT)
    try:
        await reader.batch(stream, subject, 1, 1)  # connect outside the timing
        started = time.perf_counter()
        start, seen = 1, 0
        while True:
            got, pending = await reader.batch(stream, subject, start, PAGE)
            seen += len(got)
            if not got or pending == 0:
                break
            start = got[-1].seq + 1
        seconds = time.perf_counter() - started
    finally:
        await reader.close()
    if seen != last:
        raise RuntimeError(f"the bulk reader read {seen} messages, not {last}")
    return Timed(seen, seconds)


async def raw_ordered(url: str, subject: str, last: int) -> Timed:
    """A nats-py ordered push consumer whose callback only counts."""
    nc = await nats.connect(url, name="koers-views-bench-raw")
    try:
        seen = 0
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def count(msg: Msg) -> None:
            nonlocal seen
            seen += 1
            if seen == last and not done.done():
                done.set_result(None)

        started = time.perf_counter()
        sub = await nc.jetstream().subscribe(subject, cb=count, ordered_consumer=True)
        await asyncio.wait_for(done, 120)
        seconds = time.perf_counter() - started
        await sub.unsubscribe()
    finally:
        await nc.close()
    return Timed(seen, seconds)


@dataclass
class ReplaySetup:
    env: dict[str, str]
    url: str
    app: Koers
    runner: ViewRunner  # not following: used for rebuild
    tmp: Path
    last: int
    subject: str


REPLAY_VARIANTS: dict[str, Callable[[ReplaySetup], Timed]] = {
    "rebuild": lambda s: replay_rebuild(s.runner),
    "rebuild_serial": lambda s: replay_rebuild(s.runner, prefetch=False),
    "live": lambda s: replay_live(s.env, s.app, s.tmp / "live.sqlite3", s.last),
    "as_of": lambda s: replay_as_of(s.app, s.last),
    "read_decode": lambda s: read_pages(s.app, s.last, decode=True),
    "read_decode_direct": lambda s: read_pages(s.app, s.last, decode=True, consumer=False),
    "read": lambda s: read_pages(s.app, s.last, decode=False),
    "library": lambda s: library_runner(s.env, s.tmp / "library.sqlite3", s.last),
    "raw_bulk": lambda s: asyncio.run(raw_bulk(s.url, LOG_STREAM, s.subject, s.last)),
    "raw_ordered": lambda s: asyncio.run(raw_ordered(s.url, s.subject, s.last)),
}


def same_tables(s: ReplaySetup) -> bool:
    """The library runner's view file holds byte for byte what the rebuilt one does."""
    library = open_views({}, path=s.tmp / "library.sqlite3")
    try:
        return dump(library) == s.runner.dump()
    finally:
        library.close()


# --- 2. read your writes -------------------------------------------------------------------


def current_period() -> str:
    today = datetime.now(UTC).date()
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


@dataclass(frozen=True)
class Board:
    """A new team with one objective and three key results, for one block of check-ins."""

    team: str
    period: str
    key_results: tuple[UUID, ...]


def new_board(app: Koers, name: str) -> Board:
    """Team ``name`` (``bench`` its lead, so its views are bench's to read) and its board."""
    period = current_period()
    app.add_team(actor=ADMIN, slug=name, name=name)
    app.set_member(name, actor=ADMIN, handle="bench", role="lead")
    objective = app.set_objective(
        actor="bench",
        key=f"{name}/objective",
        team=name,
        title=f"Objective of {name}",
        why="Measure read-your-writes",
        period=period,
        owner="bench",
    ).id
    krs = tuple(
        app.add_key_result(
            actor="bench",
            objective_id=objective,
            key=f"{name}/kr{i}",
            **key_result(title=f"KR {i}", start="0", target="100", unit="%", owner="bench"),
        ).id
        for i in range(3)
    )
    return Board(name, period, krs)


def seen_in(progress: dict[str, Any] | Any, check_in_id: str) -> bool:
    objectives = progress["objectives"] if isinstance(progress, dict) else progress.objectives
    for objective in objectives:
        krs = objective["key_results"] if isinstance(objective, dict) else objective.key_results
        for kr in krs:
            history = kr["history"] if isinstance(kr, dict) else kr.history
            for point in history:
                found = point["check_in_id"] if isinstance(point, dict) else point.check_in_id
                if found == check_in_id:
                    return True
    return False


def ryw_app(app: Koers, runner: ViewRunner, tag: str, sizes: Sizes) -> Samples:
    """Check-in -> wait_for(position) -> okr_progress shows it; milliseconds per step."""
    out: Samples = {"total": [], "command": [], "view": [], "wait": [], "query": []}
    board: Board | None = None
    for i in range(sizes.ryw_samples):
        if i % sizes.block == 0:
            board = new_board(app, f"ryw-app-{tag}-{i // sizes.block}")
        assert board is not None
        kr = board.key_results[i % len(board.key_results)]
        key = f"ryw/{tag}/{i}"
        t0 = time.perf_counter()
        receipt = app.check_in(
            kr, actor="bench", value=str(i % 100), confidence=7, as_of=datetime.now(UTC), key=key
        )
        t1 = time.perf_counter()
        runner.wait_for(receipt.position, timeout=10)
        t2 = time.perf_counter()
        progress = okr_progress(runner.views, board.team, board.period)
        t3 = time.perf_counter()
        if not seen_in(progress, str(uuid.uuid5(kr, key))):
            raise RuntimeError(f"check-in {key} is not in the views after wait_for")
        for name, value in (
            ("total", t3 - t0),
            ("command", t1 - t0),
            ("view", t3 - t1),
            ("wait", t2 - t1),
            ("query", t3 - t2),
        ):
            out[name].append(value * 1000)
    return out


async def ryw_http(
    app: Koers, base_url: str, tag: str, count: int, block: int, *, token: str
) -> Samples:
    """POST a check-in, then GET the team's OKR progress with min_position; milliseconds."""
    out: Samples = {"total": [], "post": [], "get": []}
    board: Board | None = None
    client = RawHttp(base_url, 1, token)
    try:
        status, _ = await client.request("GET", "/health")
        for i in range(count):
            if i % block == 0:
                board = new_board(app, f"ryw-http-{tag}-{i // block}")
            assert board is not None
            kr = board.key_results[i % len(board.key_results)]
            key = f"ryw-http/{tag}/{i}"
            body = json.dumps({"value": str(i % 100), "confidence": 7}).encode()
            headers = {"Idempotency-Key": key}
            t0 = time.perf_counter()
            status, posted = await client.request(
                "POST", f"/key-results/{kr}/check-ins", body, headers
            )
            t1 = time.perf_counter()
            if status != 200:
                raise RuntimeError(f"check-in answered {status}: {posted[:300]!r}")
            position = json.loads(posted)["position"]
            t2 = time.perf_counter()
            path = f"/teams/{board.team}/okr-progress?period={board.period}&min_position={position}"
            status, got = await client.request("GET", path)
            t3 = time.perf_counter()
            if status != 200 or not seen_in(json.loads(got), str(uuid.uuid5(kr, key))):
                raise RuntimeError(f"check-in {key} is not in the API's view after min_position")
            out["total"].append((t3 - t0) * 1000)
            out["post"].append((t1 - t0) * 1000)
            out["get"].append((t3 - t2) * 1000)
    finally:
        await client.close()
    return out


# --- 3. API reads under open-loop load -------------------------------------------------------


class RawHttp:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams, up to ``size`` connections.

    Why not httpx: on this VM ``httpx.AsyncClient`` spent 1.4-2.3 ms of client CPU per
    request (measured, sequential), enough to make the load generator the bottleneck at
    200 requests/s; this client spends about 0.1-0.2 ms. Answers must carry Content-Length
    (every Koers API answer does).
    """

    def __init__(self, base_url: str, size: int, token: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self._slots = asyncio.Semaphore(size)
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._prefix = (
            f"HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAuthorization: Bearer {token}\r\n"
        )

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        """The status and body of one exchange (``TIMEOUT`` seconds at most)."""
        async with self._slots:
            if self._idle:
                reader, writer = self._idle.pop()
            else:
                reader, writer = await asyncio.open_connection(self.host, self.port)
            try:
                answer = await asyncio.wait_for(
                    self._exchange(reader, writer, f"{method} {path}", body=body, headers=headers),
                    TIMEOUT,
                )
            except BaseException:
                writer.close()
                raise
            self._idle.append((reader, writer))
            return answer

    async def _exchange(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        request_line: str,
        *,
        body: bytes,
        headers: dict[str, str] | None,
    ) -> tuple[int, bytes]:
        head = f"{request_line} {self._prefix}"
        head += "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        if body:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        writer.write(head.encode() + b"\r\n" + body)
        await writer.drain()
        answer = await reader.readuntil(b"\r\n\r\n")
        status = int(answer[9:12])
        at = answer.lower().find(b"\r\ncontent-length:")
        if at < 0:
            raise ConnectionError(f"an answer without Content-Length: {answer[:200]!r}")
        length = int(answer[at + 17 : answer.find(b"\r\n", at + 2)])
        return status, await reader.readexactly(length)

    async def close(self) -> None:
        for _, writer in self._idle:
            writer.close()
        self._idle = []


@dataclass(frozen=True)
class Load:
    latencies_ms: list[float]  # from the scheduled send time, successful requests
    scheduled: int  # measured requests
    ok: int
    why: dict[str, int]  # each error's kind: ``HTTP <status>`` or the exception's name
    achieved_rate: float
    sent: int  # every request, warm-up included
    wall: float  # seconds from the first send to the last answer, warm-up included

    @property
    def errors(self) -> int:
        return sum(self.why.values())


async def open_loop(  # noqa: PLR0917
    base_url: str, token: str, path: str, rate: float, seconds: float, warmup: float
) -> Load:
    """Requests scheduled every 1/rate s, whether or not earlier ones were answered (up to
    ``CONNECTIONS`` in flight, the rest wait for a connection); latency from the schedule."""
    client = RawHttp(base_url, CONNECTIONS, token)
    latencies: list[float] = []
    finished: list[float] = []
    why: Counter[str] = Counter()

    async def one(scheduled: float, counted: bool) -> None:
        try:
            status, _ = await client.request("GET", path)
            error = None if status == 200 else f"HTTP {status}"
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as e:
            error = type(e).__name__
        done = time.perf_counter()
        if not counted:
            return
        if error is None:
            latencies.append((done - scheduled) * 1000)
            finished.append(done)
        else:
            why[error] += 1

    total = int(rate * (warmup + seconds))
    skip = int(rate * warmup)
    tasks = []
    begin = time.perf_counter()
    try:
        for i in range(total):
            scheduled = begin + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(scheduled, i >= skip)))
        await asyncio.gather(*tasks)
    finally:
        await client.close()
    wall = time.perf_counter() - begin
    measured_from = begin + skip / rate
    span = (max(finished) - measured_from) if finished else float("nan")
    achieved = len(latencies) / span
    return Load(latencies, total - skip, len(latencies), dict(why), achieved, total, wall)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the API child process -----------------------------------------------------------------


def serve_api(url: str, stream: str, key: str, views: str, nodelay: bool = False) -> int:
    """Child mode: ``koers serve``'s composition over ``stream``; prints its port, serves
    until SIGTERM/SIGINT. ``nodelay``: a what-if, TCP_NODELAY on the listening socket
    (accepted connections inherit it on Linux), which the shipped ``ApiServer`` lacks."""
    from ledger.api import create_api
    from ledger.api._server import ApiServer

    env = {
        "NATS_URL": url,
        "NATS_STREAM": stream,
        "NATS_CREATE_STREAM": "yes",
        "KOERS_DATA_DIR": str(Path(views).parent),
        "KOERS_SIGNING_KEY": key,  # the parent's: its writes and the children's all hold
    }
    koers = Koers(env=env)
    runner = None
    try:
        runner = ViewRunner(env, views, app=koers).start()
        runner.wait_for(koers.recorder.max_notification_id(), timeout=120)
        api = ApiServer(create_api(koers, runner), "127.0.0.1", 0)
        if nodelay:
            api.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def stop(signum: int, frame: object) -> None:
            api.stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        print(f"READY {api.port} {os.getpid()}", flush=True)
        api.run()
    finally:
        if runner is not None:
            runner.close()
        koers.close()
    return 0


@contextmanager
def api_child(
    url: str, stream: str, key: Path, views: Path, *, nodelay: bool = False
) -> Iterator[tuple[str, int]]:
    """The API in a child process, signing with ``key``, its data directory the folder of its
    views ``views``; stopped (SIGTERM, then SIGKILL) by its PID."""
    what_if = ["--api-nodelay"] if nodelay else []
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",  # as a module of the repository, so that ``benchmarks`` imports
            "benchmarks.views_bench",
            "--serve-api",
            url,
            stream,
            str(key),
            str(views),
            *what_if,
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        line = read_line(child.stdout, 120)
        if not line.startswith("READY "):
            raise RuntimeError(f"the API child did not start: {line!r}")
        port = int(line.split()[1])
        yield f"http://127.0.0.1:{port}", child.pid
    finally:
        if child.poll() is None:
            os.kill(child.pid, signal.SIGTERM)
            try:
                child.wait(20)
            except subprocess.TimeoutExpired:
                os.kill(child.pid, signal.SIGKILL)
                child.wait(5)
        if child.stdout is not None:
            child.stdout.close()


def read_line(stream: IO[str] | None, timeout: float) -> str:
    if stream is None:
        return ""
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return got[0].strip() if got else ""


# --- one run -------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def rotated(items: Sequence[Any], rep: int) -> list[Any]:
    k = rep % len(items)
    return list(items[k:]) + list(items[:k])


@dataclass
class Context:
    """What every repetition uses."""

    replay: ReplaySetup
    api_app: Koers  # in process, on the API stream
    api_runner: ViewRunner  # its views, following
    servers: dict[str, str]  # API child -> base URL
    pids: dict[str, int]  # API child -> its PID
    sizes: Sizes
    reps: int
    token: str  # ``bench``'s API token: the API takes who asks from it, never from a header
    reader: str  # the API token of the demo's admin, who leads the team the load reads


def run_replay_only(url: str, tmp: Path, sizes: Sizes, reps: int) -> Results:
    """Part 1 alone, without the library's runner (slow; its ratio is in the full run)."""
    results = Results()
    env = {
        "NATS_URL": url,
        "NATS_STREAM": LOG_STREAM,
        "NATS_CREATE_STREAM": "yes",
        "KOERS_DATA_DIR": str(tmp),
    }
    events = [e for day in quarter_days(sizes.copies) for e in demo_events(day, day.toordinal())]
    last = write_log(env, events)
    results.checks["log_events"] = last
    app = Koers(env=env)
    runner = ViewRunner(env, tmp / "rebuild.sqlite3", app=app)
    try:
        setup = ReplaySetup(env, url, app, runner, tmp, last, f"{LOG_STREAM.lower()}.>")
        for rep in range(reps):
            replay_rows(results, setup, rep, reps, skip=("library",))
    finally:
        runner.close()
        app.close()
    return results


def replay_rows(
    results: Results, setup: ReplaySetup, rep: int, reps: int, skip: Sequence[str] = ()
) -> None:
    """Every replay variant once, in an order rotated per repetition."""
    for variant in rotated([v for v in REPLAY_VARIANTS if v not in skip], rep):
        timed = REPLAY_VARIANTS[variant](setup)
        if timed.events != setup.last:
            raise RuntimeError(f"{variant} covered {timed.events} events, not {setup.last}")
        results.add(f"replay_{variant}", timed.rate)
        print(
            f"rep {rep + 1}/{reps} replay {variant:<18} {timed.rate:9,.0f} events/s "
            f"({timed.seconds:.2f} s)",
            flush=True,
        )


def api_token(app: Koers, handle: str) -> str:
    """An API token of ``handle``, made by the demo's admin (the demo's directory is on the
    API stream)."""
    secret = app.create_token(actor=ADMIN, handle=handle, label="views-bench").secret
    assert secret is not None
    return secret


def run(url: str, tmp: Path, sizes: Sizes, reps: int) -> Results:
    results = Results()
    started = time.perf_counter()
    events = [e for day in quarter_days(sizes.copies) for e in demo_events(day, day.toordinal())]
    built = time.perf_counter()
    log_env = {
        "NATS_URL": url,
        "NATS_STREAM": LOG_STREAM,
        "NATS_CREATE_STREAM": "yes",
        "KOERS_DATA_DIR": str(tmp),
    }
    last = write_log(log_env, events)
    api_env = {
        "NATS_URL": url,
        "NATS_STREAM": API_STREAM,
        "NATS_CREATE_STREAM": "yes",
        "KOERS_DATA_DIR": str(tmp / "api"),
    }
    write_log(api_env, demo_events(DEMO_TODAY, None))
    print(
        f"replay log: {last:,} events ({sizes.copies} demo quarters) built in "
        f"{built - started:.1f} s, written in {time.perf_counter() - built:.1f} s",
        flush=True,
    )
    results.checks["log_events"] = last
    app = Koers(env=log_env)
    rebuild_runner = ViewRunner(log_env, tmp / "rebuild.sqlite3", app=app)
    api_app = Koers(env=api_env)
    api_runner = ViewRunner(api_env, tmp / "api-inprocess.sqlite3", app=api_app).start()
    # the API children sign with the same key as this process
    key = AuditSettings.from_env(api_env).key_path(Path(api_env["KOERS_DATA_DIR"]))
    try:
        replay = ReplaySetup(
            log_env, url, app, rebuild_runner, tmp, last, f"{LOG_STREAM.lower()}.>"
        )
        with (
            api_child(url, API_STREAM, key, tmp / "shipped" / "views.sqlite3") as (shipped, pid1),
            api_child(url, API_STREAM, key, tmp / "nodelay" / "views.sqlite3", nodelay=True) as (
                nodelay,
                pid2,
            ),
        ):
            print(f"API children: shipped pid {pid1} {shipped}, nodelay pid {pid2} {nodelay}")
            api_runner.wait_for(api_app.recorder.max_notification_id(), timeout=60)
            servers = {"shipped": shipped, "nodelay": nodelay}
            pids = {"shipped": pid1, "nodelay": pid2}
            # bench: the person the benchmark writes as
            api_app.add_person(actor=ADMIN, handle="bench", name="Bench", email="bench@example.org")
            tokens = api_token(api_app, "bench"), api_token(api_app, ADMIN)
            context = Context(replay, api_app, api_runner, servers, pids, sizes, reps, *tokens)
            for rep in range(reps):
                one_rep(results, context, rep)
    finally:
        api_runner.close()
        api_app.close()
        rebuild_runner.close()
        app.close()
    return results


def one_rep(results: Results, c: Context, rep: int) -> None:
    step = f"rep {rep + 1}/{c.reps}"
    replay_rows(results, c.replay, rep, c.reps)
    if rep == 0:
        results.checks["library_view_equals_rebuilt_view"] = same_tables(c.replay)
    tag = f"r{rep}"
    paths: dict[str, Callable[[], Samples]] = {
        "ryw_app": lambda: ryw_app(c.api_app, c.api_runner, tag, c.sizes),
        **{
            f"ryw_http_{server}": partial(
                asyncio.run,
                ryw_http(
                    c.api_app,
                    url,
                    f"{server}-{tag}",
                    c.sizes.http_samples,
                    c.sizes.block,
                    token=c.token,
                ),
            )
            for server, url in c.servers.items()
        },
    }
    for name in rotated(list(paths), rep):
        samples = paths[name]()
        results.add_samples(name, samples)
        print(
            f"{step} {name:<17} p50 {percentile(samples['total'], 50):7.2f} ms  "
            f"p99 {percentile(samples['total'], 99):7.2f} ms",
            flush=True,
        )
    for server, endpoint in rotated(SEGMENTS, rep):
        s = c.sizes
        cpu_before, client_before = cpu_seconds(c.pids[server]), time.process_time()
        load = asyncio.run(
            open_loop(
                c.servers[server],
                c.reader,
                ENDPOINTS[endpoint],
                s.rate,
                s.load_seconds,
                s.warmup_seconds,
            )
        )
        server_cpu = cpu_seconds(c.pids[server]) - cpu_before
        client_cpu = time.process_time() - client_before
        name = f"load_{server}_{endpoint}"
        results.add_samples(name, {"latency": load.latencies_ms})
        results.add(f"{name}_rate", load.achieved_rate)
        results.add(f"{name}_errors", load.errors)
        for kind, count in load.why.items():  # in the JSON's checks: which errors they were
            results.checks[f"{name}_errors_{kind}_rep{rep}"] = count
        # CPU per request over warm-up and measurement alike (both at the same rate)
        results.add(f"{name}_server_cpu_ms", server_cpu / load.sent * 1000)
        results.add(f"{name}_client_cpu_ms", client_cpu / load.sent * 1000)
        results.add(f"{name}_server_busy", server_cpu / load.wall)
        print(
            f"{step} load {server:<7} {endpoint:<6} p50 {percentile(load.latencies_ms, 50):7.2f}"
            f" ms  p99 {percentile(load.latencies_ms, 99):7.2f} ms  "
            f"{load.achieved_rate:5.0f} req/s  errors {load.errors} {load.why or ''}",
            flush=True,
        )


# --- reporting -----------------------------------------------------------------------------


def over(results: Results, top: str, bottom: str) -> float | None:
    """How many times ``top``'s figure is ``bottom``'s (paired by repetition)."""
    return paired_ratio(results.values.get(top), results.values.get(bottom))


def rate_cell(results: Results, metric: str) -> str:
    return spread(results.values.get(metric), thousands_from=10_000)


def ms(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:,.0f}"


def latency_cell(results: Results, name: str, q: float) -> str:
    """The percentile over every sample of every repetition (per-repetition min-max)."""
    pooled = results.samples.get(name)
    if not pooled:
        return "-"
    per_rep = results.values[f"{name}_p{q:g}_ms"]
    return f"{ms(percentile(pooled, q))} ({ms(min(per_rep))}-{ms(max(per_rep))})"


REPLAY_ROWS = (
    ("rebuild", "`ViewRunner.rebuild`: fresh SQLite file, pages of 1000, swap in"),
    ("rebuild_serial", "... as before: the next page read only after this one is applied"),
    ("live", "`ViewRunner.start` catching up from 0 (ordered consumer, batches <= 500)"),
    ("as_of", "`views_as_of(app)`: in-memory SQLite, pages of 1000"),
    ("read_decode", "read path only: `select_notifications` + `to_domain_event`"),
    ("read_decode_direct", "... as before: every page a batch direct get"),
    ("read", "read path only: `select_notifications` (no decoding)"),
    ("library", "baseline: library `ProjectionRunner`, same projection and tables"),
    ("raw_bulk", "ceiling: `BulkReader` batch direct gets of 1000, no processing"),
    ("raw_ordered", "ceiling: nats-py ordered consumer on `<prefix>.>`, counting"),
)
RYW_ROWS = (
    ("ryw_app", "total", "in process: check-in, `wait_for`, `okr_progress` sees it"),
    ("ryw_app", "command", "... the check-in command (`Koers.check_in`)"),
    ("ryw_app", "view", "... after it returned: `wait_for` + `okr_progress`"),
    ("ryw_app", "wait", "...... `ViewRunner.wait_for(receipt.position)`"),
    ("ryw_app", "query", "...... `okr_progress(views, team, period)`"),
    ("ryw_http_shipped", "total", "HTTP: POST check-in, GET okr-progress?min_position= sees it"),
    ("ryw_http_shipped", "post", "... `POST /key-results/{id}/check-ins`"),
    ("ryw_http_shipped", "get", "... `GET /teams/{team}/okr-progress?min_position=`"),
    ("ryw_http_nodelay", "total", "HTTP, what-if TCP_NODELAY: the same"),
    ("ryw_http_nodelay", "post", "... `POST /key-results/{id}/check-ins`"),
    ("ryw_http_nodelay", "get", "... `GET /teams/{team}/okr-progress?min_position=`"),
)
LOAD_ROWS = (
    ("okr", f"`GET /teams/{API_TEAM}/okr-progress?period={DEMO_PERIOD}`"),
    ("health", "baseline: `GET /health` (framework + one store round trip)"),
    ("floor", "floor: `GET /problems/internal` (framework only)"),
)
SERVERS = {"shipped": "as shipped", "nodelay": "what-if: TCP_NODELAY on the socket"}


def tables(results: Results, sizes: Sizes, reps: int) -> str:
    lines = [
        f"Replay into the views, {results.checks.get('log_events', 0):,} events [events/s]:",
        "",
        "| path | events/s | ÷ library runner | ÷ raw bulk reader |",
        "|---|---:|---:|---:|",
    ]
    for key, label in REPLAY_ROWS:
        metric = f"replay_{key}"
        lines.append(
            f"| {label} | {rate_cell(results, metric)} "
            f"| {ratio_text(over(results, metric, 'replay_library'))} "
            f"| {ratio_text(over(results, metric, 'replay_raw_bulk'))} |"
        )
    if not results.samples:  # --replay-only
        return "\n".join(lines)
    lines += [
        "",
        f"Read your writes [ms] ({reps} reps):",
        "",
        "| step | samples | p50 | p99 |",
        "|---|---:|---:|---:|",
    ]
    for name, part, label in RYW_ROWS:
        metric = f"{name}_{part}"
        count = len(results.samples.get(metric, []))
        lines.append(
            f"| {label} | {count} | {latency_cell(results, metric, 50)} "
            f"| {latency_cell(results, metric, 99)} |"
        )
    lines += [
        "",
        f"API reads, open loop at {sizes.rate:.0f} requests/s, {reps} x {sizes.load_seconds:g} s "
        f"per row [ms from the scheduled send time]:",
        "",
        "| server | endpoint | p50 | p99 | achieved req/s | errors | p99 ÷ /health p99 "
        "| server CPU/request [ms] | server busy [% of a core] |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    labels = dict(LOAD_ROWS)
    for server, key in SEGMENTS:
        server_label, label = SERVERS[server], labels[key]
        name = f"load_{server}_{key}"
        errors = int(sum(results.values.get(f"{name}_errors", [0])))
        ratio = over(results, f"{name}_latency_p99_ms", f"load_{server}_health_latency_p99_ms")
        cpu = results.values.get(f"{name}_server_cpu_ms")
        busy = results.values.get(f"{name}_server_busy")
        lines.append(
            f"| {server_label} | {label} | {latency_cell(results, name + '_latency', 50)} "
            f"| {latency_cell(results, name + '_latency', 99)} "
            f"| {rate_cell(results, name + '_rate')} | {errors} | {ratio_text(ratio)} "
            f"| {f'{median(cpu):.2f}' if cpu else '-'} "
            f"| {f'{median(busy) * 100:.0f} %' if busy else '-'} |"
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class Target:
    name: str
    text: str
    figure: str
    met: bool

    def line(self) -> str:
        return f"- {self.name}: {self.figure}; target {self.text}: " + (
            "**met**" if self.met else "**missed**"
        )


def targets(results: Results, sizes: Sizes) -> list[Target]:
    out: list[Target] = []
    values, samples = results.values, results.samples
    for metric, before_metric, name, least, against in (
        ("replay_rebuild", "replay_rebuild_serial",
         "Replay into the SQLite views (`ViewRunner.rebuild`, issue 16)", 25_000,
         "the rebuild without prefetch"),
        ("replay_read_decode", "replay_read_decode_direct",
         "Notification paging, decoded (issue 16)", 60_000, "direct-get pages"),
    ):  # fmt: skip
        if metric not in values:
            continue
        rate, before = median(values[metric]), over(results, metric, before_metric)
        figure = f"{rate:,.0f} events/s" + (f", {before:.2f}x {against}" if before else "")
        out.append(Target(name, f">= {least:,} events/s", figure, rate >= least))
    if "replay_rebuild" in values and "replay_library" in values:
        ratio = over(results, "replay_rebuild", "replay_library") or 0.0
        base = median(values["replay_library"])
        out.append(
            Target(
                "Replay vs the library's `ProjectionRunner`",
                ">= 5x",
                f"{ratio:.2f}x ({base:,.0f} events/s)",
                ratio >= 5,
            )
        )
    for name, label in (
        ("ryw_app_total", "in process"),
        ("ryw_http_shipped_total", "over HTTP (same bar, not a stated target)"),
    ):
        if name in samples:
            p99 = percentile(samples[name], 99)
            out.append(
                Target(f"Read your writes {label}, p99", "<= 25 ms", f"{p99:.1f} ms", p99 <= 25)
            )
    for server, label in (("shipped", ""), ("nodelay", " (what-if TCP_NODELAY, not shipped)")):
        name = f"load_{server}_okr"
        if f"{name}_latency" in samples:
            p99, rate = percentile(samples[f"{name}_latency"], 99), median(values[f"{name}_rate"])
            out.append(
                Target(
                    f"OKR view p99 at {sizes.rate:.0f} requests/s{label}",
                    "<= 20 ms",
                    f"{ms(p99)} ms at {rate:.0f} req/s achieved",
                    p99 <= 20 and rate >= 0.95 * sizes.rate,
                )
            )
    return out


# --- main ----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = arguments(__doc__, default_reps=3)
    parser.add_argument(
        "--serve-api",
        nargs=4,
        metavar=("URL", "STREAM", "SIGNING_KEY", "VIEWS"),
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--api-nodelay", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--replay-only", action="store_true", help="part 1 only, without the library's runner"
    )
    args = parser.options(argv)
    if args.serve_api:
        url, stream, key, views = args.serve_api
        return serve_api(url, stream, key, views, nodelay=args.api_nodelay)
    sizes = QUICK if args.quick else Sizes()
    results, how = on_a_fresh_server(
        "views", ["ledger", "projections"], args, sizes,
        lambda url, tmp: (run_replay_only if args.replay_only else run)(
            url, tmp, sizes, args.reps
        ),
    )  # fmt: skip
    report(results, how)
    return 0


def report(results: Results, how: Run) -> None:
    found = targets(results, how.sizes)
    print()
    print(tables(results, how.sizes, how.reps))
    print()
    results.print_checks()
    for target in found:
        print(target.line())
    write_document(OUT_FILE, how, **results.figures(), targets=[asdict(t) for t in found])


if __name__ == "__main__":
    sys.exit(main())

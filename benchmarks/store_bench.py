"""Event-store benchmark (issue 2): ``ledger.nats`` against SQLite, POPO and raw nats-py.

Run from the repository root::

    .venv/bin/python -m benchmarks.store_bench            # the reported run (5 reps)
    .venv/bin/python -m benchmarks.store_bench --quick    # smoke test: tiny sizes, 1 rep

Backends, all in one process and one run:

* ``nats``   the ``ledger.nats`` persistence module on an embedded nats-server (fresh temp
             store, ``sync_interval: always``), a fresh stream per repetition;
* ``sqlite`` the library's ``eventsourcing.sqlite`` module on a temp file, its defaults;
* ``popo``   the library's in-memory ``eventsourcing.popo`` module;
* ``raw``    hand-written nats-py ADR-50 atomic batches on the same server (its own stream,
             same audited stream config, same payload bytes and headers as ``ledger.nats``
             writes, optimistic-concurrency headers included): the ceiling.

Workloads (sizes in :class:`Sizes`): W1 one writer, 1 event per save; W2 one writer,
10 events per save; W3 16 writer threads, 1 event per save, each on its own aggregates;
W4 ``app.repository.get`` of the 10-event aggregates of W2; W5 paging all notifications
(``select_notifications``, pages of 500) and decoding each with ``app.mapper.to_domain_event``.

Every repetition runs every backend (order rotated per repetition) on a fresh store, so
the figures of one repetition come from the same minutes. Reported: per-metric medians,
min-max, and ratios as medians of the per-repetition ratios. Output: a markdown table on
stdout and ``benchmarks/out/store_bench.json``. Nothing is asserted about timings.
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import nats
import orjson
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import StoredEvent
from nats.aio.client import Client
from nats.aio.msg import Msg

from benchmarks._figures import median, paired_ratio, ratio_text, spread
from benchmarks._harness import (
    Run,
    arguments,
    on_a_fresh_server,
    out_file,
    store_env,
    write_document,
)
from ledger.nats import NATSApplicationRecorder
from ledger.nats._stream import audited_config

OUT_FILE = out_file(__file__)
BACKENDS = ("nats", "sqlite", "popo", "raw")
RAW_IN_FLIGHT = 4  # batches in flight in the raw group commit (ledger.nats uses 4 too)
TIMEOUT = 10.0


@dataclass(frozen=True)
class Sizes:
    single_saves: int = 1000  # W1: saves of 1 event, aggregates of 10 events
    batch_aggregates: int = 400  # W2: saves of 10 events (a new aggregate each); W4 reads them
    threads: int = 16  # W3
    saves_per_thread: int = 160  # W3: saves of 1 event per thread
    aggregates_per_thread: int = 4  # W3: aggregates per thread, saved round-robin
    naive_saves_per_thread: int = 32  # W3' (raw only, slow: each save its own batch)
    page_size: int = 500  # W5
    read_passes: int = 2  # W5: passes over the whole notification log


QUICK = Sizes(
    single_saves=100,
    batch_aggregates=20,
    saves_per_thread=20,
    naive_saves_per_thread=8,
    read_passes=1,
)


# --- the domain: an account whose events carry str, UUID, Decimal and datetime ---------------

MEMO = "Settlement of invoice batch, counterparty confirmed by e-mail; booked by the store bench"
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


class Account(Aggregate):
    @event("Opened")
    def __init__(self, owner: str, currency: str, opened_at: datetime, description: str) -> None:
        self.owner = owner
        self.currency = currency
        self.balance = Decimal("0.00")
        self.postings = 0

    @event("Posted")
    def post(
        self, amount: Decimal, counterparty: UUID, booked_at: datetime, memo: str, reference: str
    ) -> None:
        self.balance += amount
        self.postings += 1


class Bench(Application[UUID]):
    name = "Bench"


def open_account(i: int) -> Account:
    return Account(f"team-{i:05d}", "EUR", EPOCH + timedelta(seconds=i), f"{MEMO} (account {i})")


def post(account: Account, i: int) -> None:
    account.post(
        Decimal(f"{i % 997}.{i % 100:02d}"),
        uuid.uuid4(),
        EPOCH + timedelta(minutes=i),
        f"{MEMO} #{i}",
        f"INV-{i:08d}",
    )


def build_account(i: int, events: int) -> Account:
    """A new account with ``events`` pending events (1 Opened + Posted ones)."""
    account = open_account(i)
    for j in range(events - 1):
        post(account, j)
    return account


def make_app(env: dict[str, str]) -> Bench:
    return Bench(env=env)


# --- application workloads (the same code for nats, sqlite and popo) -------------------------


@dataclass(frozen=True)
class Timed:
    seconds: float
    events: int
    aggregates: int = 0

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds

    @property
    def aggregates_per_s(self) -> float:
        return self.aggregates / self.seconds


def warm_up(app: Bench) -> None:
    account = open_account(-1)
    app.save(account)
    for i in range(5):
        post(account, i)
        app.save(account)
    app.repository.get(account.id)
    app.recorder.select_notifications(None, 10)


def w1_single(app: Bench, sizes: Sizes) -> Timed:
    """One writer, one event per save, aggregates of 10 events."""
    start = time.perf_counter()
    for a in range(sizes.single_saves // 10):
        account = open_account(a)
        app.save(account)
        for i in range(9):
            post(account, i)
            app.save(account)
    return Timed(time.perf_counter() - start, sizes.single_saves // 10 * 10)


def w2_batch(app: Bench, sizes: Sizes) -> tuple[Timed, list[UUID]]:
    """One writer, ten events per save (a new aggregate each)."""
    ids: list[UUID] = []
    start = time.perf_counter()
    for a in range(sizes.batch_aggregates):
        account = build_account(a, 10)
        app.save(account)
        ids.append(account.id)
    return Timed(time.perf_counter() - start, len(ids) * 10, len(ids)), ids


def thread_saves(app: Bench, sizes: Sizes, thread: int) -> None:
    """One writer thread: round-robin over its own aggregates, one event per save."""
    accounts: list[Account] = []
    for i in range(sizes.saves_per_thread):
        k = i % sizes.aggregates_per_thread
        if i < sizes.aggregates_per_thread:
            accounts.append(open_account(thread * 1000 + k))
        else:
            post(accounts[k], i)
        app.save(accounts[k])


def w3_concurrent(app: Bench, sizes: Sizes) -> Timed:
    """``sizes.threads`` writer threads released together; timed until the last one ends."""
    barrier = threading.Barrier(sizes.threads + 1)
    errors: list[BaseException] = []

    def run(thread: int) -> None:
        barrier.wait()
        try:
            thread_saves(app, sizes, thread)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=run, args=(t,)) for t in range(sizes.threads)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return Timed(elapsed, sizes.threads * sizes.saves_per_thread)


def w4_read(app: Bench, ids: Sequence[UUID]) -> Timed:
    start = time.perf_counter()
    events = 0
    for aggregate_id in ids:
        account: Account = app.repository.get(aggregate_id)
        events += account.version
    return Timed(time.perf_counter() - start, events, len(ids))


def w5_notifications(app: Bench, sizes: Sizes) -> Timed:
    """Page the whole notification log and decode every notification, ``read_passes`` times."""
    decoded = 0
    start = time.perf_counter()
    for _ in range(sizes.read_passes):
        last: int | None = None
        while True:
            page = app.recorder.select_notifications(
                last, sizes.page_size, inclusive_of_start=last is None
            )
            for notification in page:
                app.mapper.to_domain_event(notification)
            decoded += len(page)
            if len(page) < sizes.page_size:
                break
            last = page[-1].id
    return Timed(time.perf_counter() - start, decoded)


def w5_both_ways(app: Bench, sizes: Sizes, rep: int) -> tuple[Timed, float]:
    """W5 on ``ledger.nats`` as shipped (long pages through the paging consumer) and with
    every page a batch direct get (the reader before it), in an order alternating per
    repetition: (as shipped, the direct-get rate)."""
    assert isinstance(app.recorder, NATSApplicationRecorder)
    access = app.recorder.access
    shipped = access.consumer_pages_from
    rates: dict[int | None, Timed] = {}
    for pages_from in [shipped, None][:: 1 if rep % 2 == 0 else -1]:
        access.consumer_pages_from = pages_from
        rates[pages_from] = w5_notifications(app, sizes)
    access.consumer_pages_from = shipped
    return rates[shipped], rates[None].events_per_s


def run_app(env: dict[str, str], sizes: Sizes, rep: int = 0) -> dict[str, float]:
    """All workloads on a fresh application; the rates of this repetition."""
    app = make_app(env)
    extra: dict[str, float] = {}
    try:
        warm_up(app)
        w1 = w1_single(app, sizes)
        w2, ids = w2_batch(app, sizes)
        w3 = w3_concurrent(app, sizes)
        w4 = w4_read(app, ids)
        if isinstance(app.recorder, NATSApplicationRecorder):
            w5, extra["w5_direct_events_per_s"] = w5_both_ways(app, sizes, rep)
        else:
            w5 = w5_notifications(app, sizes)
    finally:
        app.close()
    return extra | {
        "w1_events_per_s": w1.events_per_s,
        "w2_events_per_s": w2.events_per_s,
        "w3_events_per_s": w3.events_per_s,
        "w4_aggregates_per_s": w4.aggregates_per_s,
        "w4_events_per_s": w4.events_per_s,
        "w5_events_per_s": w5.events_per_s,
    }


# --- the raw nats-py ceiling ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RawOut:
    """One message as ``ledger.nats`` would send it (subject, payload, headers)."""

    subject: str
    data: bytes
    headers: dict[str, str]
    aggregate: str  # the aggregate's subject filter, for the optimistic-concurrency header


def stored_events(mapper_app: Bench, account: Account) -> list[StoredEvent]:
    return [mapper_app.mapper.to_stored_event(e) for e in account.collect_events()]


def raw_message(prefix: str, stored: StoredEvent) -> RawOut:
    """Same payload bytes and the same header set as a ``ledger.nats`` write."""
    kind, type_ = (t.lower() for t in stored.topic.rpartition(":")[2].split(".")[-2:])
    token = str(stored.originator_id)
    headers = {
        "Nats-Msg-Id": f"{uuid.uuid4().hex}-0",
        "Koers-Originator-Id": token,
        "Koers-Version": str(stored.originator_version),
        "Koers-Topic": stored.topic,
        "Koers-Type": f"{kind}.{type_}",
        "Koers-Payload-Sha256": hashlib.sha256(stored.state).hexdigest(),
    }
    return RawOut(
        f"{prefix}.{kind}.{token}.{type_}", stored.state, headers, f"{prefix}.*.{token}.*"
    )


@dataclass(frozen=True)
class RawPlan:
    """Pre-built messages (built outside the timings) mirroring the application workloads."""

    warm: RawOut  # committed before the timings
    single: list[RawOut]  # W1: one per batch
    single_plain: list[RawOut]  # W1 variant: plain publishes, no batch
    batches: list[list[RawOut]]  # W2: ten per batch; W4 reads these aggregates
    per_writer: list[list[RawOut]]  # W3 (coalesced), one list per writer
    per_writer_naive: list[list[RawOut]]  # W3 variant: every writer its own 1-message batches

    @property
    def total(self) -> int:
        lists = [
            self.single,
            self.single_plain,
            *self.batches,
            *self.per_writer,
            *self.per_writer_naive,
        ]
        return 1 + sum(len(m) for m in lists)


def plan_raw(prefix: str, sizes: Sizes) -> RawPlan:
    mapper_app = make_app({"PERSISTENCE_MODULE": "eventsourcing.popo"})

    def messages(account: Account) -> list[RawOut]:
        return [raw_message(prefix, s) for s in stored_events(mapper_app, account)]

    def singles() -> list[RawOut]:
        accounts = [build_account(a, 10) for a in range(sizes.single_saves // 10)]
        return [m for account in accounts for m in messages(account)]

    batches = [messages(build_account(a, 10)) for a in range(sizes.batch_aggregates)]

    def writer(thread: int, saves: int) -> list[RawOut]:
        k = sizes.aggregates_per_thread
        per_account = saves // k
        streams = [messages(build_account(thread * 1000 + j, per_account)) for j in range(k)]
        return [streams[i % k][i // k] for i in range(per_account * k)]  # round-robin

    per_writer = [writer(t, sizes.saves_per_thread) for t in range(sizes.threads)]
    naive = [writer(t + sizes.threads, sizes.naive_saves_per_thread) for t in range(sizes.threads)]
    warm = messages(open_account(-1))[0]
    mapper_app.close()
    return RawPlan(warm, singles(), singles(), batches, per_writer, naive)


class BatchWriter:
    """ADR-50 atomic batches with per-aggregate expected-subject-sequence checks."""

    def __init__(self, nc: Client) -> None:
        self.nc = nc
        self.last_seq: dict[str, int] = {}  # aggregate filter -> stream seq of its last event

    async def commit(self, messages: Sequence[RawOut]) -> int:
        batch_id = uuid.uuid4().hex
        checked: set[str] = set()
        count = len(messages)
        for number, message in enumerate(messages, start=1):
            headers = dict(message.headers)
            headers["Nats-Batch-Id"] = batch_id
            headers["Nats-Batch-Sequence"] = str(number)
            if message.aggregate not in checked:
                checked.add(message.aggregate)
                expected = self.last_seq.get(message.aggregate, 0)
                headers["Nats-Expected-Last-Subject-Sequence"] = str(expected)
                headers["Nats-Expected-Last-Subject-Sequence-Subject"] = message.aggregate
            if number < count:
                await self.nc.publish(message.subject, message.data, headers=headers)
                continue
            headers["Nats-Batch-Commit"] = "1"
            reply = await self.nc.request(message.subject, message.data, TIMEOUT, headers=headers)
            return self._acknowledge(messages, reply)
        raise ValueError("empty batch")

    async def publish(self, message: RawOut) -> int:
        """One message as a plain JetStream publish (no batch), with the same OCC header."""
        headers = dict(message.headers)
        headers["Nats-Expected-Last-Subject-Sequence"] = str(
            self.last_seq.get(message.aggregate, 0)
        )
        headers["Nats-Expected-Last-Subject-Sequence-Subject"] = message.aggregate
        reply = await self.nc.request(message.subject, message.data, TIMEOUT, headers=headers)
        return self._acknowledge([message], reply)

    def _acknowledge(self, messages: Sequence[RawOut], reply: Msg) -> int:
        answer = orjson.loads(reply.data)
        if "error" in answer:
            raise RuntimeError(f"raw batch refused: {answer['error']}")
        last: int = answer["seq"]
        first = last - len(messages) + 1
        for offset, message in enumerate(messages):
            self.last_seq[message.aggregate] = first + offset
        return last


async def raw_sequential(writer: BatchWriter, batches: Sequence[Sequence[RawOut]]) -> Timed:
    start = time.perf_counter()
    for batch in batches:
        await writer.commit(batch)
    return Timed(time.perf_counter() - start, sum(len(b) for b in batches))


async def raw_plain_sequential(writer: BatchWriter, messages: Sequence[RawOut]) -> Timed:
    start = time.perf_counter()
    for message in messages:
        await writer.publish(message)
    return Timed(time.perf_counter() - start, len(messages))


async def raw_naive_concurrent(writer: BatchWriter, per_writer: list[list[RawOut]]) -> Timed:
    """Every writer task commits its own 1-message batches: no coalescing."""

    async def run(messages: list[RawOut]) -> None:
        for message in messages:
            await writer.commit([message])

    start = time.perf_counter()
    await asyncio.gather(*(run(m) for m in per_writer))
    return Timed(time.perf_counter() - start, sum(len(m) for m in per_writer))


async def raw_group_commit(writer: BatchWriter, per_writer: list[list[RawOut]]) -> Timed:
    """Writer tasks queue 1-message saves; one committer coalesces whatever is queued into
    one atomic batch, up to RAW_IN_FLIGHT batches in flight (the ledger's algorithm, raw)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[RawOut, asyncio.Future[None]]] = asyncio.Queue()
    slots = asyncio.Semaphore(RAW_IN_FLIGHT)
    running: set[asyncio.Task[None]] = set()

    async def commit(group: list[tuple[RawOut, asyncio.Future[None]]]) -> None:
        try:
            await writer.commit([m for m, _ in group])
        except Exception as e:
            for _, future in group:
                future.set_exception(e)
        else:
            for _, future in group:
                future.set_result(None)
        finally:
            slots.release()

    async def committer() -> None:
        while True:
            group = [await queue.get()]
            while not queue.empty() and len(group) < 1000:
                group.append(queue.get_nowait())
            await slots.acquire()
            task = asyncio.create_task(commit(group))
            running.add(task)
            task.add_done_callback(running.discard)

    async def save_all(messages: list[RawOut]) -> None:
        for message in messages:
            future: asyncio.Future[None] = loop.create_future()
            queue.put_nowait((message, future))
            await future

    committing = asyncio.create_task(committer())
    try:
        start = time.perf_counter()
        await asyncio.gather(*(save_all(m) for m in per_writer))
        elapsed = time.perf_counter() - start
    finally:
        committing.cancel()
    return Timed(elapsed, sum(len(m) for m in per_writer))


class DirectReader:
    """Batch direct gets (ADR-31) through one long-lived inbox subscription, one at a time."""

    def __init__(self, nc: Client, stream: str) -> None:
        self.nc = nc
        self.stream = stream
        self.inbox = nc.new_inbox()
        self.got: list[Msg] = []
        self.done: asyncio.Future[int] | None = None

    async def start(self) -> None:
        self.sub = await self.nc.subscribe(self.inbox, cb=self._on_message)

    async def _on_message(self, msg: Msg) -> None:
        status = (msg.headers or {}).get("Status")
        if status is None:
            self.got.append(msg)
        elif self.done is not None and not self.done.done():
            pending = (msg.headers or {}).get("Nats-Num-Pending", "0")
            self.done.set_result(int(pending) if status == "204" else 0)

    async def get(self, subject: str, start: int, batch: int) -> tuple[list[Msg], int]:
        self.got = []
        self.done = asyncio.get_running_loop().create_future()
        request = orjson.dumps({"seq": start, "batch": batch, "next_by_subj": subject})
        await self.nc.publish(f"$JS.API.DIRECT.GET.{self.stream}", request, reply=self.inbox)
        pending = await asyncio.wait_for(self.done, TIMEOUT)
        return self.got, pending


async def raw_read_aggregates(reader: DirectReader, batches: list[list[RawOut]]) -> Timed:
    start = time.perf_counter()
    events = 0
    for batch in batches:
        got, _ = await reader.get(batch[0].aggregate, 1, 1000)
        events += len(got)
    return Timed(time.perf_counter() - start, events, len(batches))


async def raw_page_direct(reader: DirectReader, subject: str, page: int, passes: int) -> Timed:
    read = 0
    start = time.perf_counter()
    for _ in range(passes):
        seq = 1
        while True:
            got, pending = await reader.get(subject, seq, page)
            read += len(got)
            if not got or pending == 0:
                break
            seq = int((got[-1].headers or {})["Nats-Sequence"]) + 1
    return Timed(time.perf_counter() - start, read)


async def raw_ordered_consumer(nc: Client, subject: str, total: int, passes: int) -> Timed:
    """An ordered push consumer with a callback that only counts (no decoding)."""
    js = nc.jetstream()
    read = 0
    start = time.perf_counter()
    for _ in range(passes):
        seen = 0
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def count(msg: Msg, done: asyncio.Future[None] = done) -> None:
            nonlocal seen
            seen += 1
            if seen == total and not done.done():
                done.set_result(None)

        sub = await js.subscribe(subject, cb=count, ordered_consumer=True)
        await asyncio.wait_for(done, 60)
        await sub.unsubscribe()
        read += seen
    return Timed(time.perf_counter() - start, read)


async def run_raw_async(url: str, sizes: Sizes, rep: int) -> dict[str, float]:
    stream = f"RAW{rep}{uuid.uuid4().hex[:8].upper()}"
    prefix = stream.lower()
    plan = plan_raw(prefix, sizes)
    nc = await nats.connect(url, name="koers-store-bench-raw")
    js = nc.jetstream(timeout=TIMEOUT)
    try:
        await js.add_stream(audited_config(stream, f"{prefix}.>", 1))
        writer = BatchWriter(nc)
        await writer.commit([plan.warm])
        w1 = await raw_sequential(writer, [[m] for m in plan.single])
        w1_plain = await raw_plain_sequential(writer, plan.single_plain)
        w2 = await raw_sequential(writer, plan.batches)
        w3 = await raw_group_commit(writer, plan.per_writer)
        w3_naive = await raw_naive_concurrent(writer, plan.per_writer_naive)
        reader = DirectReader(nc, stream)
        await reader.start()
        w4 = await raw_read_aggregates(reader, plan.batches)
        all_events = f"{prefix}.*.*.*"
        w5_get = await raw_page_direct(reader, all_events, sizes.page_size, sizes.read_passes)
        w5 = await raw_ordered_consumer(nc, all_events, plan.total, sizes.read_passes)
        w5_gt = await raw_ordered_consumer(nc, f"{prefix}.>", plan.total, sizes.read_passes)
        await js.delete_stream(stream)
    finally:
        await nc.close()
    return {
        "w1_events_per_s": w1.events_per_s,
        "w1_plain_events_per_s": w1_plain.events_per_s,
        "w2_events_per_s": w2.events_per_s,
        "w3_events_per_s": w3.events_per_s,
        "w3_naive_events_per_s": w3_naive.events_per_s,
        "w4_aggregates_per_s": w4.aggregates_per_s,
        "w4_events_per_s": w4.events_per_s,
        "w5_events_per_s": w5.events_per_s,
        "w5_direct_get_events_per_s": w5_get.events_per_s,
        "w5_ordered_gt_events_per_s": w5_gt.events_per_s,
    }


async def delete_stream(url: str, stream: str) -> None:
    nc = await nats.connect(url, name="koers-store-bench-cleanup")
    try:
        await nc.jetstream(timeout=TIMEOUT).delete_stream(stream)
    finally:
        await nc.close()


# --- one repetition ------------------------------------------------------------------------


def run_backend(backend: str, url: str, tmp: Path, sizes: Sizes, rep: int) -> dict[str, float]:
    if backend == "raw":
        return asyncio.run(run_raw_async(url, sizes, rep))
    if backend == "popo":
        return run_app({"PERSISTENCE_MODULE": "eventsourcing.popo"}, sizes)
    if backend == "sqlite":
        db = tmp / f"bench-{rep}.sqlite"
        env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(db)}
        return run_app(env, sizes)
    stream = f"BENCH{rep}{uuid.uuid4().hex[:8].upper()}"
    env = store_env(url, stream)
    try:
        return run_app(env, sizes, rep)
    finally:
        asyncio.run(delete_stream(url, stream))


Results = dict[str, dict[str, list[float]]]


def run_all(url: str, tmp: Path, sizes: Sizes, reps: int, backends: Sequence[str]) -> Results:
    results: Results = {b: {} for b in backends}
    for rep in range(reps):
        order = list(backends[rep % len(backends) :]) + list(backends[: rep % len(backends)])
        for backend in order:
            started = time.perf_counter()
            rates = run_backend(backend, url, tmp, sizes, rep)
            for metric, value in rates.items():
                results[backend].setdefault(metric, []).append(value)
            took = time.perf_counter() - started
            print(f"rep {rep + 1}/{reps} {backend:<6} {took:5.1f}s  {short(rates)}", flush=True)
    return results


def short(rates: dict[str, float]) -> str:
    return " ".join(
        f"{k.removesuffix('_events_per_s')}={v:,.0f}"
        for k, v in rates.items()
        if "aggregates" not in k
    )


# --- reporting -----------------------------------------------------------------------------

ROWS: list[tuple[str, str]] = [
    ("w1_events_per_s", "W1 1 writer x 1 event/save [events/s]"),
    ("w1_plain_events_per_s", "W1' raw only: plain JetStream publishes, no batch"),
    ("w2_events_per_s", "W2 1 writer x 10 events/save [events/s]"),
    ("w3_events_per_s", "W3 16 writer threads x 1 event/save [events/s]"),
    ("w3_naive_events_per_s", "W3' raw only: 16 publishers, each its own 1-msg batches"),
    ("w4_aggregates_per_s", "W4 read 10-event aggregates [aggregates/s]"),
    ("w4_events_per_s", "W4 read 10-event aggregates [events/s]"),
    ("w5_events_per_s", "W5 page (500) + decode all notifications [events/s]"),
    ("w5_direct_events_per_s", "W5 as before: every page a batch direct get [events/s]"),
    ("w5_direct_get_events_per_s", "W5' raw only: batch direct get pages of 500, no decoding"),
    ("w5_ordered_gt_events_per_s", "W5'' raw only: ordered consumer on `<prefix>.>`"),
]
NOTES = """\
Cells: median over repetitions (min-max). Ratio columns: median of the per-repetition ratios.
raw nats-py column: W1 = 1-message atomic batches one after another; W2 = 10-message atomic
batches; W3 = 16 asyncio writers whose 1-message saves one committer coalesces into atomic
batches (up to 4 in flight, the ledger's algorithm without its layers): the W3 ceiling;
W4 = one batch direct get per aggregate (filter `<prefix>.*.<id>.*`, one long-lived inbox);
W5 = ordered push consumer with a counting callback on `<prefix>.*.*.*` (no decoding).
Raw messages carry the ledger's payload bytes and headers, including the per-aggregate
expected-last-subject-sequence check (positions tracked from the acks, no read per save)."""
HEADINGS = {
    "nats": "ledger.nats",
    "sqlite": "SQLite",
    "popo": "POPO",
    "raw": "raw nats-py",
}


def nats_over(results: Results, metric: str, bottom: str) -> float | None:
    """How many times the NATS store's figure is ``bottom``'s (paired by repetition)."""
    return paired_ratio(results.get("nats", {}).get(metric), results.get(bottom, {}).get(metric))


def table(results: Results) -> str:
    backends = [b for b in BACKENDS if b in results]
    head = [HEADINGS[b] for b in backends] + ["nats ÷ SQLite", "nats ÷ raw"]
    lines = [
        "| workload | " + " | ".join(head) + " |",
        "|---|" + "---:|" * len(head),
    ]
    for metric, label in ROWS:
        if not any(metric in results[b] for b in backends):
            continue
        cells = [spread(results[b].get(metric)) for b in backends]
        cells.append(ratio_text(nats_over(results, metric, "sqlite")))
        cells.append(ratio_text(nats_over(results, metric, "raw")))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


@dataclass(frozen=True)
class Target:
    name: str
    figure: float
    baseline_name: str
    baseline: float
    ratio: float
    target: str
    met: bool

    def line(self) -> str:
        verdict = "**met**" if self.met else "**missed**"
        return (
            f"- {self.name}: {self.figure:,.0f} events/s; {self.baseline_name} "
            f"{self.baseline:,.0f} events/s; ratio {self.ratio:.2f}x; target {self.target}: "
            f"{verdict}"
        )


@dataclass(frozen=True)
class Goal:
    name: str
    metric: str
    baseline: str  # the backend the ratio is taken against
    baseline_name: str
    min_ratio: float | None  # a relative target, or...
    min_rate: float | None  # ...an absolute one
    text: str


GOALS = (
    Goal("W3 16 concurrent writers, ledger.nats", "w3_events_per_s", "sqlite", "SQLite module",
         3.0, None, ">= 3x SQLite"),
    Goal("W2 10 events per save, ledger.nats", "w2_events_per_s", "sqlite", "SQLite module",
         1.0, None, ">= 1x SQLite"),
    Goal("W5 notification paging + decoding, ledger.nats", "w5_events_per_s", "sqlite",
         "SQLite module", None, 60_000, ">= 60,000 events/s (issue 16)"),
    Goal("W3 16 concurrent writers, ledger.nats vs raw ceiling", "w3_events_per_s", "raw",
         "raw nats-py group commit", 0.40, None, ">= 0.40x raw"),
)  # fmt: skip


def targets(results: Results) -> list[Target]:
    out = []
    for goal in GOALS:
        ratio = nats_over(results, goal.metric, goal.baseline)
        if ratio is None:
            continue
        figure = median(results["nats"][goal.metric])
        met = (goal.min_ratio is None or ratio >= goal.min_ratio) and (
            goal.min_rate is None or figure >= goal.min_rate
        )
        baseline = median(results[goal.baseline][goal.metric])
        out.append(Target(goal.name, figure, goal.baseline_name, baseline, ratio, goal.text, met))
    return out


# --- main ----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = arguments(__doc__, default_reps=5)
    parser.add_argument(
        "--backends", default=",".join(BACKENDS), help=f"subset of {','.join(BACKENDS)}"
    )
    args = parser.options(argv)
    sizes = QUICK if args.quick else Sizes()
    backends = [b for b in args.backends.split(",") if b]
    unknown = set(backends) - set(BACKENDS)
    if unknown:
        parser.error(f"unknown backends {sorted(unknown)}")
    results, run = on_a_fresh_server(
        "store", ["ledger"], args, sizes,
        lambda url, tmp: run_all(url, tmp, sizes, args.reps, backends),
    )  # fmt: skip
    report(results, run)
    return 0


def report(results: Results, run: Run) -> None:
    found = targets(results)
    print()
    print(table(results))
    print()
    print(NOTES)
    print()
    for target in found:
        print(target.line())
    nats = results.get("nats", {})
    paging = paired_ratio(nats.get("w5_events_per_s"), nats.get("w5_direct_events_per_s"))
    if paging is not None:
        print(f"- W5 paging consumer ÷ direct-get pages (same repetitions): {paging:.2f}x")
    write_document(
        OUT_FILE,
        run,
        results=results,
        medians={b: {m: median(v) for m, v in r.items()} for b, r in results.items()},
        ratios_nats_over={
            base: {m: nats_over(results, m, base) for m in results.get("nats", {})}
            for base in ("sqlite", "popo", "raw")
            if base in results and "nats" in results
        },
        targets=[asdict(t) for t in found],
    )


if __name__ == "__main__":
    sys.exit(main())

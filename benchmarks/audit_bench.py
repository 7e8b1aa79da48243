"""Audit-trail benchmark (issues 6 and 11): verify rate on a million events, with and without
checking every event's signature, and what checkpoints and event signatures cost the writers.

Run from the repository root::

    .venv/bin/python -m benchmarks.audit_bench            # the reported run (about 6 minutes)
    .venv/bin/python -m benchmarks.audit_bench --quick    # smoke test: 20,000 events, 1 rep
    .venv/bin/python -m benchmarks.audit_bench --only writes    # one part (the other: last JSON)
    .venv/bin/python -m benchmarks.audit_bench --only verify --no-signatures  # issue 16's row

Part 1, verify. A stream of ``--events`` realistic events (decision-opened payloads of about
450 bytes with the ledger's headers, each signed as the store signs it) is written with
ADR-50 atomic batches of 1,000, four in flight, on an embedded nats-server started with
``sync_always=False``: fixture data only, nothing measured depends on its fsync. Checkpoints
are signed every 1,000 events with their leaf records, as ``koers serve`` would have (a
first full verification builds the tree for them). Then, each ``--reps`` times, old and
new way in the same repetition (the order reversed every other repetition): ``verify_log``
without the events' own signatures (read, hash, compare 1,000 signed roots, consistency
proofs: what issue 6 measured, and what ``koers serve``'s startup check runs) with one
reader, and in ``--readers`` ranges each read by its own process (``ledger.audit._ranges``);
with ``--signatures`` (the default) the same two with every event's signature checked (what
``koers audit verify`` runs by default); then the read without hashing (the lean push
consumer), hashing alone over frames held in memory, and the signature checks alone over
them. Client CPU counts the range readers' processes. Once: the same stream read with batch
direct gets (``ledger.nats._bulk.BulkReader``, 1,000 per request), the reader the store
itself uses.
Server and client CPU are read from /proc and getrusage.

Part 2, the checkpointer's cost on writes. 16 writer threads open decisions through the
``Koers`` application (one event per save) on a second embedded server with fsync always, a
fresh stream per repetition, with and without ``start_auditing`` (the startup check, then
the checkpointer following the log in a thread of the same process:
``KOERS_CHECKPOINT_EVERY`` 1000 as configured by default, and 100 as a harsher case), and
without the checkpointer with event signatures off (``KOERS_SIGN_EVENTS=no``: what signing
costs). Repetitions interleave the modes; reported are the medians and the median of the
per-round ratios.

Output: markdown on stdout and ``benchmarks/out/audit_bench.json``. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import hashlib
import json
import os
import platform
import resource
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nats

from benchmarks._harness import out_file
from ledger.application import Koers
from ledger.audit import load_or_create_signing_key, sign
from ledger.audit._frames import Frame
from ledger.audit._scan import RECORD_SIZE, Scan
from ledger.audit._store import AuditStore
from ledger.audit._verify import Trust, verify_log
from ledger.audit.startup import start_auditing
from ledger.embedded import EmbeddedServer
from ledger.nats._bulk import BulkReader
from ledger.nats._client import OutMessage, publish_atomic_batch
from ledger.nats._signing import EventSigner
from ledger.nats._stream import audited_config
from ledger.settings import AuditSettings, StoreSettings
from ledger.settings._audit import DEFAULT_RANGE_MIN
from tests.factories import decision

OUT_FILE = out_file(__file__)
#: The verifications compared in each repetition: without the events' own signatures (as
#: issue 6 measured it, and as ``koers serve``'s startup check runs) and with every one (what
#: ``koers audit verify`` checks by default), each serially and in ranges (``--readers``).
VERIFY_WAYS = ("verify", "verify_ranges", "verify_signed", "verify_signed_ranges")
STREAM = "BENCH"
EVERY = 1000


def cpu() -> float:
    """CPU seconds of this process and of its children that ended (the range readers)."""
    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    )


def server_cpu(pid: int | None) -> float:
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Timing:
    seconds: float
    client_cpu: float
    server_cpu: float


def timed(action: Callable[[], Any], pid: int | None) -> tuple[Any, Timing]:
    c0, s0, t0 = cpu(), server_cpu(pid), time.perf_counter()
    result = action()
    return result, Timing(time.perf_counter() - t0, cpu() - c0, server_cpu(pid) - s0)


# -- part 1: the fixture and the verify rate ---------------------------------------------------


def message(i: int) -> OutMessage:
    oid = str(uuid.UUID(int=i * 7919 + 1))
    payload = json.dumps(
        {
            "timestamp": "2026-11-28T09:03:43.541499+00:00",
            "originator_topic": "ledger.domain.decisions:Decision",
            "actor": "ann",
            "command_id": "",
            "team": "platform",
            "question": f"Do we move service {i} to the monorepo?",
            "context": "the pilot needs an audited log by Q2",
            "options": [
                {"key": "a", "title": "Yes, this quarter", "description": ""},
                {"key": "b", "title": "No, keep repos", "description": ""},
            ],
            "criteria": [{"name": "speed", "weight": "3"}, {"name": "risk", "weight": "2"}],
            "risk": {"likelihood": 3, "impact": 3},
            "reversibility": "one_way",
            "information_level": 70,
            "decider": "ann",
        },
        separators=(",", ":"),
    ).encode()
    headers = {
        "Nats-Msg-Id": f"{uuid.uuid4().hex}-0",
        "Koers-Originator-Id": oid,
        "Koers-Version": "1",
        "Koers-Topic": "ledger.domain.decisions:Decision.Opened",
        "Koers-Type": "decision.opened",
        "Koers-Schema": "1",
        "Koers-Payload-Sha256": hashlib.sha256(payload).hexdigest(),
        "Nats-Expected-Last-Subject-Sequence": "0",
        "Nats-Expected-Last-Subject-Sequence-Subject": f"bench.*.{oid}.*",
    }
    return OutMessage(f"bench.decision.{oid}.opened", payload, headers)


def signed_message(i: int, signer: EventSigner) -> OutMessage:
    out = message(i)
    signer.sign(out)
    return out


async def write_fixture(url: str, count: int, signer: EventSigner) -> float:
    nc = await nats.connect(url)
    try:
        await nc.jetstream().add_stream(audited_config(STREAM, "bench.>", 1))
        started = time.perf_counter()
        batches = [range(s, min(count, s + 1000)) for s in range(0, count, 1000)]
        for at in range(0, len(batches), 4):
            await asyncio.gather(
                *(
                    publish_atomic_batch(nc, [signed_message(i, signer) for i in batch], 60)
                    for batch in batches[at : at + 4]
                )
            )
        return count / (time.perf_counter() - started)
    finally:
        await nc.close()


def sign_checkpoints(store: AuditStore, trust_key: Any, key: Any) -> int:
    """Checkpoints every 1,000 events with their leaf records, as the checkpointer makes them."""
    store.ensure_checkpoint_stream()
    first = verify_log(store, Trust(trust_key), records=True, signatures_from=None)
    scan = first.scan
    previous = 0
    sizes = [*range(EVERY, scan.count + 1, EVERY)]
    if not sizes or sizes[-1] != scan.count:
        sizes.append(scan.count)
    for size in sizes:
        checkpoint = sign(key, STREAM, size, scan.tree.root(size))
        records = bytes(scan.records[previous * RECORD_SIZE : size * RECORD_SIZE])
        store.publish(checkpoint, records, previous + 1)
        previous = size
    return len(sizes)


def read_only(store: AuditStore) -> int:
    count = 0

    def take(frames: list[Frame]) -> None:
        nonlocal count
        count += len(frames)

    store.read(take)
    return count


def read_bulk(url: str, count: int) -> int:
    async def go() -> int:
        reader, start, got_total = BulkReader(url, 30), 1, 0
        try:
            while True:
                got, pending = await reader.batch(STREAM, "bench.>", start, 1000)
                got_total += len(got)
                if not got or pending == 0 or got_total >= count:
                    return got_total
                start = got[-1].seq + 1
        finally:
            await reader.close()

    return asyncio.run(go())


def sample_frames(store: AuditStore, count: int) -> list[Frame]:
    out: list[Frame] = []
    store.read(out.extend, stop=count)
    return out


def verify_part(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    server = EmbeddedServer(
        tmp / "fixture", sync_always=False, max_batch_msgs=1000, anonymous=True
    ).start()
    results: dict[str, Any] = {"events": args.events}
    try:
        key = load_or_create_signing_key(tmp / "data")
        print(f"writing {args.events:,} events (fsync off: fixture data only) ...", flush=True)
        fixture = write_fixture(server.url, args.events, EventSigner(key))
        results["fixture_write_rate"] = asyncio.run(fixture)
        settings = StoreSettings(
            data_dir=tmp / "data", url=server.url, stream=STREAM, prefix="bench"
        )
        store = AuditStore.open(settings)
        trust = Trust(key.public_key())
        print("signing checkpoints every 1,000 events ...", flush=True)
        results["checkpoints"] = sign_checkpoints(store, key.public_key(), key)
        runs: dict[str, list[Timing]] = {name: [] for name in VERIFY_WAYS}
        runs.update(read=[], hash=[], signatures=[])
        frames = sample_frames(store, min(args.events, 100_000))
        ways = [w for w in VERIFY_WAYS if args.signatures or not w.startswith("verify_signed")]
        for rep in range(args.reps):
            order = ways if rep % 2 == 0 else [*reversed(ways)]  # serial first, then last
            print(f"rep {rep + 1}/{args.reps}: {', '.join(order)}, read, hash ...", flush=True)
            for way in order:
                verify = functools.partial(
                    verify_log, store, trust, signatures_from=0 if "signed" in way else None,
                    readers=args.readers if way.endswith("ranges") else 1,
                    min_range=args.min_range,
                )  # fmt: skip
                verification, timing = timed(verify, server.pid)
                assert verification.report.ok, verification.report.lines()
                assert verification.report.events == args.events
                runs[way].append(timing)
                print(f"  {way}: {args.events / timing.seconds:,.0f} events/s", flush=True)
            count, timing = timed(lambda: read_only(store), server.pid)
            assert count == args.events
            runs["read"].append(timing)

            def hash_only() -> int:
                scan = Scan()
                scan.add(frames)
                return scan.count

            _, timing = timed(hash_only, None)
            runs["hash"].append(timing)

            def signatures_only() -> int:
                scan = Scan(keys=trust.event_keys)
                scan.add(frames)
                scan.settle()
                assert not scan.unsigned
                assert not scan.badly_signed
                return scan.count

            _, timing = timed(signatures_only, None)
            runs["signatures"].append(timing)
        print("reading with batch direct gets (BulkReader) ...", flush=True)
        count, timing = timed(lambda: read_bulk(server.url, args.events), server.pid)
        runs["bulk"] = [timing]
        store.close()
        for name, timings in runs.items():
            if not timings:
                continue
            n = len(frames) if name in ("hash", "signatures") else args.events
            results[name] = {
                "rate_median": statistics.median(n / t.seconds for t in timings),
                "rates": [n / t.seconds for t in timings],
                "client_us_per_event": statistics.median(t.client_cpu / n * 1e6 for t in timings),
                "server_us_per_event": statistics.median(t.server_cpu / n * 1e6 for t in timings),
                "events": n,
            }
        for way in ("verify", "verify_signed"):
            serial, ranged = runs[way], runs[f"{way}_ranges"]
            if serial and ranged:
                ratios = [a.seconds / b.seconds for a, b in zip(serial, ranged, strict=True)]
                results[f"{way}_ranges"]["speedup_median"] = statistics.median(ratios)
                results[f"{way}_ranges"]["speedups"] = ratios
        results["readers"], results["min_range"] = args.readers, args.min_range
    finally:
        server.stop()
    return results


# -- part 2: the checkpointer's cost on writes -------------------------------------------------


def write_load(koers: Koers, threads: int, saves: int) -> None:
    errors: list[BaseException] = []
    fields = decision()

    def writer() -> None:
        try:
            for _ in range(saves):
                koers.open_decision(actor="ann", **fields)
        except BaseException as e:
            errors.append(e)

    workers = [threading.Thread(target=writer) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if errors:
        raise errors[0]


def thread_cpu(thread: threading.Thread) -> float:
    """CPU seconds one (running) thread of this process has used."""
    assert thread.ident is not None
    return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))


def follower_seconds(service: Any) -> float:
    """CPU the checkpointer used while following: its own thread and its connection's loop
    thread (where the stream is read and its frames hashed)."""
    if service is None:
        return 0.0
    threads = (service._thread, service.checkpointer.store.conn.bridge._thread)
    return sum(thread_cpu(t) for t in threads)


def write_part(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    server = EmbeddedServer(tmp / "writes", anonymous=True).start()  # fsync always, as Koers runs
    modes = ("off", "every 1000", "every 100", "unsigned")
    rates: dict[str, list[float]] = {m: [] for m in modes}
    cpu_per_event: dict[str, list[float]] = {m: [] for m in modes}
    follower_cpu: dict[str, list[float]] = {m: [] for m in modes}
    try:
        for rep in range(args.write_reps):
            order = modes[rep % 4 :] + modes[: rep % 4]
            for mode in order:
                stream = f"W{uuid.uuid4().hex[:10].upper()}"
                settings = StoreSettings(
                    data_dir=tmp / "wdata",
                    url=server.url,
                    stream=stream,
                    sign_events=mode != "unsigned",
                    create_stream=True,
                )
                koers = Koers(env=settings.as_env())
                koers.open_decision(actor="ann", **decision())  # the stream exists, warm
                service = None
                if mode not in ("off", "unsigned"):
                    every = mode.split()[1]
                    environ = {"KOERS_CHECKPOINT_EVERY": every, "KOERS_CHECKPOINT_SECONDS": "60"}
                    service = start_auditing(settings, AuditSettings.from_env(environ))
                try:
                    n = args.threads * args.saves
                    load = functools.partial(write_load, koers, args.threads, args.saves)
                    before = follower_seconds(service)
                    _, timing = timed(load, None)
                    follower_cpu[mode].append((follower_seconds(service) - before) / n * 1e6)
                finally:
                    if service is not None:
                        service.close()
                    koers.close()
                rates[mode].append(n / timing.seconds)
                cpu_per_event[mode].append(timing.client_cpu / n * 1e6)
                print(f"rep {rep + 1} {mode:>10}: {n / timing.seconds:,.0f} events/s", flush=True)
    finally:
        server.stop()
    out: dict[str, Any] = {"threads": args.threads, "saves_per_thread": args.saves}
    for mode in modes:
        ratios = [on / off for on, off in zip(rates[mode], rates["off"], strict=True)]
        out[mode] = {
            "rate_median": statistics.median(rates[mode]),
            "rates": rates[mode],
            "ratio_to_off_median": statistics.median(ratios),
            "client_cpu_us_per_event": statistics.median(cpu_per_event[mode]),
            "checkpointer_cpu_us_per_event": (
                statistics.median(follower_cpu[mode]) if follower_cpu[mode] else 0.0
            ),
        }
    return out


def report(results: dict[str, Any]) -> str:
    v, w = results["verify"], results["writes"]  # a part not run yet: None
    lines = verify_lines(v) if v is not None else []
    if w is None:
        return "\n".join(lines)
    return "\n".join([*lines, *write_lines(w)])


def verify_lines(v: dict[str, Any]) -> list[str]:
    lines = [
        f"events: {v['events']:,}; checkpoints: {v['checkpoints']:,}; fixture written at "
        f"{v['fixture_write_rate']:,.0f} events/s",
        "",
        "| what | events/s (median) | runs | client CPU µs/event | server CPU µs/event |",
        "|---|---:|---|---:|---:|",
    ]
    readers = v.get("readers", 2)
    names = {
        "verify": "verify_log, one reader: read + hash + 1,000 roots + proofs (signatures "
        "after the last checkpoint only, as the startup check)",
        "verify_ranges": f"... the same in {readers} ranges, one process each",
        "verify_signed": "verify_log, one reader, and every event's signature (koers audit "
        "verify's default)",
        "verify_signed_ranges": f"... the same in {readers} ranges, one process each",
        "read": "read only: lean push consumer, no hashing",
        "hash": "hash only: Scan over frames in memory",
        "signatures": "hash and check every signature: Scan over frames in memory",
        "bulk": "read only: batch direct gets (BulkReader, 1,000 a request)",
    }
    for key, name in names.items():
        if key not in v:
            continue
        r = v[key]
        runs = ", ".join(f"{x:,.0f}" for x in r["rates"])
        lines.append(
            f"| {name} | {r['rate_median']:,.0f} | {runs} | {r['client_us_per_event']:.1f} | "
            f"{r['server_us_per_event']:.1f} |"
        )
    for key in ("verify_ranges", "verify_signed_ranges"):
        if "speedup_median" in v.get(key, {}):
            each = ", ".join(f"{x:.2f}" for x in v[key]["speedups"])
            lines.append(
                f"\n{key}: serial time / ranges time, median {v[key]['speedup_median']:.2f}x "
                f"(per repetition: {each})"
            )
    return lines


def write_lines(w: dict[str, Any]) -> list[str]:
    lines = [
        "",
        f"writes: {w['threads']} threads x {w['saves_per_thread']} saves of 1 event "
        "(Koers.open_decision, fsync always)",
        "",
        "| checkpointer | events/s (median) | runs | ratio to off (median) | process CPU "
        "µs/event | checkpointer thread CPU µs/event |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for mode in ("unsigned", "off", "every 1000", "every 100"):
        r = w[mode]
        runs = ", ".join(f"{x:,.0f}" for x in r["rates"])
        lines.append(
            f"| {mode} | {r['rate_median']:,.0f} | {runs} | {r['ratio_to_off_median']:.3f} | "
            f"{r['client_cpu_us_per_event']:.0f} | {r['checkpointer_cpu_us_per_event']:.1f} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20,000 events, 1 repetition")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--write-reps", type=int, default=9)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--readers", type=int, default=2, help="processes of the ranged verify")
    parser.add_argument(
        "--min-range", type=int, default=DEFAULT_RANGE_MIN, help="KOERS_AUDIT_RANGE_MIN"
    )
    parser.add_argument(
        "--signatures",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also verify every event's signature, both ways (slow: Ed25519-bound)",
    )
    parser.add_argument("--saves", type=int, default=200)
    parser.add_argument(
        "--only",
        choices=("verify", "writes"),
        help="run one part; the other's figures are taken from the last run's JSON",
    )
    args = parser.parse_args()
    if args.quick:
        args.events, args.reps, args.write_reps, args.saves = 20_000, 1, 1, 20
        args.min_range = min(args.min_range, args.events // args.readers)
    started = time.time()
    earlier = json.loads(OUT_FILE.read_text()) if OUT_FILE.exists() and args.only else {}
    with tempfile.TemporaryDirectory(prefix="koers-audit-bench-") as folder:
        tmp = Path(folder)
        machine: dict[str, Any] = {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_before": os.getloadavg(),
        }
        results: dict[str, Any] = {
            "machine": machine,
            "verify": earlier.get("verify") if args.only == "writes" else verify_part(args, tmp),
            "writes": earlier.get("writes") if args.only == "verify" else write_part(args, tmp),
        }
    machine["load_after"] = os.getloadavg()
    results["seconds"] = time.time() - started
    OUT_FILE.parent.mkdir(parents=True, exist_ok=True)
    OUT_FILE.write_text(json.dumps(results, indent=2))
    print(report(results))
    print(f"\n{results['seconds']:.0f} s; load {results['machine']}; written to {OUT_FILE}")


if __name__ == "__main__":
    main()

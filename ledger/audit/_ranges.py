"""Read and hash the log in ranges, one process per range: the parallel path of a verify.

A verification costs the client about 10 µs of Python per event (parsing the protocol,
finding the covered headers, hashing; BENCHMARKS.md, "Audit trail"), and one process runs
it on one core. With ``readers`` > 1, :func:`read_in_ranges` splits ``1..last_seq`` into
that many consecutive ranges of equal length; the calling process reads and hashes the
first itself, and each other range is read by a child process (a :class:`Job` sent in,
a :class:`~ledger.audit._part.Part` sent back through a pipe) on its own connection and
its own push consumer (:class:`~ledger.audit._reader.StreamReader`, from the range's first
sequence to its last) into a scan with the same settings. The parts are joined in order
(:meth:`~ledger.audit._scan.Scan.join`), so the scan, and with it every verdict, is the
one a single read of the whole log gives: the same leaves, holes (one across a seam),
changed, foreign and unsigned events, records and signature verdicts.

The children are forked from multiprocessing's fork server: a fresh interpreter, started
at the first verify in ranges and kept while this process lives, that has imported the
audit once (no fork of this process's threads and sockets). Its first start costs about
half a second of CPU; each child after that, a fork (~10 ms). Each range keeps only its
own sequences: a reader whose last sequence is gone reads on past it, and those messages
belong to the next range. A log is split only where each range holds at least
``min_range`` events (``KOERS_AUDIT_RANGE_MIN``); below that, and when the store reads
through nats-py (TLS or credentials in the URL), one read as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ledger.audit._frames import Frame
from ledger.audit._part import Part
from ledger.audit._reader import StreamReader
from ledger.audit._scan import Scan
from ledger.audit._store import AuditStore
from ledger.settings._audit import DEFAULT_RANGE_MIN

__all__ = ["Job", "ranges", "read_in_ranges"]


@dataclass(frozen=True)
class Job:
    """One range for another process: where to read, and the scan's settings (keys as raw
    public bytes, which pickle)."""

    url: str
    timeout: float
    login: tuple[str, str] | None
    stream: str
    start: int
    stop: int
    records_from: int | None
    digests_from: int
    keys: dict[str, bytes] | None
    signatures_from: int

    def scan(self) -> Scan:
        keys = self.keys
        trusted = None if keys is None else {k: _public(raw) for k, raw in keys.items()}
        scan = Scan(
            self.records_from, self.digests_from, keys=trusted, signatures_from=self.signatures_from
        )
        scan.last_seq = self.start - 1  # a hole at the range's start is a hole
        return scan


def ranges(
    last_seq: int, readers: int, min_range: int = DEFAULT_RANGE_MIN
) -> list[tuple[int, int]]:
    """``1..last_seq`` as at most ``readers`` consecutive ``(first, last)`` ranges, each of
    at least ``min_range`` sequences (one range when the log is too short to split)."""
    count = max(1, min(readers, last_seq // max(min_range, 1)))
    step = -(-last_seq // count)
    return [(first, min(first + step - 1, last_seq)) for first in range(1, last_seq + 1, step)]


def read_in_ranges(
    store: AuditStore,
    scan: Scan,
    last_seq: int,
    take: Callable[[list[Frame]], None],
    *,
    readers: int,
    min_range: int = DEFAULT_RANGE_MIN,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Fill ``scan`` with ``1..last_seq`` of the log (see the module doc); ``take`` is handed
    the frames this process reads (it must add them to ``scan``), ``progress`` the number
    of messages of each other range as it is joined."""
    parts = ranges(last_seq, readers, min_range)
    if len(parts) == 1 or store.reader is None:
        store.read(take, stop=last_seq)
        return
    (_, first_stop), rest = parts[0], parts[1:]
    children = [_Child(_job(store, scan, start, stop)) for start, stop in rest]
    try:
        store.read(lambda frames: take(_upto(frames, first_stop)), stop=first_stop)
        for child in children:
            part = child.result()
            scan.join(part)
            if progress is not None:
                progress(len(part.seqs) // 8)
    finally:
        for child in children:
            child.stop()


def scan_range(job: Job) -> Part:
    """Read and scan one range (in another process): what :func:`read_in_ranges` joins."""
    scan = job.scan()
    reader = StreamReader(job.url, job.timeout, job.login)

    async def read() -> None:
        frames = reader.frames(job.stream, job.start, job.stop)
        async with contextlib.aclosing(frames):
            async for batch in frames:
                scan.add(_upto(batch, job.stop))

    asyncio.run(read())
    scan.settle()
    return scan.part(job.start)


@functools.cache
def _forkserver() -> ForkServerContext:
    """Multiprocessing's fork server, told to import this module (and the main module, so a
    child need not) before it forks the first child."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["__main__", __name__])
    return context


class _Child:
    """One range read by a child process: its answer comes back through a pipe."""

    def __init__(self, job: Job) -> None:
        context = _forkserver()
        self.answers, sender = context.Pipe(duplex=False)
        self.process = context.Process(
            target=_answer, args=(job, sender), name=f"koers-verify-{job.start}", daemon=True
        )
        self.process.start()
        sender.close()  # the child holds its own end: a child that dies unread ends the pipe

    def result(self) -> Part:
        """The part the child sends back, or its failure raised here as a ``ConnectionError``."""
        try:
            status, value = self.answers.recv()
        except EOFError:
            self.process.join()
            code = self.process.exitcode
            raise ConnectionError(
                f"a range reader of the verification failed (exit code {code})"
            ) from None
        if status != "ok":
            raise ConnectionError(f"a range reader of the verification failed: {value}")
        assert isinstance(value, Part)
        return value

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.process.close()
        self.answers.close()


def _answer(job: Job, sender: Connection) -> None:
    """The child's side: ``("ok", Part)`` or ``("error", why)`` sent back."""
    try:
        answer: tuple[str, object] = ("ok", scan_range(job))
    except (ConnectionError, TimeoutError, OSError, ValueError) as e:
        answer = ("error", f"{type(e).__name__}: {e}")
    with sender:
        sender.send(answer)


def _job(store: AuditStore, scan: Scan, start: int, stop: int) -> Job:
    reader = store.reader
    assert reader is not None
    keys = None if scan.keys is None else {k: _raw(key) for k, key in scan.keys.items()}
    return Job(
        reader.url, reader.timeout, reader.login, store.stream, start, stop,
        scan.records_from, scan.digests_from, keys, scan.signatures_from,
    )  # fmt: skip


def _upto(frames: list[Frame], stop: int) -> list[Frame]:
    """``frames`` up to sequence ``stop`` (a read may run past a range's last message)."""
    if not frames or frames[-1].seq <= stop:
        return frames
    return [f for f in frames if f.seq <= stop]


def _raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _public(raw: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(raw)

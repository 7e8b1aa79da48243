"""What every NATS recorder shares: one stream, its subjects, reading and writing.

:meth:`StreamAccess.write` turns stored events (and an optional tracking position) into one
atomic write with an optimistic-concurrency check per aggregate; see ``_writer`` for how
writes are committed and ``_subjects`` for the subjects and headers.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

import orjson
from eventsourcing.persistence import IntegrityError, StoredEvent, Tracking

from ledger.errors import BatchTooLarge, ConcurrencyConflict, EventTooLarge
from ledger.nats._client import OutMessage, RawMessage, direct_get_batch
from ledger.nats._connection import NatsConnection
from ledger.nats._foreign import unauthentic_reason
from ledger.nats._replicas import ReplicaReads
from ledger.nats._signing import EventSigner, SignatureCheck
from ledger.nats._subjects import (
    H_MSG_ID,
    H_ORIGINATOR_ID,
    H_SCHEMA,
    H_SHA256,
    H_TOPIC,
    H_TRACKING_APP,
    H_TYPE,
    H_VERSION,
    SubjectScheme,
    kind_and_type,
    schema_version,
)
from ledger.nats._writer import Check, GroupCommitter
from ledger.nats.watch import unavailable

__all__ = ["CONSUMER_PAGES_FROM", "READ_BATCH", "StreamAccess", "tracking_id"]

T = TypeVar("T")
READ_BATCH = 1000
#: ``select_notifications`` of at least this many reads through a paging consumer: creating
#: one costs a round trip, a long read saves more (see ``_bulk``)
CONSUMER_PAGES_FROM = 200
HEADER_ALLOWANCE = 1024  # bytes kept free for headers within the server's max_payload
H_EXPECTED_SEQ = "Nats-Expected-Last-Subject-Sequence"
H_EXPECTED_SUBJECT = "Nats-Expected-Last-Subject-Sequence-Subject"


class Positions:
    """Known facts "version v of this aggregate is at stream sequence s", bounded.

    The stream is append-only, so a fact never goes stale. ``start_after(subject, gt)``
    gives a sequence from which a read still sees every event with version > ``gt``
    (1 when nothing useful is known), so reading the tail of a long aggregate (the
    repository's cache fast-forward, a snapshot's later events) skips its head.
    """

    PER_AGGREGATE = 64

    def __init__(self, aggregates: int = 10_000) -> None:
        self._known: OrderedDict[str, list[tuple[int, int]]] = OrderedDict()
        self._aggregates = aggregates
        self._lock = threading.Lock()  # learned from writers' threads and the loop

    def learn(self, subject: str, version: int, seq: int) -> None:
        with self._lock:
            self._learn(subject, version, seq)

    def _learn(self, subject: str, version: int, seq: int) -> None:
        facts = self._known.pop(subject, [])
        facts.append((version, seq))
        if len(facts) > self.PER_AGGREGATE:
            facts.sort()
            del facts[: len(facts) - self.PER_AGGREGATE]
        self._known[subject] = facts
        if len(self._known) > self._aggregates:
            self._known.popitem(last=False)

    def forget(self, subject: str) -> None:
        with self._lock:
            self._known.pop(subject, None)

    def seq_of(self, subject: str, version: int) -> int | None:
        """The stream sequence of ``version`` of this aggregate, if known."""
        with self._lock:
            facts = list(self._known.get(subject, ()))
        for known_version, seq in facts:
            if known_version == version:
                return seq
        return None

    def start_after(self, subject: str, gt: int | None) -> int:
        if gt is None:
            return 1
        best = 0
        with self._lock:
            facts = list(self._known.get(subject, ()))
        for version, seq in facts:
            if version <= gt and seq > best:
                best = seq
        return best + 1


class StreamAccess:
    """Reads and writes one stream through one connection."""

    def __init__(
        self,
        conn: NatsConnection,
        stream: str,
        scheme: SubjectScheme,
        *,
        with_schema: bool = True,
        signer: Callable[[], EventSigner | None] = lambda: None,
        signatures: SignatureCheck | None = None,
        replicas: int = 1,
    ) -> None:
        self.conn = conn
        self.stream = stream
        self.scheme = scheme
        #: ``replicas``: the stream's own replica count (its configuration), which decides
        #: where reads are answered (``_replicas``: the leader's answers on R3)
        self.reads = ReplicaReads(conn, stream, replicas)
        self.committer = GroupCommitter(conn, stream, conn.settings.max_batch, self.reads)
        self.max_payload = max(0, conn.nc.max_payload - HEADER_ALLOWANCE)
        self.positions = Positions()
        self.with_schema = with_schema  # snapshots have no published schema
        #: the signer of what is written, asked for at each write (the key is read on the
        #: first; a reader never needs it); ``None``: unsigned (``KOERS_SIGN_EVENTS=no``)
        self.signer = signer
        #: the check that a stored event was signed by a trusted key (``None``: not checked)
        self.signatures = signatures
        #: ``select_notifications`` with at least this ``limit`` pages through the bulk
        #: reader's paging consumer (:meth:`page`); ``None``: always batch direct gets, as
        #: before (the benchmarks' baseline)
        self.consumer_pages_from: int | None = CONSUMER_PAGES_FROM

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        return self.conn.call(coro, timeout)

    # -- reading -----------------------------------------------------------------------------

    async def last(self, subject: str) -> RawMessage | None:
        """The last message matching ``subject``, never older than an acknowledged write."""
        return await self.conn.read_again_after_reconnect(lambda: self.reads.last(subject))

    async def batch(self, subject: str, start: int, size: int) -> tuple[list[RawMessage], int]:
        """Up to ``size`` messages matching ``subject`` from ``start``, and how many more;
        a last batch includes every acknowledged write (``_replicas``: what a follower
        lacked is read from the leader), so may hold more than ``size``.

        Through the connection's lean bulk reader when it has one; through nats-py when it
        has none or when the bulk connection fails (its next call reconnects).
        """
        got, pending = await self._direct_batch(subject, start, size)
        missed = await self.conn.read_again_after_reconnect(
            lambda: self.reads.missed(subject, got, start, pending)
        )
        return got + missed, pending

    async def page(self, subject: str, start: int, size: int) -> tuple[list[RawMessage], int]:
        """What :meth:`batch` answers, read through the bulk reader's paging consumer (the
        server walks the stream once instead of looking each message up: faster for long
        reads, see ``_bulk``); without a bulk reader, or when the paging read fails, as
        :meth:`batch` reads."""
        got: list[RawMessage] | None = None
        bulk = self.conn.bulk
        if bulk is not None:
            with contextlib.suppress(ConnectionError, OSError, asyncio.TimeoutError):
                got, pending = await bulk.page(self.stream, subject, start, size)
        if got is None:
            return await self.batch(subject, start, size)
        missed = await self.conn.read_again_after_reconnect(
            lambda: self.reads.missed(subject, got, start, pending)
        )
        return got + missed, pending

    async def _direct_batch(
        self, subject: str, start: int, size: int
    ) -> tuple[list[RawMessage], int]:
        bulk = self.conn.bulk
        if bulk is not None:
            with contextlib.suppress(ConnectionError, OSError, asyncio.TimeoutError):
                return await bulk.batch(self.stream, subject, start, size)
        timeout = self.conn.settings.timeout
        return await self.conn.read_again_after_reconnect(
            lambda: direct_get_batch(
                self.conn.nc, self.stream, subject, start=start, batch=size, timeout=timeout
            )
        )

    async def read(self, subject: str, start: int = 1) -> list[RawMessage]:
        """Every message matching ``subject`` from sequence ``start`` on, in batches."""
        out: list[RawMessage] = []
        while True:
            got, pending = await self.batch(subject, start, READ_BATCH)
            out.extend(got)
            if not got or pending == 0:
                break
            start = got[-1].seq + 1
        if out and self._is_event(out[-1]):
            self.positions.learn(subject, int(out[-1].headers[H_VERSION]), out[-1].seq)
        return out

    # -- writing -----------------------------------------------------------------------------

    def write(self, events: Sequence[StoredEvent], tracking: Tracking | None) -> list[int]:
        """Store ``events`` (and ``tracking``) atomically; return the events' sequences.

        Runs in the caller's thread up to the hand-over: messages, digests, signatures and
        the expectations this process knows are prepared here; only unknown positions (and a
        tracking record's) are looked up, in one round trip; then the write is handed to the
        group committer and this thread waits for its answer, at most the write deadline.
        """
        if not events and tracking is None:
            return []
        self._check_sizes(events)
        write_id = uuid.uuid4().hex
        messages = [self._message(e, f"{write_id}-{i}") for i, e in enumerate(events)]
        checks = self._aggregate_checks(events, messages)
        if tracking is not None:
            checks.append(self.call(self._tracking_message(tracking, messages, write_id)))
        signer = self.signer()
        if signer is not None:
            for message in messages:  # every covered header is set by now
                signer.sign(message)
        settings = self.conn.settings
        deadline = settings.write_deadline + 1  # a backstop: the committer keeps the deadline
        try:
            future = self.committer.submit(messages, checks)
        except RuntimeError as e:  # the loop is closed
            raise unavailable(self.conn.url, "the connection is closed") from e
        try:
            ids = future.result(deadline)
        except concurrent.futures.TimeoutError:
            raise unavailable(self.conn.url, f"no answer within {deadline:g} s") from None
        except ConcurrencyConflict:
            for check in checks:  # a retry looks them up (a foreign message may follow them)
                self.positions.forget(check.subject)
            raise
        for event, seq in zip(events, ids, strict=False):
            self.positions.learn(
                self.scheme.aggregate_filter(event.originator_id), event.originator_version, seq
            )
        return ids[: len(events)]

    def _check_sizes(self, events: Sequence[StoredEvent]) -> None:
        limit = self.conn.settings.max_batch
        if len(events) + 1 > limit:
            raise BatchTooLarge(len(events), limit - 1)
        for event in events:
            if len(event.state) > self.max_payload:
                subject = self.scheme.event_subject(event.originator_id, event.topic)
                raise EventTooLarge(subject, len(event.state), self.max_payload)

    def _message(self, event: StoredEvent, msg_id: str) -> OutMessage:
        kind, type_ = kind_and_type(event.topic)
        headers = {
            H_MSG_ID: msg_id,
            H_ORIGINATOR_ID: str(event.originator_id),
            H_VERSION: str(event.originator_version),
            H_TOPIC: event.topic,
            H_TYPE: f"{kind}.{type_}",
            H_SHA256: hashlib.sha256(event.state).hexdigest(),
        }
        version = self._schema_of(event) if self.with_schema else None
        if version is not None:
            headers[H_SCHEMA] = version
        subject = self.scheme.event_subject(event.originator_id, event.topic)
        return OutMessage(subject, event.state, headers)

    @staticmethod
    def _schema_of(event: StoredEvent) -> str | None:
        """The schema version of the payload as stored: its ``class_version`` (written by the
        mapper when above 1), else 1; ``None`` for topics that name no event class."""
        if schema_version(event.topic) is None:
            return None
        if b'"class_version"' not in event.state:
            return "1"
        try:
            return str(int(orjson.loads(event.state)["class_version"]))
        except (ValueError, KeyError, TypeError):
            return "1"

    def _aggregate_checks(
        self, events: Sequence[StoredEvent], messages: list[OutMessage]
    ) -> list[Check]:
        """One check per aggregate, carried by the aggregate's first message."""
        firsts = _first_index_per_aggregate(events)
        wanted = {
            self.scheme.aggregate_filter(oid): (index, events[index].originator_version)
            for oid, index in firsts.items()
        }
        expected = {subject: self._known(subject, v) for subject, (_, v) in wanted.items()}
        unknown = [subject for subject, seq in expected.items() if seq is None]
        if unknown:
            looked_up = self.call(self._look_up(unknown, {s: wanted[s][1] for s in unknown}))
            expected.update(looked_up)
        checks = []
        for subject, (index, _) in wanted.items():
            position = expected[subject]
            assert position is not None
            headers = messages[index].headers
            headers[H_EXPECTED_SEQ] = str(position)
            headers[H_EXPECTED_SUBJECT] = subject
            checks.append(Check(subject, position, index))
        return checks

    def _known(self, subject: str, first_version: int) -> int | None:
        """The stream position a write of ``first_version`` must find the aggregate at, when
        known without a round trip: a new aggregate (version 1 or lower) must be empty (0);
        otherwise the position of version ``first_version - 1`` if this process has seen it
        (a fact that never goes stale). The server checks the expectation either way."""
        if first_version <= 1:
            return 0
        return self.positions.seq_of(subject, first_version - 1)

    async def _look_up(self, subjects: list[str], versions: dict[str, int]) -> dict[str, int]:
        """Read the last message of each aggregate whose position is not known."""
        lasts = await asyncio.gather(*(self.last(subject) for subject in subjects))
        out: dict[str, int] = {}
        for subject, last in zip(subjects, lasts, strict=True):
            version = None
            if last is not None and self._is_event(last):
                version = int(last.headers[H_VERSION])
                self.positions.learn(subject, version, last.seq)
            elif last is not None:  # foreign: the version is its last Koers event's (rare)
                good = [m for m in await self.read(subject) if self._is_event(m)]
                version = int(good[-1].headers[H_VERSION]) if good else None
            out[subject] = _expected_position(subject, versions[subject], last, version)
        return out

    def _is_event(self, message: RawMessage) -> bool:
        return self.foreign(message) is None

    def foreign(self, message: RawMessage) -> str | None:
        """Why ``message`` is not a Koers event of this ledger (``None``: it is one): not
        one at all (:func:`foreign_reason`), or not signed by a trusted key."""
        return unauthentic_reason(
            message, text_ids=self.conn.settings.text_ids, signatures=self.signatures
        )

    async def _tracking_message(
        self, tracking: Tracking, messages: list[OutMessage], write_id: str
    ) -> Check:
        subject = self.scheme.tracking_subject(tracking.application_name)
        last = await self.last(subject)
        current = tracking_id(last)
        if current is not None and tracking.notification_id <= current:
            raise IntegrityError(
                f"tracking of {tracking.application_name} is at {current}: "
                f"notification {tracking.notification_id} was processed already"
            )
        payload = orjson.dumps(
            {
                "application_name": tracking.application_name,
                "notification_id": tracking.notification_id,
            }
        )
        expected = last.seq if last else 0
        headers = {
            H_MSG_ID: f"{write_id}-t",
            H_TRACKING_APP: tracking.application_name,
            H_SHA256: hashlib.sha256(payload).hexdigest(),
            H_EXPECTED_SEQ: str(expected),
        }
        messages.append(OutMessage(subject, payload, headers))
        return Check(subject, expected, len(messages) - 1)


def _first_index_per_aggregate(events: Sequence[StoredEvent]) -> dict[Any, int]:
    """Index of each aggregate's first event; versions of one aggregate must rise."""
    firsts: dict[Any, int] = {}
    latest: dict[Any, int] = {}
    for index, event in enumerate(events):
        oid, version = event.originator_id, event.originator_version
        if oid in latest and version <= latest[oid]:
            raise IntegrityError(
                f"aggregate {oid}: version {version} follows {latest[oid]} in one write; "
                f"versions of one aggregate must rise"
            )
        firsts.setdefault(oid, index)
        latest[oid] = version
    return firsts


def _expected_position(
    subject: str, first_version: int, last: RawMessage | None, version: int | None
) -> int:
    """The stream position the write expects the aggregate at (its subject's last message,
    foreign or not), or a conflict now when ``version`` (its last) already has the one to
    write."""
    if last is None:
        return 0
    if version is not None and version >= first_version:
        raise ConcurrencyConflict(
            subject,
            None,
            last.seq,
            f"version {first_version} is taken (the aggregate is at version {version})",
        )
    return last.seq


def tracking_id(message: RawMessage | None) -> int | None:
    """The notification id a tracking message records."""
    if message is None:
        return None
    return int(orjson.loads(message.data)["notification_id"])

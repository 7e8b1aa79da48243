"""The lean bulk reader reads exactly what nats-py reads, and recovers from a dropped line."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial

import nats
import pytest
from eventsourcing.persistence import InfrastructureFactory, StoredEvent
from eventsourcing.utils import Environment

from ledger.nats import NATSFactory
from ledger.nats._bulk import BulkReader, LazyHeaders
from ledger.nats._client import RawMessage, direct_get_batch
from tests.conftest import fresh_env, nats_url


@pytest.fixture
def stream_with_events() -> str:
    env = fresh_env()
    factory = InfrastructureFactory.construct(Environment("", env))
    assert isinstance(factory, NATSFactory)
    try:
        recorder = factory.application_recorder()
        for _ in range(30):
            oid = uuid.uuid4()
            recorder.insert_events(
                [
                    StoredEvent(oid, v, "koers.x:Decision.Made", b'{"n":"caf\xc3\xa9"}')
                    for v in (1, 2, 3)
                ]
            )
    finally:
        factory.close()
    return env["NATS_STREAM"]


async def _pages(
    read: Callable[..., Awaitable[tuple[list[RawMessage], int]]],
) -> AsyncIterator[tuple[int, list[RawMessage], int]]:
    """(start, messages, pending) of each page ``read(start=…)`` answers, from 1 to the end."""
    start = 1
    while True:
        got, pending = await read(start=start)
        yield start, got, pending
        if not got or pending == 0:
            return
        start = got[-1].seq + 1


def test_bulk_reads_equal_nats_py_reads_page_by_page(stream_with_events: str) -> None:
    async def compare() -> int:
        nc = await nats.connect(nats_url())
        reader = BulkReader(nats_url(), timeout=5)
        compared = 0
        try:
            for subject in (">", f"{stream_with_events.lower()}.*.*.made"):
                read = partial(reader.batch, stream_with_events, subject, size=7)
                async for start, ours, ours_pending in _pages(read):
                    theirs, pending = await direct_get_batch(
                        nc, stream_with_events, subject, start=start, batch=7, timeout=5
                    )
                    assert [(m.seq, m.subject, dict(m.headers), m.data) for m in ours] == [
                        (m.seq, m.subject, dict(m.headers), m.data) for m in theirs
                    ]
                    assert ours_pending == pending
                    compared += len(ours)
            assert await reader.batch(stream_with_events, ">", 10**6, 5) == ([], 0)
        finally:
            await reader.close()
            await nc.close()
        return compared

    assert asyncio.run(compare()) == 180


def _koers_view(m: RawMessage) -> tuple[int, str, dict[str, str], bytes]:
    """A message without the ``Nats-*`` headers a direct get adds (a delivery has none)."""
    headers = {k: v for k, v in dict(m.headers).items() if not k.startswith("Nats-")}
    return m.seq, m.subject, headers, m.data


@pytest.mark.parametrize("size", [7, 1000])
def test_consumer_pages_equal_direct_get_pages(stream_with_events: str, size: int) -> None:
    """The paging consumer answers what a batch direct get answers: the same messages and
    the same count of those still to come, page after page (one consumer, its cursor
    reused), for the whole stream and for a narrow filter, and nothing past the end."""

    async def compare() -> tuple[int, int]:
        reader = BulkReader(nats_url(), timeout=5)
        compared, consumers = 0, set()
        try:
            for subject in (">", f"{stream_with_events.lower()}.*.*.made"):
                read = partial(reader.page, stream_with_events, subject, size=size)
                async for start, ours, ours_pending in _pages(read):
                    assert reader._cursor is not None
                    consumers.add(reader._cursor.name)
                    theirs, pending = await reader.batch(stream_with_events, subject, start, size)
                    assert list(map(_koers_view, ours)) == list(map(_koers_view, theirs))
                    assert ours_pending == pending
                    compared += len(ours)
            assert await reader.page(stream_with_events, ">", 10**6, 5) == ([], 0)
        finally:
            await reader.close()
        return compared, len(consumers)

    # two filters read in order: one consumer each
    assert asyncio.run(compare()) == (180, 2)


def test_a_page_elsewhere_or_after_the_consumer_vanished_makes_a_new_one(
    stream_with_events: str,
) -> None:
    """Only a page that starts where the last one ended reuses the consumer; a jump replaces
    it (the old one is deleted), and a consumer the server dropped is made again."""

    async def run() -> None:
        nc = await nats.connect(nats_url())
        js = nc.jetstream()
        reader = BulkReader(nats_url(), timeout=5)
        try:
            first, _ = await reader.page(stream_with_events, ">", 1, 10)
            assert [m.seq for m in first] == list(range(1, 11))
            cursor = reader._cursor
            assert cursor is not None
            assert cursor.next == 11
            jumped, _ = await reader.page(stream_with_events, ">", 50, 3)
            assert [m.seq for m in jumped] == [50, 51, 52]
            assert reader._cursor is not None
            assert reader._cursor.name != cursor.name
            names = {c.name for c in await js.consumers_info(stream_with_events)}
            assert cursor.name not in names
            assert reader._cursor.name in names
            await js.delete_consumer(stream_with_events, reader._cursor.name)
            after, pending = await reader.page(stream_with_events, ">", 53, 5)
            assert [m.seq for m in after] == [53, 54, 55, 56, 57]
            assert pending == 90 - 57
        finally:
            await reader.close()
            await nc.close()

    asyncio.run(run())


def test_a_dropped_connection_is_reopened_on_the_next_read(stream_with_events: str) -> None:
    async def run() -> None:
        reader = BulkReader(nats_url(), timeout=5)
        try:
            first, _ = await reader.batch(stream_with_events, ">", 1, 5)
            assert reader._writer is not None
            reader._writer.transport.abort()  # the line drops under the reader
            with pytest.raises((ConnectionError, OSError)):
                await reader.batch(stream_with_events, ">", 1, 5)
            again, _ = await reader.batch(stream_with_events, ">", 1, 5)
            assert [m.seq for m in again] == [m.seq for m in first]
        finally:
            await reader.close()

    asyncio.run(run())


def test_lazy_headers_find_what_a_full_parse_finds() -> None:
    raw = b"NATS/1.0\r\nNats-Sequence: 12\r\nKoers-Topic: a:B.C\r\nNote: caf\xc3\xa9 \r\n\r\n"
    headers = LazyHeaders(raw)
    assert headers["Nats-Sequence"] == "12"
    assert headers["Note"] == "café"
    assert headers.get("Missing") is None
    assert "Koers-Topic" in headers
    assert dict(headers) == {"Nats-Sequence": "12", "Koers-Topic": "a:B.C", "Note": "café"}


@pytest.mark.parametrize(
    ("url", "usable"),
    [
        ("nats://127.0.0.1:4222", True),
        ("nats://127.0.0.1:4222,nats://127.0.0.1:4223", True),
        ("tls://127.0.0.1:4222", False),
        ("nats://user:secret@127.0.0.1:4222", False),
    ],
)
def test_only_plain_urls_use_the_bulk_reader(url: str, usable: bool) -> None:
    assert BulkReader.usable(url) is usable


def test_the_lean_readers_go_on_to_the_next_server_of_the_list(stream_with_events: str) -> None:
    """A cluster's URL list whose first node is down: the bulk reader and the audit trail's
    stream reader read from the next one (they used to try the first alone)."""
    from ledger.audit._reader import StreamReader
    from ledger.embedded._config import free_port

    urls = f"nats://127.0.0.1:{free_port()},{nats_url()}"  # nothing listens on the first

    async def read() -> tuple[int, int]:
        bulk = BulkReader(urls, timeout=5)
        try:
            found, _ = await bulk.batch(stream_with_events, ">", 1, 1000)
        finally:
            await bulk.close()
        frames = [f async for batch in StreamReader(urls, 5).frames(stream_with_events, 1, 90)
                  for f in batch]  # fmt: skip
        return len(found), len(frames)

    assert asyncio.run(read()) == (90, 90)

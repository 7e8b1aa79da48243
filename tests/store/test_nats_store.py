"""Behaviour of the NATS store beyond the library's contract: subjects, headers, stream
configuration, idempotent retries, atomicity across aggregates, and each failure's error."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import logging
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nats
import orjson
import pytest
from eventsourcing.persistence import InfrastructureFactory, IntegrityError, StoredEvent, Tracking
from eventsourcing.utils import Environment
from nats.js import api

from ledger.errors import (
    BatchTooLarge,
    ConcurrencyConflict,
    EventTooLarge,
    StoreUnavailable,
    StreamConfigError,
)
from ledger.nats import NATSFactory
from ledger.nats._access import StreamAccess
from ledger.nats._client import OutMessage, RawMessage
from ledger.nats._foreign import ForeignNotification
from ledger.nats._keys import key_id, load_signing_key, trusted_keys
from ledger.nats._signing import signature_problem
from ledger.nats._writer import Check
from tests.conftest import fresh_env, nats_url
from tests.examples import Tallies, register_topics

TOPIC = "koers.example:Decision.Made"
register_topics(TOPIC)


@pytest.fixture
def factory(env: dict[str, str]) -> Iterator[NATSFactory]:
    made = InfrastructureFactory.construct(Environment("", env))
    assert isinstance(made, NATSFactory)
    yield made
    made.close()


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


async def raw_messages(stream: str, subject: str = ">") -> list[nats.aio.msg.Msg]:
    nc = await nats.connect(nats_url())
    try:
        js = nc.jetstream()
        sub = await js.subscribe(subject, stream=stream, ordered_consumer=True)
        info = await js.stream_info(stream, subjects_filter=subject)
        count = sum((info.state.subjects or {}).values())
        out = [await sub.next_msg(timeout=2) for _ in range(count)]
        await sub.unsubscribe()
        return out
    finally:
        await nc.close()


def event(oid: uuid.UUID, version: int, state: bytes = b'{"x":1}') -> StoredEvent:
    return StoredEvent(oid, version, TOPIC, state)


# -- subjects, headers, payloads -------------------------------------------------------------


def test_events_land_on_kind_id_type_subjects_with_plain_json_and_digest(
    env: dict[str, str],
) -> None:
    app = Tallies(env=env)
    try:
        tally_id = app.start("subjects")
        app.increment(tally_id, by="ann")
    finally:
        app.close()
    messages = run(raw_messages(env["NATS_STREAM"]))
    prefix = env["NATS_STREAM"].lower()
    assert [m.subject for m in messages] == [
        f"{prefix}.tally.{tally_id}.started",
        f"{prefix}.tally.{tally_id}.incremented",
    ]
    for message in messages:
        headers = message.headers or {}
        assert headers["Koers-Payload-Sha256"] == hashlib.sha256(message.data).hexdigest()
        assert headers["Koers-Originator-Id"] == str(tally_id)
        assert headers["Koers-Type"] in ("tally.started", "tally.incremented")
        assert headers["Nats-Msg-Id"]
        assert isinstance(orjson.loads(message.data), dict)  # plain JSON, not compressed
    assert orjson.loads(messages[1].data)["by"] == "ann"


def test_every_message_written_is_signed_with_the_signing_key(factory: NATSFactory) -> None:
    recorder = factory.process_recorder()
    oid = uuid.uuid4()
    recorder.insert_events([event(oid, 1)], tracking=Tracking("upstream", 7))
    messages = run(raw_messages(factory.settings.stream))
    assert len(messages) == 2  # the event and the tracking record
    key = load_signing_key(factory.env["KOERS_SIGNING_KEY"])
    keys = trusted_keys(key.public_key(), None)
    for seq, message in enumerate(messages, start=1):
        stored = RawMessage(seq, message.subject, message.headers or {}, message.data)
        assert stored.headers["Koers-Key-Id"] == key_id(key)
        assert signature_problem(stored, keys) is None
        forged = RawMessage(seq, message.subject, stored.headers, message.data + b" ")
        assert (
            signature_problem(forged, keys)
            == f"the signature does not verify with key {key_id(key)}"
        )


def test_the_key_is_made_on_the_first_write_not_by_readers(tmp_path: Path) -> None:
    env = fresh_env(KOERS_DATA_DIR=str(tmp_path))
    del env["KOERS_SIGNING_KEY"]  # the data directory's key, created on first use
    factory = InfrastructureFactory.construct(Environment("", env))
    try:
        recorder = factory.aggregate_recorder()
        assert recorder.select_events(uuid.uuid4()) == []
        assert not (tmp_path / "audit" / "signing.key").exists()
        recorder.insert_events([event(uuid.uuid4(), 1)])
        assert (tmp_path / "audit" / "signing.key").exists()
    finally:
        factory.close()


def test_events_go_out_unsigned_when_signing_is_turned_off() -> None:
    env = fresh_env(KOERS_SIGN_EVENTS="no")
    factory = InfrastructureFactory.construct(Environment("", env))
    try:
        factory.aggregate_recorder().insert_events([event(uuid.uuid4(), 1)])
    finally:
        factory.close()
    (message,) = run(raw_messages(env["NATS_STREAM"]))
    stored = RawMessage(1, message.subject, message.headers or {}, message.data)
    assert "Koers-Signature" not in stored.headers
    assert signature_problem(stored, {}) == "unsigned"


def test_a_client_can_filter_by_kind_and_by_type_without_decoding(env: dict[str, str]) -> None:
    app = Tallies(env=env)
    try:
        first = app.start("a")
        app.start("b")
        app.increment(first, by="x")
    finally:
        app.close()
    prefix = env["NATS_STREAM"].lower()
    increments = run(raw_messages(env["NATS_STREAM"], f"{prefix}.*.*.incremented"))
    everything_of_first = run(raw_messages(env["NATS_STREAM"], f"{prefix}.tally.{first}.*"))
    assert len(increments) == 1
    assert len(everything_of_first) == 2


# -- the stream's configuration --------------------------------------------------------------


def test_the_stream_is_created_with_the_audited_configuration(factory: NATSFactory) -> None:
    factory.application_recorder()

    async def info() -> api.StreamConfig:
        nc = await nats.connect(nats_url())
        try:
            return (await nc.jetstream().stream_info(factory.settings.stream)).config
        finally:
            await nc.close()

    config = run(info())
    assert config.storage == api.StorageType.FILE
    assert config.deny_delete
    assert config.deny_purge
    assert not config.allow_rollup_hdrs
    assert config.discard == api.DiscardPolicy.NEW
    assert config.allow_atomic
    assert config.allow_direct
    assert config.duplicate_window >= 120
    assert config.compression == api.StoreCompression.S2
    assert not config.allow_msg_ttl


def _create_weak_stream(name: str) -> None:
    async def create() -> None:
        nc = await nats.connect(nats_url())
        try:
            await nc.jetstream().add_stream(
                api.StreamConfig(name=name, subjects=[f"{name.lower()}.>"], allow_direct=True)
            )
        finally:
            await nc.close()

    run(create())


def test_a_weaker_existing_stream_is_refused_with_what_is_wrong() -> None:
    env = fresh_env()
    _create_weak_stream(env["NATS_STREAM"])
    factory = InfrastructureFactory.construct(Environment("", env))
    try:
        with pytest.raises(StreamConfigError) as caught:
            factory.application_recorder()
    finally:
        factory.close()
    message = str(caught.value)
    for problem in ("deny_delete", "deny_purge", "discard", "allow_atomic", "compression"):
        assert problem in message
    assert "NATS_ACCEPT_WEAK_STREAM" in message


def test_the_documented_override_accepts_a_weaker_stream_and_logs_why(
    caplog: pytest.LogCaptureFixture,
) -> None:
    env = fresh_env(NATS_ACCEPT_WEAK_STREAM="yes")
    _create_weak_stream(env["NATS_STREAM"])
    factory = InfrastructureFactory.construct(Environment("", env))
    try:
        with caplog.at_level(logging.WARNING):
            factory.application_recorder()
    finally:
        factory.close()
    assert any("deny_delete" in r.getMessage() for r in caplog.records)


# -- atomicity and concurrency ---------------------------------------------------------------


def test_one_insert_spanning_aggregates_is_all_or_nothing(factory: NATSFactory) -> None:
    recorder = factory.application_recorder()
    a, b = uuid.uuid4(), uuid.uuid4()
    recorder.insert_events([event(b, 1)])
    with pytest.raises(IntegrityError):
        recorder.insert_events([event(a, 1), event(a, 2), event(b, 1)])
    assert recorder.select_events(a) == []
    assert recorder.max_notification_id() == 1


def test_concurrent_saves_are_isolated_one_conflict_fails_no_other(factory: NATSFactory) -> None:
    recorder = factory.application_recorder()
    contested = uuid.uuid4()
    recorder.insert_events([event(contested, 1)])
    start = threading.Barrier(24)

    def save(number: int) -> str:
        start.wait()
        # Every third save re-writes version 1 of the contested aggregate: a conflict.
        events = [event(contested, 1)] if number % 3 == 0 else [event(uuid.uuid4(), 1)]
        try:
            recorder.insert_events(events)
        except ConcurrencyConflict:
            return "conflict"
        return "ok"

    with ThreadPoolExecutor(24) as pool:
        results = list(pool.map(save, range(24)))
    assert results.count("conflict") == 8
    assert results.count("ok") == 16
    ids = [n.id for n in recorder.select_notifications(None, 100)]
    assert ids == list(range(1, 18))


def test_a_conflict_names_the_aggregate_and_the_positions(factory: NATSFactory) -> None:
    recorder = factory.application_recorder()
    oid = uuid.uuid4()
    recorder.insert_events([event(oid, 1), event(oid, 2)])
    with pytest.raises(ConcurrencyConflict) as caught:
        recorder.insert_events([event(oid, 2)])
    assert str(oid) in caught.value.subject
    assert caught.value.actual == 2
    assert "Reload it and try again" in str(caught.value)


def test_a_retried_write_whose_ack_was_lost_is_stored_once(factory: NATSFactory) -> None:
    """The same write sent twice (same message ids, same expectation) lands once; the
    second attempt is recognised as the first one's and answers the same positions."""
    recorder = factory.application_recorder()
    access: StreamAccess = recorder.access  # type: ignore[attr-defined]
    oid = uuid.uuid4()
    subject = access.scheme.aggregate_filter(oid)
    headers = {
        "Nats-Msg-Id": f"{uuid.uuid4().hex}-0",
        "Koers-Originator-Id": str(oid),
        "Koers-Version": "1",
        "Koers-Topic": TOPIC,
        "Koers-Type": "decision.made",
        "Koers-Payload-Sha256": hashlib.sha256(b"{}").hexdigest(),
        "Nats-Expected-Last-Subject-Sequence": "0",
        "Nats-Expected-Last-Subject-Sequence-Subject": subject,
    }
    message = OutMessage(access.scheme.event_subject(oid, TOPIC), b"{}", headers)
    signer = factory.signer()
    assert signer is not None
    signer.sign(message)  # as the store's own writes are (readers skip unsigned events)
    first = access.call(access.committer.commit([message], [Check(subject, 0, 0)]))
    again = access.call(access.committer.commit([message], [Check(subject, 0, 0)]))
    assert first == again == [1]
    assert len(recorder.select_events(oid)) == 1
    assert recorder.max_notification_id() == 1


# -- failures, each with its own clear error --------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_nats_unreachable_is_one_clear_error_quickly() -> None:
    env = fresh_env(NATS_URL=f"nats://127.0.0.1:{_closed_port()}", NATS_TIMEOUT="1")
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as caught:
        InfrastructureFactory.construct(Environment("", env))
    assert time.monotonic() - started < 10
    assert "not reachable" in str(caught.value)
    assert "NATS_URL" in str(caught.value)


def test_a_server_that_never_answers_leaves_no_socket_open() -> None:
    """A connect cut off by the store's timeout mid-handshake closes its socket. (nats-py
    closes the socket of an attempt that fails, not of one cancelled: it stayed open until
    garbage collection, after its loop had closed, and failed whichever test ran then.)"""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:  # accepts and stays silent: no INFO, so no handshake ever ends
        with contextlib.suppress(OSError):
            while True:
                accepted.append(listener.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    port = listener.getsockname()[1]
    env = fresh_env(NATS_URL=f"nats://127.0.0.1:{port}", NATS_TIMEOUT="1")
    unraisable: list[str] = []
    hook, sys.unraisablehook = sys.unraisablehook, lambda u: unraisable.append(str(u.exc_value))
    try:
        with pytest.raises(StoreUnavailable, match="not reachable"):
            InfrastructureFactory.construct(Environment("", env))
        gc.collect()
    finally:
        sys.unraisablehook = hook
        listener.close()
        for peer in accepted:
            peer.close()
    assert accepted  # the connect did reach the listener
    assert unraisable == []


def test_a_too_large_event_is_refused_before_anything_is_sent(factory: NATSFactory) -> None:
    recorder = factory.application_recorder()
    oid = uuid.uuid4()
    with pytest.raises(EventTooLarge) as caught:
        recorder.insert_events([event(oid, 1), event(oid, 2, b"x" * 2_000_000)])
    assert "bytes" in str(caught.value)
    assert recorder.max_notification_id() is None


def test_a_save_over_the_batch_limit_is_refused() -> None:
    env = fresh_env(NATS_MAX_BATCH="10")
    factory = InfrastructureFactory.construct(Environment("", env))
    try:
        recorder = factory.application_recorder()
        oid = uuid.uuid4()
        with pytest.raises(BatchTooLarge) as caught:
            recorder.insert_events([event(oid, v) for v in range(1, 12)])
        assert recorder.max_notification_id() is None
        assert "max_msgs" in str(caught.value)
    finally:
        factory.close()


def test_a_batch_over_the_servers_own_limit_is_refused_by_the_server() -> None:
    env = fresh_env(NATS_MAX_BATCH="9000")  # the test server allows 5000
    factory = InfrastructureFactory.construct(Environment("", env))
    try:
        recorder = factory.application_recorder()
        oid = uuid.uuid4()
        with pytest.raises(BatchTooLarge):
            recorder.insert_events([event(oid, v) for v in range(1, 5100)])
        assert recorder.max_notification_id() is None
    finally:
        factory.close()


@pytest.mark.parametrize("pages_from", [None, 1], ids=["direct-get", "paging-consumer"])
def test_a_foreign_message_is_marked_in_notifications_and_left_out_of_aggregates(
    factory: NATSFactory, pages_from: int | None
) -> None:
    """Messages on the ledger's subjects that Koers did not write: one without headers, one
    with a forged digest on the aggregate's own subject. Aggregate reads leave them out;
    notifications mark them, in order, with why; asked for topics, they are left out. Read
    either way (direct gets, or the paging consumer of long reads)."""
    recorder = factory.application_recorder()
    recorder.access.consumer_pages_from = pages_from
    oid = uuid.uuid4()
    recorder.insert_events([event(oid, 1)])
    prefix = factory.settings.subject_prefix
    forged = {"Koers-Originator-Id": str(oid), "Koers-Version": "2", "Koers-Topic": TOPIC,
              "Koers-Type": "decision.made", "Koers-Payload-Sha256": "0" * 64}  # fmt: skip

    async def publish_foreign() -> None:
        nc = await nats.connect(nats_url())
        try:
            js = nc.jetstream()
            await js.publish(f"{prefix}.x.y.z", b"not ours")
            await js.publish(f"{prefix}.decision.{oid}.made", b'{"x":2}', headers=forged)
        finally:
            await nc.close()

    run(publish_foreign())
    with pytest.raises(ConcurrencyConflict):  # the writer knew version 1 as the last message
        recorder.insert_events([event(oid, 2)])
    recorder.insert_events([event(oid, 2)])  # the retry looks again: not jammed by the forgery
    notes = recorder.select_notifications(None, 10)
    assert [(n.id, type(n).__name__) for n in notes] == [
        (1, "Notification"), (2, "ForeignNotification"), (3, "ForeignNotification"),
        (4, "Notification"),
    ]  # fmt: skip
    assert isinstance(notes[1], ForeignNotification)
    assert isinstance(notes[2], ForeignNotification)
    assert (notes[1].subject, notes[1].reason) == (
        f"{prefix}.x.y.z",
        "it has no Koers-Originator-Id header",
    )
    assert notes[2].claimed_type == "decision.made"
    assert "SHA-256" in notes[2].reason
    assert [e.originator_version for e in recorder.select_events(oid)] == [1, 2]
    assert [e.originator_version for e in recorder.select_events(oid, desc=True, limit=1)] == [2]
    assert [n.id for n in recorder.select_notifications(None, 10, topics=[TOPIC])] == [1, 4]

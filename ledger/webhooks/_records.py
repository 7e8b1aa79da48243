"""What the webhooks keep on NATS: deliveries to send, and one record per delivery's end.

Exactly once, per delivery (one event for one webhook, id :func:`delivery_id`):

- the fan-out publishes the delivery on ``send.<delivery>`` expecting the subject to be empty
  (``Nats-Expected-Last-Subject-Sequence: 0``): a redelivered ledger event, a restarted or
  second worker finds it there and adds nothing;
- a sender POSTs it only when ``done.<delivery>`` is absent, and after the receiver's 2xx
  writes that record, again create-if-absent; only then is the message acknowledged.

The one window nobody can close: a worker killed after the receiver answered 2xx and before
``done.<delivery>`` is stored. The message is redelivered (after ``ack_wait``) and POSTed
again, with the same ``webhook-id``: receivers dedupe by it, as the Standard Webhooks
specification asks. At most the deliveries a worker had in flight when it died are sent
twice.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

import orjson
from nats.aio.client import Client
from nats.js import JetStreamContext, api
from nats.js.errors import APIError, NotFoundError

from ledger.nats._client import direct_get_last_each
from ledger.webhooks._names import HookNames

__all__ = [
    "WRONG_LAST_SEQUENCE",
    "Failure",
    "SideStream",
    "delivery_id",
    "done_among",
    "event_body",
    "failure_headers",
    "failure_of",
    "hooks_config",
    "is_done",
    "once",
    "publish_once",
    "read_failures",
    "test_body",
    "test_delivery_id",
]

WRONG_LAST_SEQUENCE = 10071
H_WEBHOOK = "Koers-Webhook-Id"
H_OWNER = "Koers-Webhook-Owner"
_NAMESPACE = uuid5(NAMESPACE_URL, "https://koers.invalid/webhook-deliveries")


def delivery_id(webhook: UUID, position: int) -> str:
    """The id of the delivery of the event at ``position`` to ``webhook`` (its
    ``webhook-id``): derived from both, the same in every worker and after every restart."""
    return "msg_" + uuid5(_NAMESPACE, f"{webhook}/{position}").hex


def test_delivery_id() -> str:
    return "msg_test_" + uuid4().hex


@dataclass(frozen=True)
class SideStream:
    """A stream beside the ledger (webhook deliveries, notifications, the workers' schedules
    and dead letters), declared by what it holds and what it needs besides what they all have
    (on file, every subject below its prefix, a two-minute duplicate window, direct gets).

    ``discard``: what a full stream does; ``atomic``: it takes atomic batches; ``schedules``:
    message schedules and per-message TTLs."""

    holds: str
    discard: api.DiscardPolicy
    atomic: bool = False
    schedules: bool = False

    def config(
        self, name: str, prefix: str, replicas: int, max_age: float | None = None
    ) -> api.StreamConfig:
        """Its configuration as ``name`` on ``prefix.>``, with ``replicas`` copies; an age
        limit in seconds if ``max_age`` is given."""
        more: dict[str, Any] = {"max_age": max_age} if max_age is not None else {}
        if self.atomic:
            more["allow_atomic"] = True
        if self.schedules:
            more.update(allow_msg_schedules=True, allow_msg_ttl=True)
        return api.StreamConfig(
            name=name,
            description=self.holds,
            subjects=[f"{prefix}.>"],
            storage=api.StorageType.FILE,
            num_replicas=replicas,
            duplicate_window=120.0,
            allow_direct=True,
            discard=self.discard,
            **more,
        )


#: The fan-out stores a fetched batch's deliveries in one write (atomic).
HOOKS_STREAM = SideStream(
    "Koers webhooks: deliveries to send, delivered and failed records",
    api.DiscardPolicy.OLD,
    atomic=True,
)


def hooks_config(names: HookNames, replicas: int, keep_seconds: float) -> api.StreamConfig:
    return HOOKS_STREAM.config(names.hooks_stream, names.hooks_prefix, replicas, keep_seconds)


def event_body(
    *,
    type: str,
    schema: int,
    position: int,
    timestamp: str,
    aggregate_id: UUID,
    version: int,
    payload: dict[str, Any],
) -> bytes:
    """What a webhook receives for one event: the event as published in the ledger."""
    return orjson.dumps(
        {
            "type": type,
            "schema_version": schema,
            "position": position,
            "timestamp": timestamp,
            "aggregate_id": str(aggregate_id),
            "aggregate_version": version,
            "payload": payload,
        }
    )


def test_body(webhook: UUID, by: str) -> bytes:
    """A test delivery's body (``koers webhooks test``): no event, type ``webhook.test``."""
    return orjson.dumps(
        {
            "type": "webhook.test",
            "schema_version": 1,
            "position": None,
            "timestamp": datetime.now(UTC).isoformat(),
            "aggregate_id": str(webhook),
            "aggregate_version": None,
            "payload": {"webhook_id": str(webhook), "requested_by": by},
        }
    )


def once(headers: dict[str, str], msg_id: str) -> dict[str, str]:
    """``headers`` marked to be stored only on an empty subject (and deduplicated by id)."""
    return {**headers, "Nats-Msg-Id": msg_id, "Nats-Expected-Last-Subject-Sequence": "0"}


async def publish_once(
    js: JetStreamContext,
    subject: str,
    body: bytes,
    headers: dict[str, str],
    *,
    msg_id: str,
    timeout: float,
) -> bool:
    """Store ``body`` on ``subject`` unless the subject holds a message already; ``True``
    when this call stored it."""
    marked = once(headers, msg_id)
    try:
        ack = await js.publish(subject, body, timeout=timeout, headers=marked)
    except APIError as e:
        if e.err_code == WRONG_LAST_SEQUENCE:
            return False
        raise
    return not ack.duplicate


async def is_done(js: JetStreamContext, names: HookNames, delivery: str) -> bool:
    try:
        await js.get_last_msg(names.hooks_stream, names.done_subject(delivery))
    except NotFoundError:
        return False
    return True


async def done_among(
    nc: Client, names: HookNames, deliveries: list[str], timeout: float
) -> set[str]:
    """Which of ``deliveries`` have their ``done`` record: one request for them all (a
    sender's fetched batch), where :func:`is_done` is one per delivery. Read by direct get,
    which any replica of the stream may answer: a record written a moment ago elsewhere may
    be missing from the answer, never a record that is not there."""
    subjects = [names.done_subject(d) for d in deliveries]
    found = await direct_get_last_each(nc, names.hooks_stream, subjects, timeout)
    return {names.delivery_of(m.subject) for m in found}


@dataclass(frozen=True)
class Failure:
    """A delivery given up on (``koers webhooks failures``): its id (the ``webhook-id``,
    replay it by this), its webhook, how often and until when it was tried, the last error,
    and the JSON body that was POSTed."""

    delivery: str
    webhook_id: str
    owner: str
    url: str
    attempts: int
    first_attempt: str
    failed_at: str
    last_error: str
    sequence: int
    body: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def failure_headers(
    *, webhook: UUID, owner: str, url: str, attempts: int, first: datetime, error: str
) -> dict[str, str]:
    return {
        H_WEBHOOK: str(webhook),
        H_OWNER: owner,
        "Koers-Webhook-Url": url,
        "Koers-Attempts": str(attempts),
        "Koers-First-Attempt": first.isoformat(),
        "Koers-Failed-At": datetime.now(UTC).isoformat(),
        "Koers-Last-Error": " ".join(error.split()).encode("ascii", "replace").decode()[:500],
    }


def failure_of(names: HookNames, subject: str, seq: int, headers: Any, data: bytes) -> Failure:
    h = dict(headers or {})
    return Failure(
        delivery=names.delivery_of(subject),
        webhook_id=h.get(H_WEBHOOK, ""),
        owner=h.get(H_OWNER, ""),
        url=h.get("Koers-Webhook-Url", ""),
        attempts=int(h.get("Koers-Attempts", "0")),
        first_attempt=h.get("Koers-First-Attempt", ""),
        failed_at=h.get("Koers-Failed-At", ""),
        last_error=h.get("Koers-Last-Error", ""),
        sequence=seq,
        body=data.decode("utf-8", "replace"),  # JSON as the fan-out wrote it: UTF-8
    )


async def read_failures(js: JetStreamContext, names: HookNames) -> list[Failure]:
    """Every failed delivery not delivered since (by a replay), oldest failure first."""
    try:
        info = await js.stream_info(names.hooks_stream, subjects_filter=names.failed_filter)
    except NotFoundError:
        return []
    found: list[Failure] = []
    for subject in sorted(info.state.subjects or {}):
        try:
            raw = await js.get_last_msg(names.hooks_stream, subject)
        except NotFoundError:
            continue
        failure = failure_of(names, subject, raw.seq or 0, raw.headers, raw.data or b"")
        if not await is_done(js, names, failure.delivery):
            found.append(failure)
    return sorted(found, key=lambda f: f.sequence)

"""ADR-50 atomic batch publish (nats-py has the header names, not the protocol).

The first and the last message are requests (the server answers the first with an empty
reply, or an error; the last with the batch's ack), the others plain publishes. All the
messages are stored, with one fsync, or none is. The stream needs ``allow_atomic: true``.

:func:`store_once` builds on it for messages each stored only on an empty subject (the
webhooks' deliveries and their ``done`` records, :func:`ledger.webhooks.once`).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import orjson
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.errors import APIError

from ledger.webhooks._records import WRONG_LAST_SEQUENCE

__all__ = ["MOST_PER_WRITE", "Message", "publish_batch", "store_once"]

log = logging.getLogger("workers")
Message = tuple[str, bytes, dict[str, str]]
#: Messages per atomic write (the server takes up to 1,000 in one).
MOST_PER_WRITE = 500


async def publish_batch(nc: Client, messages: list[Message], timeout: float) -> dict[str, Any]:
    """Store ``messages`` atomically; the server's ack. Raises ``APIError`` when refused."""
    if not messages:
        raise ValueError("an atomic batch needs at least one message")
    batch_id = uuid.uuid4().hex
    last = len(messages)
    for index, (subject, payload, headers) in enumerate(messages, start=1):
        marked = {**headers, "Nats-Batch-Id": batch_id, "Nats-Batch-Sequence": str(index)}
        if index == last:
            marked["Nats-Batch-Commit"] = "1"
        if index in (1, last):
            reply = await nc.request(subject, payload, timeout=timeout, headers=marked)
            answer: dict[str, Any] = orjson.loads(reply.data) if reply.data else {}
            if "error" in answer:
                error = answer["error"]
                raise APIError(
                    code=error.get("code"),
                    err_code=error.get("err_code"),
                    description=error.get("description"),
                )
            if index == last:
                return answer
        else:
            await nc.publish(subject, payload, headers=marked)
    raise AssertionError("unreachable")


async def store_once(
    nc: Client, js: JetStreamContext, messages: list[Message], timeout: float
) -> list[Exception | None]:
    """Store each message unless its subject holds one already (its headers say so), in
    atomic writes of up to :data:`MOST_PER_WRITE` (one fsync each, not one per message).
    A write the server refuses (one of its messages is there already: stored before by a
    redelivery or another worker) stores nothing; its messages are then stored one by one,
    each if absent. For each message, what went wrong (``None``: stored now or before)."""
    errors: list[Exception | None] = []
    for start in range(0, len(messages), MOST_PER_WRITE):
        chunk = messages[start : start + MOST_PER_WRITE]
        if len(chunk) > 1:  # a batch of one is staged on disk: dearer than one publish
            try:
                await publish_batch(nc, chunk, timeout)
            except Exception as e:
                log.debug("atomic write of %d refused, storing one by one: %r", len(chunk), e)
            else:
                errors += [None] * len(chunk)
                continue
        errors += await asyncio.gather(*(_store_if_absent(js, m, timeout) for m in chunk))
    return errors


async def _store_if_absent(
    js: JetStreamContext, message: Message, timeout: float
) -> Exception | None:
    subject, body, headers = message
    try:
        await js.publish(subject, body, timeout=timeout, headers=headers)
    except APIError as e:
        return None if e.err_code == WRONG_LAST_SEQUENCE else e  # there before: stored
    except Exception as e:
        return e
    return None

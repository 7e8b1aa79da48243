"""ADR-50 atomic batch publish (nats-py has the header names, not the protocol).

The first and the last message are requests (the server answers the first with an empty
reply, or an error; the last with the batch's ack), the others plain publishes. All the
messages are stored, with one fsync, or none is. The stream needs ``allow_atomic: true``.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from nats.aio.client import Client
from nats.js.errors import APIError

__all__ = ["Message", "publish_batch"]

Message = tuple[str, bytes, dict[str, str]]


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

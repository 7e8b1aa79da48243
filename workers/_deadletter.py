"""Dead letters: a message that could not be processed, kept with why, once.

A dead letter is published on ``<prefix>_dlq.<source stream>.<sequence>`` in ``<STREAM>_DLQ``:

- payload: the original payload, byte for byte (cut to ``MAX_KEPT`` bytes when it would not
  fit in a message with its headers; ``Koers-Dlq-Size`` then gives the original size: the
  original itself stays in its stream at ``Koers-Dlq-Sequence``, the ledger deletes nothing);
- headers: each original header as ``Original-<name>`` (so the copy is never mistaken for an
  event, and ``Nats-*`` headers keep no server meaning), plus ``Koers-Dlq-Reason``,
  ``Koers-Dlq-Stream``, ``Koers-Dlq-Sequence``, ``Koers-Dlq-Subject``, ``Koers-Dlq-Consumer``,
  ``Koers-Dlq-Deliveries``, ``Koers-Dlq-Size``, ``Koers-Dlq-Stored`` (when the original was
  stored) and ``Koers-Dlq-At``.

Exactly once: the publish expects the subject to be empty
(``Nats-Expected-Last-Subject-Sequence: 0``), so a second replica or a redelivery finds it
there already; :func:`dead_letter` then answers ``False`` and the caller logs nothing.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.errors import APIError, NotFoundError

from workers._names import Names

__all__ = ["DeadLetter", "Publish", "dead_letter", "read_dead_letters"]

#: publishes (subject, payload, headers) on the dead-letter stream
Publish = Callable[[str, bytes, dict[str, str]], Awaitable[Any]]

MAX_KEPT = 64 * 1024
WRONG_LAST_SEQUENCE = 10071
H_REASON = "Koers-Dlq-Reason"


def _ascii(text: str, limit: int = 1000) -> str:
    one_line = " ".join(str(text).split())
    return one_line.encode("ascii", "backslashreplace").decode("ascii")[:limit]


async def dead_letter(
    publish: Publish,
    names: Names,
    msg: Msg,
    reason: str,
) -> bool:
    """Dead-letter ``msg``; ``True`` when this call stored it, ``False`` when it was already."""
    meta = msg.metadata
    data = msg.data or b""
    headers = {f"Original-{k}": _ascii(v) for k, v in (msg.headers or {}).items()}
    headers.update(
        {
            H_REASON: _ascii(reason),
            "Koers-Dlq-Stream": meta.stream,
            "Koers-Dlq-Sequence": str(meta.sequence.stream),
            "Koers-Dlq-Subject": _ascii(msg.subject, 400),
            "Koers-Dlq-Consumer": meta.consumer,
            "Koers-Dlq-Deliveries": str(meta.num_delivered),
            "Koers-Dlq-Size": str(len(data)),
            "Koers-Dlq-Stored": meta.timestamp.isoformat(),
            "Koers-Dlq-At": datetime.now(UTC).isoformat(),
            "Nats-Msg-Id": f"dlq-{meta.stream}-{meta.sequence.stream}",
            "Nats-Expected-Last-Subject-Sequence": "0",
        }
    )
    try:
        await publish(
            names.dlq_subject(meta.stream, meta.sequence.stream), data[:MAX_KEPT], headers
        )
    except APIError as e:
        if e.err_code == WRONG_LAST_SEQUENCE:
            return False
        raise
    return True


@dataclass(frozen=True)
class DeadLetter:
    """One dead letter, as ``koers deadletters`` shows it."""

    sequence: int
    at: str
    stream: str
    source_sequence: int
    subject: str
    reason: str
    deliveries: int
    size: int
    headers: dict[str, str]
    payload: str  # UTF-8 text, or base64 when it is not text
    payload_encoding: str  # "utf-8" or "base64"
    truncated: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def read_dead_letters(js: JetStreamContext, names: Names) -> list[DeadLetter]:
    """Every dead letter, oldest first (an empty list when there is no dead-letter stream)."""
    try:
        info = await js.stream_info(names.dlq_stream)
    except NotFoundError:
        return []
    out: list[DeadLetter] = []
    if not info.state.messages:
        return out
    for seq in range(max(1, info.state.first_seq), info.state.last_seq + 1):
        try:
            raw = await js.get_msg(names.dlq_stream, seq)
        except NotFoundError:
            continue
        headers = dict(raw.headers or {})
        data = raw.data or b""
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = base64.b64encode(data).decode("ascii"), "base64"
        size = int(headers.get("Koers-Dlq-Size", len(data)))
        out.append(
            DeadLetter(
                sequence=seq,
                at=headers.get("Koers-Dlq-At", ""),
                stream=headers.get("Koers-Dlq-Stream", ""),
                source_sequence=int(headers.get("Koers-Dlq-Sequence", "0")),
                subject=headers.get("Koers-Dlq-Subject", ""),
                reason=headers.get(H_REASON, ""),
                deliveries=int(headers.get("Koers-Dlq-Deliveries", "0")),
                size=size,
                headers={
                    k.removeprefix("Original-"): v
                    for k, v in headers.items()
                    if k.startswith("Original-")
                },
                payload=text,
                payload_encoding=encoding,
                truncated=size > len(data),
            )
        )
    return out

"""Is a message on the ledger stream a Koers event? One check, run on every read.

The store writes every event with the same envelope (``_subjects``): the headers
``Koers-Originator-Id``, ``Koers-Version``, ``Koers-Topic``, ``Koers-Type`` and
``Koers-Payload-Sha256``, a topic naming an event class, and a subject built from them. A
message without that envelope was written by someone else (any NATS client with publish
rights on the ledger's subjects): it is *foreign*. :func:`foreign_reason` says why, in one
line, or ``None`` for a well-formed event.

Readers never hand a foreign message to the domain (see ``recorders``): aggregate reads skip
it, notification reads mark it (:class:`ForeignNotification`) so that each consumer sets it
aside in its quarantine. The check costs one SHA-256 of the payload and a few string
comparisons; the topic's class is looked up once per topic.

A topic is known when it resolves (``eventsourcing.utils.resolve_topic``, which also finds
topics registered with ``register_topic``) to a ``DomainEvent`` class.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import Notification
from eventsourcing.utils import resolve_topic

from ledger.nats._client import RawMessage
from ledger.nats._signing import SignatureCheck
from ledger.nats._subjects import (
    H_ORIGINATOR_ID,
    H_SHA256,
    H_TOPIC,
    H_TYPE,
    H_VERSION,
    id_token,
    kind_and_type,
)

__all__ = ["FOREIGN_TOPIC", "ForeignNotification", "foreign_reason", "unauthentic_reason"]

#: The topic of a :class:`ForeignNotification`: it resolves to nothing, so code that does
#: not know about foreign messages fails to decode one instead of trusting its claims.
FOREIGN_TOPIC = "(foreign message)"
_REQUIRED = (H_ORIGINATOR_ID, H_VERSION, H_TOPIC, H_TYPE, H_SHA256)
_known_topics: set[str] = set()


@dataclass(frozen=True)
class ForeignNotification(Notification):
    """A notification for a message that is not a Koers event: its position (``id``), its
    ``subject``, the type it claims (``Koers-Type``, if any) and why it is foreign. Its
    ``topic`` is :data:`FOREIGN_TOPIC` and its ``state`` the payload as stored."""

    subject: str = ""
    claimed_type: str | None = None
    reason: str = ""


def unauthentic_reason(
    message: RawMessage, *, text_ids: bool = False, signatures: SignatureCheck | None = None
) -> str | None:
    """Why ``message`` is not an event of this ledger: not a Koers event at all
    (:func:`foreign_reason`), or not signed by a key the ledger trusts (``signatures``);
    ``None`` when it is one. Readers set such a message aside alike."""
    reason = foreign_reason(message, text_ids=text_ids)
    if reason is None and signatures is not None:
        problem = signatures.problem(message)
        if problem is not None:
            reason = f"its signature does not hold: {problem}"
    return reason


def foreign_reason(message: RawMessage, *, text_ids: bool = False) -> str | None:
    """Why ``message`` is not a Koers event, or ``None`` when it is one (see the module doc).

    ``text_ids``: aggregate ids are text (``ORIGINATOR_ID_TYPE=text``), else UUIDs.
    """
    headers = message.headers
    missing = next((name for name in _REQUIRED if not headers.get(name)), None)
    if missing is not None:
        return f"it has no {missing} header"
    raw_id, raw_version = headers[H_ORIGINATOR_ID], headers[H_VERSION]
    try:
        oid: UUID | str = raw_id if text_ids else UUID(raw_id)
        version = int(raw_version)
    except ValueError:
        version = -1
    if version < 0:
        return f"its {H_ORIGINATOR_ID} {raw_id!r} or {H_VERSION} {raw_version!r} is not valid"
    if hashlib.sha256(message.data).hexdigest() != headers[H_SHA256]:
        return f"its payload does not have the SHA-256 its {H_SHA256} header states"
    return _naming_problem(message, oid)


def _naming_problem(message: RawMessage, oid: UUID | str) -> str | None:
    """Whether the topic names an event class, and the type and subject agree with it."""
    topic, claimed = message.headers[H_TOPIC], message.headers[H_TYPE]
    if not _known(topic):
        return f"its {H_TOPIC} {topic[:200]!r} names no event class"
    kind, type_ = kind_and_type(topic)
    if claimed != f"{kind}.{type_}":
        return f"its {H_TYPE} {claimed[:200]!r} does not match its topic ({kind}.{type_})"
    if not message.subject.endswith(f".{kind}.{id_token(oid)}.{type_}"):
        return "its subject does not match its headers"
    return None


def _known(topic: str) -> bool:
    """Whether ``topic`` names an event class (a positive answer is remembered)."""
    if topic in _known_topics:
        return True
    try:
        found = resolve_topic(topic)
    except Exception:  # an arbitrary topic may fail to import in any way: unknown
        return False
    if isinstance(found, type) and issubclass(found, DomainEvent):
        _known_topics.add(topic)
        return True
    return False

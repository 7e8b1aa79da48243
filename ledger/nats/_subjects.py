"""The subject scheme of the ledger stream, and the headers every event message carries.

Every event is one message on the subject::

    <prefix>.<kind>.<aggregate id>.<type>        e.g.  ledger.decision.5f0c…e1.made

- ``<prefix>``: ``NATS_SUBJECT_PREFIX`` (default: the stream name in lower case, ``ledger``);
- ``<kind>``: the aggregate kind, from the event's topic: the snake-cased name of the class
  that encloses the event class (``Decision.Made`` → ``decision``), or ``_`` when the event
  class is not nested in one;
- ``<aggregate id>``: the canonical UUID string, or a text id when it is made only of
  ``A-Z a-z 0-9 _ -`` (any other text id is written ``~`` + its UTF-8 bytes in hex);
- ``<type>``: the snake-cased event class name (``Made`` → ``made``).

So any NATS client can filter without decoding a payload: ``ledger.decision.>`` (every
decision event), ``ledger.*.*.made`` (one event type), ``ledger.*.<id>.*`` (one aggregate).
Tracking records (projection positions, written atomically with a process application's
events) use three tokens, ``<prefix>._tracking.<application>``, so ``<prefix>.*.*.*`` matches
events only.

Headers (all values ASCII): ``Nats-Msg-Id`` (unique per write attempt, reused by retries),
``Koers-Originator-Id``, ``Koers-Version``, ``Koers-Topic`` (the library's topic, exact),
``Koers-Type`` (``<kind>.<type>``), ``Koers-Schema`` (the event class's ``class_version``:
the payload validates against ``schemas/<Koers-Type>.v<Koers-Schema>.json``),
``Koers-Payload-Sha256`` (hex SHA-256 of the payload
bytes, the ground for the audit trail), ``Koers-Key-Id`` and ``Koers-Signature`` (the writer's
Ed25519 signature of the message, see ``ledger.nats._signing``). The payload is the event's
JSON, unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from uuid import UUID

from eventsourcing.utils import TopicError, get_topic, resolve_topic

__all__ = [
    "ENTRY_HEADERS",
    "EVENT_HEADERS",
    "H_KEY_ID",
    "H_MSG_ID",
    "H_ORIGINATOR_ID",
    "H_SCHEMA",
    "H_SHA256",
    "H_SIGNATURE",
    "H_TOPIC",
    "H_TYPE",
    "H_VERSION",
    "SubjectScheme",
    "event_type",
    "id_token",
    "kind_and_type",
    "schema_version",
]

H_MSG_ID = "Nats-Msg-Id"
H_ORIGINATOR_ID = "Koers-Originator-Id"
H_VERSION = "Koers-Version"
H_TOPIC = "Koers-Topic"
H_TYPE = "Koers-Type"
H_SHA256 = "Koers-Payload-Sha256"
H_SCHEMA = "Koers-Schema"
H_TRACKING_APP = "Koers-Tracking-Application"
H_KEY_ID = "Koers-Key-Id"
H_SIGNATURE = "Koers-Signature"
#: the headers every event message carries (the audit entry covers these, see ledger.audit)
EVENT_HEADERS = (H_MSG_ID, H_ORIGINATOR_ID, H_VERSION, H_TOPIC, H_TYPE, H_SHA256)
#: the headers an audit entry and an event's signature cover, in encoding order
#: (``ledger.nats._entry``; the standalone ``ledger.audit.verifier`` spells them out again)
ENTRY_HEADERS: tuple[str, ...] = (
    H_MSG_ID,
    H_ORIGINATOR_ID,
    H_VERSION,
    H_TOPIC,
    H_TYPE,
    H_SCHEMA,
    H_SHA256,
    H_TRACKING_APP,
)

_SAFE_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_UNSAFE_CHARS = re.compile(r"[^a-z0-9_-]+")


def id_token(originator_id: UUID | str) -> str:
    """The subject token of an aggregate id (reversible through the id header, not the token)."""
    if isinstance(originator_id, UUID):
        return str(originator_id)
    if _SAFE_TOKEN.fullmatch(originator_id):
        return originator_id
    return "~" + originator_id.encode("utf-8").hex()


def _snake(name: str) -> str:
    token = _UNSAFE_CHARS.sub("_", _CAMEL_BOUNDARY.sub("_", name).lower()).strip("_")
    return token or "_"


@lru_cache(maxsize=4096)
def kind_and_type(topic: str) -> tuple[str, str]:
    """The ``(kind, type)`` subject tokens of an event topic such as ``mod:Decision.Made``."""
    qualname = topic.rpartition(":")[2] if ":" in topic else topic
    parts = [p for p in qualname.split(".") if p]
    if not parts:
        return "_", "_"
    if len(parts) == 1 or ":" not in topic:
        return "_", _snake(qualname.replace(".", "_"))
    return _snake(parts[-2]), _snake(parts[-1])


def event_type(event: object) -> str:
    """An event's ``Koers-Type``, as its schema names it: ``key_result.checked_in``."""
    kind, type_ = kind_and_type(get_topic(type(event)))
    return f"{kind}.{type_}"


@lru_cache(maxsize=4096)
def schema_version(topic: str) -> str | None:
    """The schema version (the event class's ``class_version``, 1 by default) of a topic,
    or ``None`` when the topic names no importable class (e.g. a test's ``"topic1"``)."""
    if ":" not in topic:
        return None
    try:
        cls = resolve_topic(topic)
    except (TopicError, ImportError, AttributeError):
        return None
    return str(getattr(cls, "class_version", 1)) if isinstance(cls, type) else None


class SubjectScheme:
    """Builds subjects and filters for one stream's subject prefix."""

    def __init__(self, prefix: str) -> None:
        if not prefix or not all(_SAFE_TOKEN.fullmatch(t) for t in prefix.split(".")):
            raise ValueError(
                f"NATS_SUBJECT_PREFIX {prefix!r} is not a valid subject prefix: use dot-separated "
                f"tokens of letters, digits, '_' and '-'"
            )
        self.prefix = prefix

    def event_subject(self, originator_id: UUID | str, topic: str) -> str:
        kind, type_ = kind_and_type(topic)
        return f"{self.prefix}.{kind}.{id_token(originator_id)}.{type_}"

    def aggregate_filter(self, originator_id: UUID | str) -> str:
        """Matches every event of one aggregate, whatever its kind and type."""
        return f"{self.prefix}.*.{id_token(originator_id)}.*"

    @property
    def all_events(self) -> str:
        """Every event and nothing else (costly for the server to match on a big stream: use
        :attr:`stream_subjects` and :meth:`is_tracking` to read many messages)."""
        return f"{self.prefix}.*.*.*"

    def is_tracking(self, subject: str) -> bool:
        return subject.startswith(f"{self.prefix}._tracking.")

    @property
    def stream_subjects(self) -> str:
        return f"{self.prefix}.>"

    def tracking_subject(self, application_name: str) -> str:
        return f"{self.prefix}._tracking.{id_token(application_name)}"

    def topics_filter(self, topics: Iterable[str]) -> str:
        """The narrowest single subject filter covering ``topics`` (one type, one kind), or
        the whole stream.

        The whole stream is read as ``<prefix>.>``, not ``<prefix>.*.*.*``: matching a
        wildcard against every subject costs the server 5-10x more per message (measured),
        so tracking records are dropped by the reader instead (:meth:`is_tracking`).
        """
        pairs = {kind_and_type(t) for t in topics}
        if len(pairs) == 1:
            kind, type_ = next(iter(pairs))
            return f"{self.prefix}.{kind}.*.{type_}"
        kinds = {kind for kind, _ in pairs}
        if len(kinds) == 1:  # the events of one kind (an aggregate class's)
            return f"{self.prefix}.{kinds.pop()}.*.*"
        return self.stream_subjects

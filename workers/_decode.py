"""From a ledger message to a checked :class:`Event`, or :class:`BadMessage` saying why not.

A message is an event the workers act on when (docs/store.md, schemas/README.md):

- it is not foreign (``ledger.nats._foreign``: the Koers envelope, a payload with the
  SHA-256 its header states, a topic naming an event class);
- its subject is ``<prefix>.<kind>.<id>.<type>`` and its ``Koers-Type`` header is
  ``<kind>.<type>``, a type with a published schema ``schemas/<type>.v<Koers-Schema>.json``;
- ``Koers-Originator-Id`` is a UUID and ``Koers-Version`` a positive whole number;
- the payload is at most ``max_bytes`` (what the store itself would ever write), strict JSON
  (no ``NaN`` or ``Infinity``), an object, and validates against that schema (formats too).

Tracking records (``<prefix>._tracking.…``) are not events: :meth:`Decoder.decode` gives
``None`` for them.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, Protocol
from uuid import UUID

import orjson

from ledger.nats._client import RawMessage
from ledger.nats._foreign import unauthentic_reason
from ledger.nats._signing import SignatureCheck
from ledger.nats._subjects import kind_and_type
from ledger.schemas import published

__all__ = ["BadMessage", "Decoder", "Event", "ForeignMessage"]


class BadMessage(Exception):
    """A message the workers cannot act on; ``reason`` says why, in one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ForeignMessage(BadMessage):
    """A message that is not a Koers event as stored: it never will be, so it is set aside
    at once (dead-lettered without retries)."""


@dataclass(frozen=True)
class Event:
    """One checked ledger event."""

    seq: int
    subject: str
    kind: str
    type: str
    aggregate_id: UUID
    version: int
    payload: dict[str, Any]
    stored_at: datetime  # when the stream stored it (server time)
    topic: str  # the eventsourcing topic of its class (Koers-Topic)

    @property
    def name(self) -> str:
        return f"{self.kind}.{self.type}"

    @property
    def link(self) -> str:
        """``<kind>:<aggregate id>@<version>``: the event, for a prompt's ``triggered_by``."""
        return f"{self.kind}:{self.aggregate_id}@{self.version}"

    @property
    def actor(self) -> str:
        return str(self.payload.get("actor", ""))

    @cached_property
    def timestamp(self) -> datetime:
        """When it was recorded (the domain clock)."""
        return datetime.fromisoformat(self.payload["timestamp"])


class _Validator(Protocol):
    def is_valid(self, instance: Any) -> bool: ...

    def first_error(self, instance: Any) -> str: ...


class _RustValidator:
    """``jsonschema_rs`` (≈40× faster than ``jsonschema``), when installed."""

    def __init__(self, schema: dict[str, Any]) -> None:
        import jsonschema_rs

        self._validator = jsonschema_rs.validator_for(schema, validate_formats=True)

    def is_valid(self, instance: Any) -> bool:
        return bool(self._validator.is_valid(instance))

    def first_error(self, instance: Any) -> str:
        for error in self._validator.iter_errors(instance):
            path = "".join(
                f"[{p!r}]" if isinstance(p, int) else f".{p}" for p in error.instance_path
            )
            return f"${path}: {error.message}"
        return "valid"


class _PyValidator:
    """``jsonschema`` (draft 2020-12, formats checked), when ``jsonschema_rs`` is missing."""

    def __init__(self, schema: dict[str, Any]) -> None:
        jsonschema = _jsonschema()
        self._validator = jsonschema.Draft202012Validator(
            schema, format_checker=jsonschema.FormatChecker()
        )

    def is_valid(self, instance: Any) -> bool:
        return bool(self._validator.is_valid(instance))

    def first_error(self, instance: Any) -> str:
        error = _jsonschema().exceptions.best_match(self._validator.iter_errors(instance))
        return "valid" if error is None else f"{error.json_path}: {error.message}"


def _jsonschema() -> Any:
    return importlib.import_module("jsonschema")


def _validator(schema: dict[str, Any]) -> _Validator:
    try:
        return _RustValidator(schema)
    except ImportError:
        return _PyValidator(schema)


class Decoder:
    """Checks ledger messages against the published schemas (loaded once)."""

    def __init__(
        self, prefix: str, max_bytes: int, signatures: SignatureCheck | None = None
    ) -> None:
        self.prefix = prefix
        self.max_bytes = max_bytes
        #: events not signed by a trusted key are foreign (``None``: not checked)
        self.signatures = signatures
        self._schemas: dict[tuple[str, str], _Validator] = {}
        self._known_types: set[str] = set()
        for file in published():
            schema = json.loads(file.path.read_text("utf-8"))
            self._schemas[(file.name, str(file.version))] = _validator(schema)
            self._known_types.add(file.name)

    def decode(
        self, subject: str, headers: dict[str, str] | None, data: bytes, seq: int, at: datetime
    ) -> Event | None:
        """The event, ``None`` for a tracking record, or :class:`BadMessage`."""
        tokens = subject.split(".")
        if len(tokens) == 3 and tokens[1] == "_tracking":
            return None
        headers = headers or {}
        if len(tokens) != 4 or tokens[0] != self.prefix:
            raise BadMessage(f"subject {subject!r} is not {self.prefix}.<kind>.<id>.<type>")
        message = RawMessage(seq, subject, headers, data)
        foreign = unauthentic_reason(message, signatures=self.signatures)
        if foreign is not None:
            raise ForeignMessage(f"foreign message: {foreign}")
        name = headers.get("Koers-Type", "")
        if name != f"{tokens[1]}.{tokens[3]}":
            raise BadMessage(f"Koers-Type {name!r} does not match the subject {subject!r}")
        if name not in self._known_types:
            raise BadMessage(f"unknown event type {name!r}: no schema in schemas/")
        version = headers.get("Koers-Schema", "")
        validator = self._schemas.get((name, version))
        if validator is None:
            raise BadMessage(
                f"no published schema {name}.v{version}.json (Koers-Schema {version!r})"
            )
        aggregate_id, aggregate_version = _envelope(headers)
        payload = self._payload(data)
        if not validator.is_valid(payload):
            raise BadMessage(f"{name}.v{version}.json: {validator.first_error(payload)}")
        topic = headers.get("Koers-Topic", "")
        if kind_and_type(topic) != (tokens[1], tokens[3]) or ":" not in topic:
            raise BadMessage(f"Koers-Topic {topic!r} does not name a {name} event class")
        return Event(
            seq, subject, tokens[1], tokens[3], aggregate_id, aggregate_version, payload, at, topic
        )

    def decode_msg(self, msg: Any) -> Event | None:
        """:meth:`decode` of a fetched JetStream message."""
        meta = msg.metadata
        return self.decode(msg.subject, msg.headers, msg.data, meta.sequence.stream, meta.timestamp)

    def _payload(self, data: bytes) -> dict[str, Any]:
        if len(data) > self.max_bytes:
            raise BadMessage(f"payload of {len(data)} bytes is over the {self.max_bytes} limit")
        try:
            payload = orjson.loads(data)
        except orjson.JSONDecodeError as e:
            raise BadMessage(f"payload is not JSON: {e}") from None
        if not isinstance(payload, dict):
            raise BadMessage(f"payload is a JSON {type(payload).__name__}, not an object")
        return payload


def _envelope(headers: dict[str, str]) -> tuple[UUID, int]:
    raw_id, raw_version = headers.get("Koers-Originator-Id", ""), headers.get("Koers-Version", "")
    try:
        aggregate_id, version = UUID(raw_id), int(raw_version)
    except ValueError:
        raise BadMessage(
            f"Koers-Originator-Id {raw_id!r} or Koers-Version {raw_version!r} is not valid"
        ) from None
    if version < 1:
        raise BadMessage(f"Koers-Version {raw_version!r} is not a positive number")
    return aggregate_id, version

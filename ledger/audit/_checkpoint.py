"""Signed checkpoints: the operator's commitment to one history of the ledger of a given size.

A checkpoint says "the first ``size`` messages of stream ``origin`` have the Merkle root
``root``", at ``time``, signed with Ed25519. The signature covers exactly this text (UTF-8)::

    koers-checkpoint/v1
    <origin>                      the stream name, printable ASCII without spaces
    <size>                        decimal, no leading zeros
    <root>                        64 lowercase hex digits
    <time>                        RFC 3339 UTC with microseconds: 2025-01-02T03:04:05.000006Z

each line ending in ``\\n``. Stored as one JSON object per checkpoint::

    {"origin": "LEDGER", "size": 42, "root": "<hex>", "time": "<time>",
     "key_id": "<16 hex digits>", "signature": "<base64 of 64 bytes>"}

Invariants: a :class:`Checkpoint` is always well formed (checked on construction; its
signature is checked only by :func:`verify`); each field has one spelling only, so
``from_json(c.to_json()) == c`` and a JSON text that is not canonical is refused.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.audit._merkle import HASH_SIZE, AuditError
from ledger.nats._keys import key_id

__all__ = [
    "CHECKPOINT_TAG",
    "Checkpoint",
    "CheckpointError",
    "checkpoint_text",
    "format_time",
    "sign",
    "verify",
]

CHECKPOINT_TAG = "koers-checkpoint/v1"
_FIELDS = ("origin", "size", "root", "time", "key_id", "signature")
_ORIGIN = re.compile(r"[!-~]{1,255}")
_KEY_ID = re.compile(r"[0-9a-f]{16}")
_ROOT = re.compile(r"[0-9a-f]{64}")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_SIGNATURE_SIZE = 64


class CheckpointError(AuditError):
    """A checkpoint is malformed, or its signature does not verify. ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"the checkpoint is not valid: {reason}")


def format_time(time: datetime) -> str:
    """The one spelling of a UTC time in a checkpoint: ``YYYY-MM-DDTHH:MM:SS.ffffffZ``."""
    return (
        f"{time.year:04d}-{time.month:02d}-{time.day:02d}T{time.hour:02d}:{time.minute:02d}:"
        f"{time.second:02d}.{time.microsecond:06d}Z"
    )


def _parse_time(text: str) -> datetime:
    if not _TIME.fullmatch(text):
        raise CheckpointError(f"time {text!r} is not RFC 3339 UTC like 2025-01-02T03:04:05.000006Z")
    try:
        return datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError as e:
        raise CheckpointError(f"time {text!r} is not a valid date and time") from e


@dataclass(frozen=True)
class Checkpoint:
    """One signed tree head: ``size`` messages of stream ``origin`` have root ``root``."""

    origin: str
    size: int
    root: bytes
    time: datetime
    key_id: str
    signature: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.origin, str) or not _ORIGIN.fullmatch(self.origin):
            raise CheckpointError(f"origin {self.origin!r} is not printable ASCII without spaces")
        if type(self.size) is not int or self.size < 0:
            raise CheckpointError(f"size {self.size!r} is not a non-negative integer")
        if not isinstance(self.root, bytes) or len(self.root) != HASH_SIZE:
            raise CheckpointError(f"the root must be {HASH_SIZE} bytes")
        if not isinstance(self.time, datetime) or self.time.utcoffset() != UTC.utcoffset(None):
            raise CheckpointError("the time must be a datetime in UTC")
        if not isinstance(self.key_id, str) or not _KEY_ID.fullmatch(self.key_id):
            raise CheckpointError(f"key id {self.key_id!r} is not 16 lowercase hex digits")
        if not isinstance(self.signature, bytes) or len(self.signature) != _SIGNATURE_SIZE:
            raise CheckpointError(f"the signature must be {_SIGNATURE_SIZE} bytes")

    def signed_text(self) -> bytes:
        """The exact bytes the signature covers (see the module doc)."""
        return checkpoint_text(self.origin, self.size, self.root, self.time)

    def to_json(self) -> str:
        """One line of JSON: the checkpoint as stored and exported."""
        return json.dumps(
            {
                "origin": self.origin,
                "size": self.size,
                "root": self.root.hex(),
                "time": format_time(self.time),
                "key_id": self.key_id,
                "signature": base64.b64encode(self.signature).decode("ascii"),
            }
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Checkpoint:
        """Read one checkpoint; :class:`CheckpointError` unless it is canonical and complete."""
        try:
            data: Any = json.loads(text)
        except (ValueError, UnicodeDecodeError) as e:
            raise CheckpointError(f"not JSON ({e})") from e
        if not isinstance(data, dict) or sorted(data) != sorted(_FIELDS):
            raise CheckpointError(f"a checkpoint is a JSON object of exactly {', '.join(_FIELDS)}")
        for name in ("origin", "root", "time", "key_id", "signature"):
            if not isinstance(data[name], str):
                raise CheckpointError(f"{name} must be a string")
        if not _ROOT.fullmatch(data["root"]):
            raise CheckpointError("root must be 64 lowercase hex digits")
        try:
            signature = base64.b64decode(data["signature"], validate=True)
        except binascii.Error as e:
            raise CheckpointError("signature is not base64") from e
        if base64.b64encode(signature).decode("ascii") != data["signature"]:
            raise CheckpointError("signature is not canonical base64")
        return cls(
            origin=data["origin"],
            size=data["size"],
            root=bytes.fromhex(data["root"]),
            time=_parse_time(data["time"]),
            key_id=data["key_id"],
            signature=signature,
        )


def checkpoint_text(origin: str, size: int, root: bytes, time: datetime) -> bytes:
    """The signed text of a checkpoint (fields are not checked here: see :class:`Checkpoint`)."""
    lines = (CHECKPOINT_TAG, origin, str(size), root.hex(), format_time(time))
    return "".join(f"{line}\n" for line in lines).encode("utf-8")


def sign(
    key: Ed25519PrivateKey, origin: str, size: int, root: bytes, time: datetime | None = None
) -> Checkpoint:
    """A checkpoint for the tree of ``size`` leaves with ``root``, signed with ``key`` now
    (or at ``time``, which must be UTC)."""
    when = datetime.now(UTC) if time is None else time
    unsigned = Checkpoint(origin, size, root, when, key_id(key), bytes(_SIGNATURE_SIZE))
    return Checkpoint(origin, size, root, when, unsigned.key_id, key.sign(unsigned.signed_text()))


def verify(checkpoint: Checkpoint, public_key: Ed25519PublicKey) -> None:
    """Check the checkpoint's signature with ``public_key``; :class:`CheckpointError` if not."""
    expected = key_id(public_key)
    if checkpoint.key_id != expected:
        raise CheckpointError(
            f"it names key {checkpoint.key_id}, not the given key {expected}: it was signed by "
            f"another key, or its key id was changed"
        )
    try:
        public_key.verify(checkpoint.signature, checkpoint.signed_text())
    except InvalidSignature as e:
        raise CheckpointError(
            f"the signature of checkpoint (size {checkpoint.size}) does not verify with key "
            f"{expected}: the checkpoint was changed, or signed by someone else"
        ) from e

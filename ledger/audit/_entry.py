"""The leaf entry of one ledger message: its exact stored bytes, never a re-serialisation.

Leaf ``i`` of the audit tree is the message with stream sequence ``i + 1``. Its entry is::

    b"koers-entry/v1\\n"                         tag: the encoding's name and version
    seq                                          8 bytes, unsigned big-endian
    field(subject)
    field(header) for each of ENTRY_HEADERS, in that order (an absent header: empty)
    field(payload)                               the payload bytes exactly as stored

    field(x) = len(x) as 8 bytes unsigned big-endian ‖ x     (text: its UTF-8 bytes)

Every field is length-prefixed and the header order is fixed, so each entry decodes one way
only: no two different messages share an entry. Headers outside ``ENTRY_HEADERS`` are not
covered (transport details such as ``Nats-Batch-*`` and ``Nats-Expected-*``, which a server
may drop or rewrite). A header that is absent and one that is empty encode alike; Koers never
writes an empty one.

Why the sequence is in the entry although it is also the leaf index: the leaf then commits to
its stream position by itself. An entry copied to another position (replayed, duplicated,
swapped with a neighbour) yields a different leaf, a leaf hash seen alone (in a proof, in a
witness's copy) names its sequence, and no check depends on every tool applying the
``index = seq - 1`` mapping the same way. It costs 8 bytes an entry.

The encoding itself lives in ``ledger.nats._entry``: the writer signs the same entry without
its sequence (``ledger.nats._signing``), and one definition serves both.

The payload's own digest (``Koers-Payload-Sha256``, written with the event) is checked apart:
:func:`payload_digest_ok` tells a payload changed after it was written from a tree mismatch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from ledger.audit._merkle import AuditError, hash_leaf
from ledger.nats._entry import DIGEST_HEADER, ENTRY_HEADERS, ENTRY_TAG, entry_fields

__all__ = [
    "DIGEST_HEADER",
    "ENTRY_HEADERS",
    "ENTRY_TAG",
    "EntryError",
    "PayloadDigestMismatch",
    "check_payload_digest",
    "entry_bytes",
    "leaf_for",
    "payload_digest_ok",
]

_MAX_SEQ = 2**64 - 1


class EntryError(AuditError, ValueError):
    """A message cannot be encoded as an entry (a sequence out of range, text that is not
    valid Unicode, a header value that is not text)."""


class PayloadDigestMismatch(AuditError):
    """A payload's SHA-256 differs from its ``Koers-Payload-Sha256`` header: the payload (or
    the header) changed after the event was written."""

    def __init__(self, seq: int, expected: str | None, actual: str) -> None:
        self.seq = seq
        self.expected = expected
        self.actual = actual
        claim = f"its header says {expected}" if expected else "it has no digest header"
        super().__init__(
            f"the payload of message {seq} has SHA-256 {actual} but {claim}: it was changed "
            f"after it was written, or it was not written by Koers"
        )


def _text(what: str, value: object) -> bytes:
    if not isinstance(value, str):
        raise EntryError(f"{what} must be text, not {type(value).__name__}")
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise EntryError(f"{what} is not valid Unicode text") from e


def entry_bytes(seq: int, subject: str, headers: Mapping[str, str], payload: bytes) -> bytes:
    """The canonical entry of the message at stream sequence ``seq`` (see the module doc)."""
    if type(seq) is not int or not 1 <= seq <= _MAX_SEQ:
        raise EntryError(f"a stream sequence is between 1 and 2**64 - 1, not {seq!r}")
    if not isinstance(payload, bytes | bytearray | memoryview):
        raise EntryError(f"the payload must be bytes, not {type(payload).__name__}")
    _text("the subject", subject)
    for name in ENTRY_HEADERS:
        _text(name, headers.get(name, ""))
    return ENTRY_TAG + seq.to_bytes(8, "big") + entry_fields(subject, headers, bytes(payload))


def leaf_for(seq: int, subject: str, headers: Mapping[str, str], payload: bytes) -> bytes:
    """The leaf hash of the message at ``seq``: ``SHA-256(0x00 ‖ entry)``."""
    return hash_leaf(entry_bytes(seq, subject, headers, payload))


def payload_digest_ok(headers: Mapping[str, str], payload: bytes) -> bool:
    """Whether ``Koers-Payload-Sha256`` is the hex SHA-256 of ``payload`` (absent: no)."""
    return headers.get(DIGEST_HEADER) == hashlib.sha256(payload).hexdigest()


def check_payload_digest(seq: int, headers: Mapping[str, str], payload: bytes) -> None:
    """Raise :class:`PayloadDigestMismatch` unless :func:`payload_digest_ok`."""
    actual = hashlib.sha256(payload).hexdigest()
    expected = headers.get(DIGEST_HEADER)
    if expected != actual:
        raise PayloadDigestMismatch(seq, expected, actual)

"""The canonical bytes of one ledger message, shared by the writer's signature and the audit.

An audit leaf's entry (``ledger.audit._entry``) is::

    ENTRY_TAG ‖ seq (8 bytes) ‖ entry_fields(subject, headers, payload)

and an event's signature (``ledger.nats._signing``) covers the same entry *without its
sequence*, which is unknown before the server stores the message::

    unsequenced_entry = ENTRY_TAG ‖ entry_fields(subject, headers, payload)

``entry_fields`` is the subject, each of :data:`ENTRY_HEADERS` in that order (absent: empty)
and the payload exactly as stored, each as ``len(x)`` in 8 bytes big-endian ‖ ``x`` (text as
UTF-8). One definition for both, so a signature and a leaf can never disagree about what an
event is.
"""

from __future__ import annotations

from collections.abc import Mapping

from ledger.nats._subjects import ENTRY_HEADERS, H_SHA256

__all__ = ["DIGEST_HEADER", "ENTRY_HEADERS", "ENTRY_TAG", "entry_fields", "unsequenced_entry"]

ENTRY_TAG = b"koers-entry/v1\n"
DIGEST_HEADER = H_SHA256


def _field(data: bytes) -> bytes:
    return len(data).to_bytes(8, "big") + data


def entry_fields(subject: str, headers: Mapping[str, str], payload: bytes) -> bytes:
    """The subject, the covered headers and the payload, each length-prefixed (text values
    must be ``str``; the caller checks types where its input is untrusted)."""
    parts = [_field(subject.encode("utf-8"))]
    parts.extend(_field(headers.get(name, "").encode("utf-8")) for name in ENTRY_HEADERS)
    parts.append(_field(bytes(payload)))
    return b"".join(parts)


def unsequenced_entry(subject: str, headers: Mapping[str, str], payload: bytes) -> bytes:
    """The entry without its sequence: what the writer signs."""
    return ENTRY_TAG + entry_fields(subject, headers, payload)

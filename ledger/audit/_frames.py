"""Stream messages as the audit reads them (raw frames), and their leaves, computed fast.

A :class:`Frame` is one stored message as the server delivers it: the stream sequence, the
subject, the raw header block (``NATS/1.0\\r\\nName: value\\r\\n…``) and the payload bytes.
:func:`frame_leaf` is :func:`ledger.audit.leaf_for` over the headers as
``ledger.nats._bulk.LazyHeaders`` reads them (the first ``\\r\\nName:`` line, its value
stripped, UTF-8 with replacement), computed straight from the raw block: about twice as fast
as building a mapping first, and the tests hold the two equal byte for byte.

The *content key* of a message is the first 8 bytes of SHA-256 over its entry without the
sequence: the same event stored at another position has the same key. The checkpointer
records it beside each leaf, so a verifier can tell an event that moved from one that changed.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

from ledger.audit._entry import DIGEST_HEADER, ENTRY_HEADERS, ENTRY_TAG
from ledger.nats._subjects import H_KEY_ID, H_SIGNATURE

__all__ = [
    "CONTENT_KEY_SIZE",
    "Frame",
    "content_key",
    "digest_state",
    "frame_headers",
    "frame_leaf",
    "frame_tail",
    "head_block",
]

CONTENT_KEY_SIZE = 8
_CRLF = b"\r\n"
_NEEDLES = tuple(b"\r\n" + name.encode("ascii") + b":" for name in ENTRY_HEADERS)
#: The covered headers and the two of the event's signature (which covers the others).
_SHOWN = (*ENTRY_HEADERS, H_KEY_ID, H_SIGNATURE)
_SHOWN_NEEDLES = tuple(b"\r\n" + name.encode("ascii") + b":" for name in _SHOWN)
_DIGEST_NEEDLE = b"\r\n" + DIGEST_HEADER.encode("ascii") + b":"
_sha256 = hashlib.sha256


class Frame(NamedTuple):
    """One stored message: sequence, subject, raw header block, payload (a named tuple: a
    million of them are made per million events read, and a tuple is made fastest)."""

    seq: int
    subject: bytes
    head: bytes
    data: bytes


def _value(head: bytes, needle: bytes) -> bytes:
    """The UTF-8 bytes of a header's value as ``LazyHeaders`` reads it (absent: empty)."""
    start = head.find(needle)
    if start < 0:
        return b""
    start += len(needle)
    value = head[start : head.find(_CRLF, start)].strip()
    if value.isascii():
        return value
    return value.decode("utf-8", "replace").encode("utf-8")


def _text(raw: bytes) -> bytes:
    return raw if raw.isascii() else raw.decode("utf-8", "replace").encode("utf-8")


def frame_tail(subject: bytes, head: bytes, data: bytes) -> bytes:
    """The entry after its tag and sequence: the subject, the covered headers and the payload,
    each length-prefixed (see ``ledger.audit._entry``)."""
    parts = [subject if subject.isascii() else _text(subject)]
    for needle in _NEEDLES:
        parts.append(_value(head, needle))
    parts.append(data)
    return b"".join(len(p).to_bytes(8, "big") + p for p in parts)


def frame_leaf(frame: Frame) -> bytes:
    """The leaf hash of ``frame``: ``leaf_for`` of its sequence, subject, headers, payload."""
    tail = frame_tail(frame.subject, frame.head, frame.data)
    return _sha256(b"\x00" + ENTRY_TAG + frame.seq.to_bytes(8, "big") + tail).digest()


def content_key(frame: Frame) -> bytes:
    """The first 8 bytes of SHA-256 of the entry without its sequence."""
    return _sha256(frame_tail(frame.subject, frame.head, frame.data)).digest()[:CONTENT_KEY_SIZE]


def digest_state(head: bytes, data: bytes) -> str | None:
    """``None`` when ``Koers-Payload-Sha256`` is the payload's SHA-256; otherwise what it
    says instead (``""`` when the header is absent)."""
    claimed = _value(head, _DIGEST_NEEDLE)
    if claimed and _sha256(data).hexdigest().encode("ascii") == claimed:
        return None
    return claimed.decode("utf-8", "replace")


def frame_headers(frame: Frame) -> dict[str, str]:
    """The covered headers and the signature's that are present, as text (for an export's
    ``headers``)."""
    out: dict[str, str] = {}
    for name, needle in zip(_SHOWN, _SHOWN_NEEDLES, strict=True):
        if frame.head.find(needle) >= 0:
            out[name] = _value(frame.head, needle).decode("utf-8")
    return out


def head_block(headers: dict[str, str]) -> bytes:
    """A raw header block for ``headers`` (for frames read through nats-py, which parses them)."""
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return f"NATS/1.0\r\n{lines}\r\n".encode()

"""Every event signed by its writer: Ed25519 over the event's entry without its sequence.

The writer adds two headers to each message it publishes (``ledger.nats._access``)::

    Koers-Key-Id:     the signing key's id (``ledger.nats._keys.key_id``)
    Koers-Signature:  base64 of the Ed25519 signature of unsequenced_entry(message)

``unsequenced_entry`` (``ledger.nats._entry``) is the audit entry of the message without its
stream sequence: the subject, the covered headers (message id, aggregate id, version, topic,
type, schema, payload digest, tracking application) and the payload exactly as stored. The
sequence is not known before the server stores the message, and the audit tree commits to the
position anyway. A client that can publish on the ledger's subjects but does not hold the
key cannot make a message that passes :func:`signature_problem`, however well it imitates
the other headers.

Signing costs about 50 µs of CPU per message on the (idle) benchmark VM (BENCHMARKS.md,
"Signed events"), in the writer's own thread, before the write is handed to the event loop;
OpenSSL releases the GIL meanwhile.
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.nats._client import OutMessage, RawMessage
from ledger.nats._entry import ENTRY_HEADERS, unsequenced_entry
from ledger.nats._keys import TrustedKeys, key_id
from ledger.nats._subjects import H_KEY_ID, H_SIGNATURE

__all__ = [
    "UNSIGNED",
    "EventSigner",
    "SignatureCheck",
    "check_signature",
    "signature_problem",
]

UNSIGNED = "unsigned"


class EventSigner:
    """Signs messages with one key (the data directory's signing key)."""

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        self.key_id = key_id(key)

    def sign(self, message: OutMessage) -> None:
        """Add ``Koers-Key-Id`` and ``Koers-Signature`` to ``message``'s headers. The values
        are signed as a reader will parse them (stripped)."""
        headers = message.headers
        covered = {name: headers[name].strip() for name in ENTRY_HEADERS if name in headers}
        signed = unsequenced_entry(message.subject, covered, message.data)
        headers[H_KEY_ID] = self.key_id
        headers[H_SIGNATURE] = base64.b64encode(self._key.sign(signed)).decode("ascii")


def check_signature(signed: bytes, kid: str, signature: str, keys: TrustedKeys) -> str | None:
    """``None`` when ``signature`` (base64) by key ``kid`` verifies over ``signed`` and the
    key is trusted; else why not, in a few words."""
    if not signature:
        return UNSIGNED if not kid else f"key id {kid} but no signature"
    key = keys.get(kid)
    if key is None:
        return f"signed by unknown key {kid or '(no key id)'}"
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return "the signature is not base64"
    try:
        key.verify(raw, signed)
    except InvalidSignature:
        return f"the signature does not verify with key {kid}"
    return None


def signature_problem(message: RawMessage, keys: TrustedKeys) -> str | None:
    """``None`` when ``message`` is signed by one of ``keys`` and the signature verifies;
    else a short reason: ``"unsigned"``, ``"signed by unknown key <id>"``, ``"the signature
    does not verify with key <id>"``…"""
    headers: Mapping[str, str] = message.headers
    signed = unsequenced_entry(message.subject, headers, message.data)
    return check_signature(signed, headers.get(H_KEY_ID, ""), headers.get(H_SIGNATURE, ""), keys)


class SignatureCheck:
    """The readers' check (views, workers, aggregate reads): is a stored event signed by a
    trusted key? A failing event is foreign to them (``ledger.nats._foreign``), set aside in
    their quarantine; ``koers audit verify`` names it.

    The trusted keys are read on first use (``keys_of``); with none at all (a reader of a data
    directory no writer has signed in yet, or ``KOERS_SIGN_EVENTS=no``) nothing is checked.
    An event that verified once is not verified again: the stream never changes a stored
    message, so its position and signature stand for it (at most ``remember`` of them kept).

    A reader with many events at once (a page of the log, a batch of the workers) calls
    :meth:`prove` first: their signatures are verified on :data:`PROVE_THREADS` threads (an
    Ed25519 verification costs 80-170 µs here, and OpenSSL releases the GIL while it runs),
    and :meth:`problem` of each then answers from memory.
    """

    def __init__(self, keys_of: Callable[[], TrustedKeys], remember: int = 500_000) -> None:
        self._keys_of = keys_of
        self._keys: TrustedKeys | None = None
        self._good: set[int] = set()
        self._remember = remember
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def _trusted(self) -> TrustedKeys:
        if self._keys is None:
            self._keys = self._keys_of()
        return self._keys

    def problem(self, message: RawMessage) -> str | None:
        """``None`` when ``message`` is signed by a trusted key (or there are none), else why
        not (see :func:`signature_problem`)."""
        keys = self._trusted()
        if not keys:
            return None
        seen = _seen(message)
        if seen in self._good:
            return None
        problem = signature_problem(message, keys)
        if problem is None:
            self._remember_good(seen)
        return problem

    def prove(self, messages: Sequence[RawMessage]) -> None:
        """Verify the signatures of ``messages`` not verified yet, on several threads, and
        remember the good ones (a failure is not remembered: :meth:`problem` finds it again
        and says why). Fewer than :data:`PROVE_AT_LEAST` are left to :meth:`problem`."""
        keys = self._trusted()
        if not keys:
            return
        todo = [m for m in messages if H_SIGNATURE in m.headers and _seen(m) not in self._good]
        if len(todo) < PROVE_AT_LEAST:
            return
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(PROVE_THREADS, thread_name_prefix="koers-verify")
            pool = self._pool
        step = -(-len(todo) // PROVE_THREADS)
        chunks = [todo[i : i + step] for i in range(0, len(todo), step)]
        for good in pool.map(lambda chunk: _good_ones(chunk, keys), chunks):
            for seen in good:
                self._remember_good(seen)

    def _remember_good(self, seen: int) -> None:
        if len(self._good) >= self._remember:
            self._good.clear()
        self._good.add(seen)


#: threads :meth:`SignatureCheck.prove` verifies on, and the fewest messages it takes
PROVE_THREADS = 2
PROVE_AT_LEAST = 16


def _seen(message: RawMessage) -> int:
    """What stands for a verified message: its position and its signature."""
    return hash((message.seq, message.headers.get(H_SIGNATURE, "")))


def _good_ones(messages: Sequence[RawMessage], keys: TrustedKeys) -> list[int]:
    return [_seen(m) for m in messages if signature_problem(m, keys) is None]

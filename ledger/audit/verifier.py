"""Koers audit verifier: check an exported audit bundle offline, with this file alone.

Usage::

    python verifier.py BUNDLE_DIR [--public-key KEY.pem]... [--checkpoint KEPT.jsonl]...
    python -m ledger.audit.verifier BUNDLE_DIR ...

It needs Python 3.11+ and the ``cryptography`` package (Ed25519), nothing else. It imports
nothing from Koers: the entry encoding, RFC 9162 hashing, proof verification and checkpoint
signatures are written again here on purpose, so an auditor can read this file top to bottom
and trust it without trusting Koers. Exit status: 0 when everything verifies, 1 when a problem
was found (each is printed with its position and kind), 2 when the input cannot be read.

Trust: the bundle brings its own keys (``public_key.pem``, ``public_keys/``). Give the keys
you got from the operator through another channel with ``--public-key`` (repeat it for keys
retired by a rotation), and any checkpoint you kept from an earlier audit with
``--checkpoint``: only these catch a bundle rewritten from scratch and re-signed.

THE BUNDLE is a directory of UTF-8 files, one JSON object per line (blank lines are ignored):

``events.jsonl``: every message of the stream, in sequence order from sequence 1::

    {"seq": 1, "subject": "ledger.decision.<id>.made",
     "headers": {"Nats-Msg-Id": "...", "Koers-Type": "decision.made", ...,
                 "Koers-Key-Id": "<16 hex>", "Koers-Signature": "<base64>"},
     "payload_b64": "<standard base64 of the exact stored payload bytes>",
     "payload": {...}}

  ``headers`` holds only headers of ENTRY_HEADERS and the two of the event's signature,
  exactly as stored (absent ones left out);
  ``payload`` is optional, for people: the payload parsed as JSON (``null`` if it is not
  JSON); it is checked against ``payload_b64``. No other fields.

``checkpoints.jsonl``: the signed checkpoints, in size order::

    {"origin": "LEDGER", "size": 42, "root": "<64 hex>",
     "time": "2025-01-02T03:04:05.000006Z", "key_id": "<16 hex>", "signature": "<base64>"}

``public_key.pem``: the Ed25519 public key (PEM SubjectPublicKeyInfo) Koers signs with now.

``public_keys/<key id>.pem`` (optional): every key Koers trusts, the current one and those
retired by ``koers audit rotate-key``: events and checkpoints signed before a rotation name
a retired key.

``proofs.jsonl`` (optional): proofs against checkpoints of the bundle (sizes and roots
must be those of a checkpoint; hashes in lowercase hex)::

    {"type": "inclusion", "seq": 7, "index": 6, "size": 42, "root": "<hex>", "proof": [...]}
    {"type": "consistency", "size1": 10, "size2": 42, "root1": "<hex>", "root2": "<hex>",
     "proof": [...]}

  A consistency proof between each two consecutive checkpoints shows the log only grew even
  where the events no longer match; an inclusion proof per message pins a changed one down
  to its sequence (otherwise a change is placed between two checkpoints).

``README.txt`` (optional): for people; not read.

THE TREE (RFC 9162 §2.1): leaf ``i`` is the message with sequence ``i + 1``;
``leaf = SHA-256(0x00 ‖ entry)``, ``node = SHA-256(0x01 ‖ left ‖ right)``, split at the
largest power of two below the size, the empty tree is ``SHA-256("")``. The entry is
``b"koers-entry/v1\\n"``, the sequence as 8 bytes big-endian, then the subject, each header
of ENTRY_HEADERS in order (absent: empty) and the payload, each as its length in 8 bytes
big-endian followed by its bytes (text in UTF-8).

THE EVENT signature (Ed25519, in ``Koers-Signature``, base64; by the key ``Koers-Key-Id``
names) covers the entry without its sequence: ``b"koers-entry/v1\n"`` then the same fields.

THE CHECKPOINT signature (Ed25519) covers the UTF-8 text ``koers-checkpoint/v1\\n<origin>\\n
<size>\\n<root hex>\\n<time>\\n``; ``key_id`` is the hex of the first 8 bytes of SHA-256 of the
32 raw public-key bytes.

WHAT IS CHECKED, and the kind of each problem (printed as ``PROBLEM [kind] position: why``,
the position a ``file:line`` and a sequence, or a checkpoint and its size):

- every message: its payload's SHA-256 is its ``Koers-Payload-Sha256`` header
  (``digest-mismatch``: the payload was changed after it was written); the readable
  ``payload`` is the exact bytes (``changed-payload``); no header or field outside what the
  tree covers (``uncovered``); it is signed (``unsigned``) by a trusted key, and the signature
  verifies (``bad-event-signature``), from ``--signed-from`` on (default: every message);
- sequences run 1, 2, 3… in file order (``missing-sequence``, ``inserted-sequence`` for a
  sequence seen twice, ``reordered-sequence``);
- every checkpoint's signature, with the trusted key it names (``bad-signature``; a bundle
  without any checkpoint is one too), and the bundle's keys are trusted (``untrusted-key``);
- signed checkpoints, in file order, keep one origin, never shrink, and never give two roots
  for one size (``inconsistent-checkpoints``: a rollback or a fork);
- each checkpoint's root is the root recomputed from the first ``size`` messages
  (``root-mismatch``, placing the first difference between two checkpoints), and the bundle
  holds at least ``size`` messages (``truncated``); a kept checkpoint (``--checkpoint``) must
  match the bundle the same way (``inconsistent-checkpoints``: history was rewritten since,
  or ``truncated``: rolled back);
- every proof holds against a signed checkpoint of the bundle (``bad-proof``; a consistency
  proof that fails: ``inconsistent-checkpoints``).

Messages after the last checkpoint are named in a note: nothing vouches for them yet.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import itertools
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        PublicFormat,
        load_pem_public_key,
    )
except ImportError:  # pragma: no cover - the auditor's machine
    print(
        "the verifier needs the 'cryptography' package: pip install cryptography", file=sys.stderr
    )
    sys.exit(2)

ENTRY_HEADERS = (
    "Nats-Msg-Id",
    "Koers-Originator-Id",
    "Koers-Version",
    "Koers-Topic",
    "Koers-Type",
    "Koers-Schema",
    "Koers-Payload-Sha256",
    "Koers-Tracking-Application",
)
SIGNATURE_HEADERS = ("Koers-Key-Id", "Koers-Signature")
EVENT_FIELDS = {"seq", "subject", "headers", "payload_b64", "payload"}
ENTRY_TAG = b"koers-entry/v1\n"
EMPTY_ROOT = hashlib.sha256(b"").digest()
SHOWN_PER_KIND = 20

# ---------------------------------------------------------------- hashing and the entry


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def entry_fields(subject: str, headers: dict[str, str], payload: bytes) -> bytes:
    """The subject, the covered headers and the payload, each length-prefixed."""
    fields = [subject.encode(), *(headers.get(h, "").encode() for h in ENTRY_HEADERS), payload]
    return b"".join(len(f).to_bytes(8, "big") + f for f in fields)


def entry(seq: int, subject: str, headers: dict[str, str], payload: bytes) -> bytes:
    """The entry of one message (see THE TREE above)."""
    return ENTRY_TAG + seq.to_bytes(8, "big") + entry_fields(subject, headers, payload)


def prefix_roots(leaves: list[bytes], sizes: set[int]) -> dict[int, bytes]:
    """The root of the first ``n`` leaves for each ``n`` in ``sizes`` (up to ``len(leaves)``),
    in one pass over a stack of complete subtrees ``(height, hash)``, heights decreasing."""
    roots = {0: EMPTY_ROOT} if 0 in sizes else {}
    stack: list[tuple[int, bytes]] = []
    for count, leaf in enumerate(leaves, start=1):
        stack.append((0, leaf))
        while len(stack) > 1 and stack[-1][0] == stack[-2][0]:
            (height, right), (_, left) = stack.pop(), stack.pop()
            stack.append((height + 1, node_hash(left, right)))
        if count in sizes:
            acc = stack[-1][1]
            for _, left in reversed(stack[:-1]):
                acc = node_hash(left, acc)
            roots[count] = acc
    return roots


# ---------------------------------------------------------------- RFC 9162 proofs


def inclusion_problem(
    leaf: bytes, index: int, size: int, path: list[bytes], root: bytes
) -> str | None:
    """RFC 9162 §2.1.3.2, step by step; ``None`` if the proof holds, else why it does not."""
    if any(len(h) != 32 for h in [leaf, root, *path]):
        return "a hash is not 32 bytes"
    if index >= size:  # step 1
        return f"leaf index {index} is not below the tree size {size}"
    fn, sn, r = index, size - 1, leaf  # steps 2, 3
    for p in path:  # step 4
        if sn == 0:
            return "the proof is longer than the path"
        if fn % 2 == 1 or fn == sn:
            r = node_hash(p, r)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn // 2, sn // 2
        else:
            r = node_hash(r, p)
        fn, sn = fn // 2, sn // 2
    if sn != 0:  # step 5
        return "the proof is shorter than the path"
    return None if r == root else "the proof leads to another root"


def consistency_problem(  # noqa: PLR0911 - one return per failure, read against the RFC
    size1: int, size2: int, root1: bytes, root2: bytes, path: list[bytes]
) -> str | None:
    """RFC 9162 §2.1.4.2 (below), and the cases size1 = 0 and size1 = size2 that need no
    proof; ``None`` if the proof holds, else why it does not."""
    if any(len(h) != 32 for h in [root1, root2, *path]):
        return "a hash is not 32 bytes"
    if size1 > size2:
        return f"the log shrank from {size1} to {size2}"
    if size1 in (0, size2):
        if path:
            return "the proof must be empty"
        if size1 == 0 and root1 != EMPTY_ROOT:
            return "the empty tree's root must be SHA-256 of nothing"
        return "two roots for one size" if root1 != root2 and size1 == size2 else None
    if not path:  # step 1
        return "the proof is empty"
    roots = consistency_roots(size1, size2, root1, path)
    if isinstance(roots, str):
        return roots
    if roots[0] != root1:  # step 7
        return "the proof does not lead to the first root"
    return None if roots[1] == root2 else "the proof does not lead to the second root"


def consistency_roots(
    size1: int, size2: int, root1: bytes, path: list[bytes]
) -> tuple[bytes, bytes] | str:
    """Steps 2 to 7 of RFC 9162 §2.1.4.2 for 0 < size1 < size2: the two roots the proof
    leads to, or why the proof has the wrong length."""
    if size1 & (size1 - 1) == 0:  # step 2: size1 is a power of two
        path = [root1, *path]
    fn, sn = size1 - 1, size2 - 1  # step 3
    while fn % 2 == 1:  # step 4
        fn, sn = fn // 2, sn // 2
    fr = sr = path[0]  # step 5
    for c in path[1:]:  # step 6
        if sn == 0:
            return "the proof is longer than needed"
        if fn % 2 == 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn // 2, sn // 2
        else:
            sr = node_hash(sr, c)
        fn, sn = fn // 2, sn // 2
    if sn != 0:  # step 7
        return "the proof is shorter than needed"
    return fr, sr


# ---------------------------------------------------------------- reading the bundle


class Unreadable(Exception):
    """The input cannot be read: exit status 2."""


@dataclass
class Checkpoint:
    where: str
    origin: str
    size: int
    root: bytes
    time: str
    key_id: str
    signature: bytes

    def text(self) -> bytes:
        lines = ("koers-checkpoint/v1", self.origin, str(self.size), self.root.hex(), self.time)
        return "".join(f"{line}\n" for line in lines).encode()

    def head(self) -> str:
        return f"checkpoint {self.where} (size {self.size}, {self.time})"


def read_lines(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """The JSON objects of a JSON-lines file, one at a time, each with its ``file:line``."""
    try:
        with path.open(encoding="utf-8", newline="\n") as lines:
            for number, line in enumerate(lines, start=1):
                if line.strip():
                    yield f"{path.name}:{number}", parse_line(f"{path.name}:{number}", line)
    except (OSError, UnicodeDecodeError) as e:
        raise Unreadable(f"{path}: cannot be read ({e})") from e


def parse_line(where: str, line: str) -> dict[str, Any]:
    try:
        obj = json.loads(line)
    except ValueError as e:
        raise Unreadable(f"{where}: not JSON ({e})") from e
    if not isinstance(obj, dict):
        raise Unreadable(f"{where}: not a JSON object")
    return obj


def get(obj: dict[str, Any], key: str, kind: type, where: str) -> Any:
    value = obj.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise Unreadable(f"{where}: {key!r} must be a {kind.__name__}")
    if isinstance(value, int) and value < 0:
        raise Unreadable(f"{where}: {key!r} must not be negative")
    return value


def unhex(text: str, where: str, size: int = 32) -> bytes:
    """Lowercase hex of ``size`` bytes (``-1``: any size)."""
    try:
        data = bytes.fromhex(text)
    except ValueError as e:
        raise Unreadable(f"{where}: {text[:20]!r} is not hex") from e
    if data.hex() != text or (size >= 0 and len(data) != size):
        what = "lowercase hex" if size < 0 else f"{size} bytes in lowercase hex"
        raise Unreadable(f"{where}: {text[:20]!r} is not {what}")
    return data


def parse_checkpoint(where: str, obj: dict[str, Any]) -> Checkpoint:
    if set(obj) != {"origin", "size", "root", "time", "key_id", "signature"}:
        raise Unreadable(f"{where}: a checkpoint has origin, size, root, time, key_id, signature")
    time, origin = get(obj, "time", str, where), get(obj, "origin", str, where)
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", time):
        raise Unreadable(f"{where}: time {time!r} is not like 2025-01-02T03:04:05.000006Z")
    if not re.fullmatch(r"[!-~]{1,255}", origin):
        raise Unreadable(f"{where}: origin {origin!r} is not printable ASCII without spaces")
    try:
        signature = base64.b64decode(get(obj, "signature", str, where), validate=True)
    except binascii.Error as e:
        raise Unreadable(f"{where}: the signature is not base64") from e
    key = unhex(get(obj, "key_id", str, where), where, 8).hex()
    root = unhex(get(obj, "root", str, where), where)
    size = get(obj, "size", int, where)
    return Checkpoint(where, origin, size, root, time, key, signature)


def read_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = load_pem_public_key(path.read_bytes())
    except (OSError, ValueError, UnsupportedAlgorithm) as e:
        raise Unreadable(f"{path}: not a readable PEM public key ({e})") from e
    if not isinstance(key, Ed25519PublicKey):
        raise Unreadable(f"{path}: not an Ed25519 public key")
    return key


def key_id(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).digest()[:8].hex()


# ---------------------------------------------------------------- the checks


@dataclass
class Report:
    problems: list[tuple[str, str]] = field(default_factory=list)  # (kind, position: detail)
    notes: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)

    def add(self, kind: str, detail: str) -> None:
        self.problems.append((kind, detail))

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Log:
    """The messages as the bundle presents them, in file order."""

    leaves: list[bytes] = field(default_factory=list)
    seqs: list[int] = field(default_factory=list)
    leaf_of_seq: dict[int, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class EventTrust:
    """Whose event signatures count, and from which sequence on they are checked."""

    keys: dict[str, Ed25519PublicKey]
    signed_from: int = 1


def check_event(
    where: str, obj: dict[str, Any], trust: EventTrust, report: Report
) -> tuple[int, bytes]:
    """One message: its fields, digest, readable payload and signature; returns (seq, leaf
    hash)."""
    seq, subject = get(obj, "seq", int, where), get(obj, "subject", str, where)
    headers, b64 = get(obj, "headers", dict, where), get(obj, "payload_b64", str, where)
    if seq == 0 or not all(isinstance(v, str) for v in headers.values()):
        raise Unreadable(f"{where}: seq must be at least 1 and header values text")
    try:
        payload = base64.b64decode(b64, validate=True)
    except binascii.Error as e:
        raise Unreadable(f"{where}: payload_b64 is not base64") from e
    at = f"{where} seq {seq}"
    known = {*ENTRY_HEADERS, *SIGNATURE_HEADERS}
    for extra in sorted(set(obj) - EVENT_FIELDS) + sorted(set(headers) - known):
        report.add("uncovered", f"{at}: {extra!r} is not covered by any signature")
    digest, claimed = hashlib.sha256(payload).hexdigest(), headers.get("Koers-Payload-Sha256")
    if claimed is None:
        report.add("digest-mismatch", f"{at}: no Koers-Payload-Sha256 header (not from Koers?)")
    elif digest != claimed:
        report.add(
            "digest-mismatch",
            f"{at}: the payload's SHA-256 is {digest}, its header "
            f"says {claimed}: the payload was changed after it was written",
        )
    if "payload" in obj:
        try:
            parsed = json.loads(payload)
        except ValueError:
            parsed = None
        if json.dumps(parsed, sort_keys=True) != json.dumps(obj["payload"], sort_keys=True):
            report.add("changed-payload", f"{at}: the readable 'payload' is not payload_b64")
    try:
        fields = entry_fields(subject, headers, payload)
    except UnicodeEncodeError as e:
        raise Unreadable(f"{where}: text that is not valid Unicode") from e
    if seq >= trust.signed_from:
        check_event_signature(at, ENTRY_TAG + fields, headers, trust.keys, report)
    return seq, leaf_hash(ENTRY_TAG + seq.to_bytes(8, "big") + fields)


def check_event_signature(
    at: str,
    signed: bytes,
    headers: dict[str, str],
    keys: dict[str, Ed25519PublicKey],
    report: Report,
) -> None:
    """The message must be signed (THE EVENT signature above) by a key you trust."""
    kid, value = headers.get("Koers-Key-Id", ""), headers.get("Koers-Signature", "")
    if not value:
        report.add("unsigned", f"{at}: no Koers-Signature header: not written by Koers's store")
        return
    key = keys.get(kid)
    if key is None:
        report.add(
            "bad-event-signature", f"{at}: signed by key {kid or '(none)'}, not one you trust"
        )
        return
    try:
        key.verify(base64.b64decode(value, validate=True), signed)
    except (binascii.Error, ValueError, InvalidSignature):
        report.add(
            "bad-event-signature",
            f"{at}: the signature does not verify with key {kid}: the message was forged or "
            f"changed",
        )


def check_sequences(wheres: list[str], seqs: list[int], report: Report) -> None:
    """Sequences must run 1, 2, 3… in file order; name each gap, repeat and step back."""
    present, expected = set(seqs), 1
    first_at: dict[int, str] = {}
    for where, seq in zip(wheres, seqs, strict=True):
        if seq in first_at:
            report.add("inserted-sequence", f"{where}: seq {seq} again (first at {first_at[seq]})")
            continue
        first_at[seq] = where
        if seq < expected:
            report.add("reordered-sequence", f"{where}: seq {seq} comes after seq {expected - 1}")
        elif seq > expected:
            gone = [s for s in range(expected, seq) if s not in present]
            for start, end in _runs(gone):
                report.add("missing-sequence", f"before {where}: {span(start, end)} missing")
        expected = max(expected, seq + 1)


def span(first: int, last: int) -> str:
    return f"seq {first}" if first == last else f"seqs {first}..{last}"


def _runs(numbers: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for n in numbers:
        if runs and runs[-1][1] == n - 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs


def read_events(bundle: Path, trust: EventTrust, report: Report) -> Log:
    log, wheres = Log(), []
    for where, obj in read_lines(bundle / "events.jsonl"):
        seq, leaf = check_event(where, obj, trust, report)
        log.leaves.append(leaf)
        log.seqs.append(seq)
        log.leaf_of_seq.setdefault(seq, leaf)
        wheres.append(where)
    check_sequences(wheres, log.seqs, report)
    return log


def check_signatures(
    checkpoints: list[Checkpoint], keys: dict[str, Ed25519PublicKey], report: Report
) -> list[Checkpoint]:
    """The checkpoints whose signature verifies with the trusted key they name; reports the
    others."""
    good = []
    for c in checkpoints:
        key = keys.get(c.key_id)
        if key is None:
            report.add(
                "bad-signature",
                f"{c.head()}: names key {c.key_id}, not one you trust ({', '.join(keys)})",
            )
            continue
        try:
            key.verify(c.signature, c.text())
        except InvalidSignature:
            report.add(
                "bad-signature",
                f"{c.head()}: does not verify with key {c.key_id} (it was changed or forged)",
            )
            continue
        good.append(c)
    return good


def check_chain(checkpoints: list[Checkpoint], report: Report) -> None:
    """Consecutive signed checkpoints must be of one origin, and sizes never go down."""
    for a, b in itertools.pairwise(checkpoints):
        if a.origin != b.origin:
            report.add(
                "inconsistent-checkpoints",
                f"{b.head()}: origin {b.origin!r} after {a.origin!r} ({a.where})",
            )
        if b.size < a.size:
            report.add(
                "inconsistent-checkpoints",
                f"{b.head()}: the log shrank from {a.size} ({a.where}): a rollback",
            )
        elif b.size == a.size and b.root != a.root:
            report.add(
                "inconsistent-checkpoints",
                f"{b.head()}: another root for size {a.size} than {a.where}: a fork",
            )
        if b.time < a.time:
            report.notes.append(f"{b.head()} is dated before {a.where}: the signer's clock?")


def check_roots(
    checkpoints: list[Checkpoint], kept: list[Checkpoint], log: Log, report: Report
) -> None:
    """Each signed root must be the root of that many messages of the bundle."""
    n = len(log.leaves)
    roots = prefix_roots(log.leaves, {c.size for c in checkpoints + kept})
    matched, first_bad = 0, ""  # the largest size that matches; the first that does not
    for c in sorted(checkpoints, key=lambda c: c.size):
        if c.size > n:
            report.add(
                "truncated",
                f"{c.head()}: signs {c.size} messages, the bundle has {n}: "
                f"{span(n + 1, c.size)} missing at the end",
            )
        elif roots[c.size] != c.root:
            if first_bad:
                place = f"as {first_bad} already differs"
            else:
                place, first_bad = (
                    f"the first difference is in {span(matched + 1, c.size)}",
                    c.where,
                )
            report.add(
                "root-mismatch",
                f"{c.head()}: the first {c.size} messages are not what was signed; {place}",
            )
        else:
            matched = max(matched, c.size)
    for c in kept:
        if c.size > n:
            report.add(
                "truncated",
                f"kept {c.head()}: signs {c.size} messages, the bundle has "
                f"{n}: the log was rolled back",
            )
        elif roots[c.size] != c.root:
            report.add(
                "inconsistent-checkpoints",
                f"kept {c.head()}: the bundle's first "
                f"{c.size} messages are not the ones signed then: history was rewritten",
            )


def check_proofs(
    proofs: Iterable[tuple[str, dict[str, Any]]], signed: list[Checkpoint], log: Log, report: Report
) -> int:
    """Every proof must hold against a signed checkpoint; returns how many were checked."""
    heads, count = {(c.size, c.root) for c in signed}, 0
    for where, obj in proofs:
        count += 1
        path = [
            unhex(h, where, -1) if isinstance(h, str) else b""
            for h in get(obj, "proof", list, where)
        ]
        if obj.get("type") == "inclusion":
            check_inclusion(where, obj, path, heads=heads, log=log, report=report)
        elif obj.get("type") == "consistency":
            check_consistency(where, obj, path, heads, report)
        else:
            raise Unreadable(f"{where}: 'type' must be 'inclusion' or 'consistency'")
    return count


def check_inclusion(
    where: str,
    obj: dict[str, Any],
    path: list[bytes],
    *,
    heads: set[tuple[int, bytes]],
    log: Log,
    report: Report,
) -> None:
    seq, index = get(obj, "seq", int, where), get(obj, "index", int, where)
    size, root = get(obj, "size", int, where), unhex(get(obj, "root", str, where), where)
    leaf = log.leaf_of_seq.get(seq)
    if (size, root) not in heads:
        why: str | None = "its size and root are not those of a signed checkpoint"
    elif index != seq - 1:
        why = f"index {index} is not seq {seq} - 1"
    elif leaf is None:
        why = "the bundle has no message with this seq"
    else:
        why = inclusion_problem(leaf, index, size, path, root)
    if why:
        report.add(
            "bad-proof",
            f"{where} seq {seq}: no proof that the message is in the signed log of size "
            f"{size}: {why}",
        )


def check_consistency(
    where: str,
    obj: dict[str, Any],
    path: list[bytes],
    heads: set[tuple[int, bytes]],
    report: Report,
) -> None:
    s1, s2 = get(obj, "size1", int, where), get(obj, "size2", int, where)
    r1, r2 = (unhex(get(obj, k, str, where), where) for k in ("root1", "root2"))
    if (s1, r1) not in heads or (s2, r2) not in heads:
        report.add("bad-proof", f"{where}: its sizes and roots are not signed checkpoints'")
    elif why := consistency_problem(s1, s2, r1, r2, path):
        report.add(
            "inconsistent-checkpoints",
            f"{where}: the signed logs of sizes {s1} and {s2} are not one append-only log: {why}",
        )


# ---------------------------------------------------------------- the whole bundle


def bundle_keys(bundle: Path) -> dict[str, tuple[str, Ed25519PublicKey]]:
    """The bundle's own keys by key id, each with the file it came from."""
    paths = [bundle / "public_key.pem", *sorted((bundle / "public_keys").glob("*.pem"))]
    keys = {}
    for path in paths:
        key = read_public_key(path)
        keys[key_id(key)] = (str(path.relative_to(bundle)), key)
    return keys


def verify_bundle(
    bundle: Path,
    public_keys: list[Path] | None = None,
    kept: list[Path] | None = None,
    *,
    signed_from: int = 1,
) -> Report:
    """Check everything in ``bundle`` (see the module doc); raises :class:`Unreadable`."""
    report = Report()
    if not bundle.is_dir():
        raise Unreadable(f"{bundle}: not a directory")
    own = bundle_keys(bundle)
    given = [read_public_key(p) for p in public_keys or []]
    trusted = {key_id(k): k for k in given} if given else {i: k for i, (_, k) in own.items()}
    for kid, (where, _) in own.items():
        if kid not in trusted:
            report.add(
                "untrusted-key",
                f"{where}: key {kid} is not a key you trust ({', '.join(trusted)}): the "
                f"bundle was signed by someone else",
            )
    log = read_events(bundle, EventTrust(trusted, signed_from), report)
    checkpoints = [parse_checkpoint(w, o) for w, o in read_lines(bundle / "checkpoints.jsonl")]
    kept_checkpoints = [parse_checkpoint(w, o) for p in kept or [] for w, o in read_lines(p)]
    signed = check_signatures(checkpoints, trusted, report)
    kept_signed = check_signatures(kept_checkpoints, trusted, report)
    check_chain(signed, report)
    check_roots(signed, kept_signed, log, report)
    proofs_file = bundle / "proofs.jsonl"
    proofs = (
        check_proofs(read_lines(proofs_file), signed, log, report) if proofs_file.exists() else 0
    )
    if not checkpoints:
        report.add("bad-signature", "checkpoints.jsonl: no checkpoint, so nothing is signed")
    covered = max((c.size for c in signed), default=0)
    report.facts += [
        f"bundle:      {bundle}",
        f"signing keys: {', '.join(trusted)}" + ("" if given else " (the bundle's own keys)"),
        f"messages:    {len(log.leaves)}",
        f"checkpoints: {len(checkpoints)} ({len(signed)} with a valid signature), "
        f"origin {', '.join(sorted({c.origin for c in checkpoints})) or '-'}",
        f"proofs:      {proofs}; kept checkpoints: {len(kept_checkpoints)}",
    ]
    if len(log.leaves) > covered:
        report.notes.append(
            f"messages {covered + 1}..{len(log.leaves)} are not covered by a "
            f"checkpoint yet: they are not verified"
        )
    if signed_from > 1:
        report.notes.append(f"the signatures of seqs 1..{signed_from - 1} were not checked")
    if not given and not kept:
        report.notes.append(
            f"no --public-key or --checkpoint given: this shows the bundle is "
            f"whole and signed by keys {', '.join(trusted)}; compare those ids with the "
            f"ones the operator gave you"
        )
    return report


def render(report: Report) -> str:
    lines = ["Koers audit verifier", *report.facts, *(f"NOTE: {n}" for n in report.notes)]
    shown: Counter[str] = Counter()
    for kind, detail in report.problems:
        shown[kind] += 1
        if shown[kind] <= SHOWN_PER_KIND:
            lines.append(f"PROBLEM [{kind}] {detail}")
    lines += [
        f"... and {n - SHOWN_PER_KIND} more [{k}]" for k, n in shown.items() if n > SHOWN_PER_KIND
    ]
    if report.ok:
        lines.append("OK: every message, checkpoint and proof verifies")
    else:
        counts = ", ".join(f"{k} {n}" for k, n in sorted(shown.items()))
        lines.append(f"FAILED: {len(report.problems)} problems ({counts})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="verifier.py", description="Verify a Koers audit bundle offline."
    )
    parser.add_argument("bundle", type=Path, help="the bundle directory")
    parser.add_argument(
        "--public-key",
        type=Path,
        action="append",
        default=[],
        help="an Ed25519 public key you trust (PEM); repeat it for keys retired by a rotation",
    )
    parser.add_argument(
        "--signed-from",
        type=int,
        default=1,
        metavar="SEQ",
        help="check event signatures from this sequence on (earlier events were written "
        "before Koers signed events)",
    )
    parser.add_argument(
        "--checkpoint",
        type=Path,
        action="append",
        default=[],
        help="a checkpoint (JSON lines) you kept from an earlier audit; may be repeated",
    )
    args = parser.parse_args(argv)
    try:
        report = verify_bundle(
            args.bundle, args.public_key, args.checkpoint, signed_from=args.signed_from
        )
    except Unreadable as e:
        print(f"UNREADABLE: {e}", file=sys.stderr)
        return 2
    except Exception as e:  # a bug here must never pass for "problems found" (1) or OK (0)
        print(f"UNREADABLE: the verifier failed ({type(e).__name__}: {e})", file=sys.stderr)
        return 2
    print(render(report))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""One pass over the stream: every message's leaf into the tree, and what is wrong on its face.

:class:`Scan` takes the frames in stream order, batch after batch, and keeps

- the Merkle tree over the messages *present*, in order (``index`` = how many came before);
  in an undamaged log that is the signed tree, leaf ``i`` = sequence ``i + 1``;
- the sequences present (``seqs``), and the holes between them (``gaps``): a message that is
  gone (deleted, or dropped by the server as damaged) leaves one;
- from sequence ``digests_from + 1`` on, each message whose payload no longer has the
  SHA-256 its ``Koers-Payload-Sha256`` header states (``changed``). Below, a checkpoint
  vouches for the messages (their digests were checked before they were signed): a
  verification starts the digest checks after the last signed size, and looks again only
  where a root no longer matches;
- every message without that header (``foreign``: not written by Koers), signed or not:
  the checkpointer signs them as stored, and every verification names them;
- from sequence ``records_from + 1`` on, the leaf and content key of each message (40 bytes
  each, ``records``): what the checkpointer publishes beside its next checkpoints;
- with trusted ``keys``, from sequence ``signatures_from + 1`` on, each message that carries
  no ``Koers-Signature`` (``unsigned``) or whose signature is not by a trusted key over its
  entry without the sequence (``badly_signed``): checked on worker threads
  (:mod:`ledger.audit._signatures`), collected by :meth:`Scan.settle`.

The loop is one function with its names bound locally: at a million events every
attribute lookup shows (see BENCHMARKS.md, "Audit trail"). It computes exactly what
:func:`ledger.audit._frames.frame_leaf` and :func:`~ledger.audit._frames.digest_state` do;
the tests hold them equal.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Callable, Iterable

from ledger.audit._entry import ENTRY_HEADERS, ENTRY_TAG
from ledger.audit._frames import CONTENT_KEY_SIZE, Frame
from ledger.audit._merkle import HASH_SIZE, MerkleTree
from ledger.audit._part import Part
from ledger.audit._signatures import Job, SignatureChecks
from ledger.nats._keys import TrustedKeys
from ledger.nats._subjects import H_KEY_ID, H_SIGNATURE

__all__ = ["RECORD_SIZE", "Scan", "tree_of"]

#: One leaf record: the 32-byte leaf hash and the 8-byte content key.
RECORD_SIZE = 32 + CONTENT_KEY_SIZE
_LEN = tuple(i.to_bytes(8, "big") for i in range(1 << 12))
_NEEDLES = tuple(
    (needle, len(needle)) for needle in (b"\r\n" + n.encode("ascii") + b":" for n in ENTRY_HEADERS)
)
_ABSENT = (_LEN[0], b"")
_DIGEST_AT = ENTRY_HEADERS.index("Koers-Payload-Sha256")
_PREFIX = b"\x00" + ENTRY_TAG
_TAIL = len(_PREFIX) + 8  # where the entry's fields start, after the tag and the sequence
_KEY_NEEDLE = b"\r\n" + H_KEY_ID.encode("ascii") + b":"
_SIGNATURE_NEEDLE = b"\r\n" + H_SIGNATURE.encode("ascii") + b":"


class Scan:
    """The state of one pass; feed it with :meth:`add`, in stream order."""

    def __init__(
        self,
        records_from: int | None = None,
        digests_from: int = 0,
        *,
        keys: TrustedKeys | None = None,
        signatures_from: int = 0,
    ) -> None:
        self.leaves = bytearray()  # 32 bytes per message read
        self._tree: MerkleTree | None = None
        self.seqs = array("Q")
        self.gaps: list[tuple[int, int]] = []
        self.changed: list[tuple[int, str]] = []  # (seq, what the digest header says)
        self.foreign: list[int] = []
        self.records_from = records_from
        self.digests_from = digests_from
        self.records = bytearray()
        self.signatures_from = signatures_from
        self.unsigned: list[int] = []
        self.badly_signed: list[tuple[int, str]] = []  # (seq, why)
        self._joined_bad: list[tuple[int, str]] = []  # the verdicts of joined parts
        self._checks = SignatureChecks(keys) if keys is not None else None
        self.last_seq = 0
        self.watchers: list[Callable[[list[Frame]], None]] = []

    @property
    def count(self) -> int:
        """How many messages were read."""
        return len(self.leaves) // HASH_SIZE

    @property
    def tree(self) -> MerkleTree:
        """The Merkle tree of the messages read so far (built once the reading is done:
        level by level, faster than leaf by leaf)."""
        if self._tree is None or self._tree.size != self.count:
            self._tree = tree_of(self.leaves)
        return self._tree

    @property
    def keys(self) -> TrustedKeys | None:
        """The keys event signatures are checked with (``None``: not checked)."""
        return self._checks.keys if self._checks is not None else None

    def seq_at(self, index: int) -> int:
        """The sequence of the ``index``-th message read."""
        return int(self.seqs[index])

    def add(self, frames: Iterable[Frame]) -> None:
        """Take the next frames of the stream (in order)."""
        batch = frames if isinstance(frames, list) else list(frames)
        if not batch:
            return
        for watch in self.watchers:
            watch(batch)
        self._hash(batch)

    def settle(self) -> None:
        """Wait for the signature checks of every frame added (call after the last add)."""
        if self._checks is not None:
            self.badly_signed = sorted([*self._joined_bad, *self._checks.settle()])

    def part(self, start: int) -> Part:
        """What this scan found, as a :class:`Part` of a log read from ``start`` on (call
        :meth:`settle` first; a scan of a range sets ``last_seq = start - 1`` before adding)."""
        return Part(
            start, self.last_seq, bytes(self.leaves), self.seqs.tobytes(), self.gaps,
            self.changed, self.foreign, bytes(self.records), self.unsigned, self.badly_signed,
        )  # fmt: skip

    def join(self, part: Part) -> None:
        """Append ``part``, the next range of the log read by another scan with the same
        settings: afterwards this scan is what one scan over both ranges would be. A hole
        that spans the seam (the end of this range and the start of ``part`` gone) is
        one hole, as one scan sees it."""
        if not part.leaves:  # nothing there: the next part (or the end) tells the hole
            return
        gaps = list(part.gaps)
        if self.last_seq + 1 < part.start:  # this range's tail is gone
            if gaps and gaps[0][0] == part.start:
                gaps[0] = (self.last_seq + 1, gaps[0][1])
            else:
                gaps.insert(0, (self.last_seq + 1, part.start - 1))
        self.leaves += part.leaves
        self.seqs.frombytes(part.seqs)
        self.gaps += gaps
        self.changed += part.changed
        self.foreign += part.foreign
        self.records += part.records
        self.unsigned += part.unsigned
        self._joined_bad += part.badly_signed
        self.badly_signed = sorted([*self.badly_signed, *part.badly_signed])
        self.last_seq = part.last_seq

    def _hash(self, batch: list[Frame]) -> None:
        lens, needles, prefix, digest_at = _LEN, _NEEDLES, _PREFIX, 5 + 2 * _DIGEST_AT
        sha256, leaves, add_seq = hashlib.sha256, self.leaves, self.seqs.append
        records, records_from = self.records, self.records_from
        keep, check_from = records_from is not None, self.digests_from
        expect = self.last_seq + 1
        checks, sign_from, tag = self._checks, self.signatures_from, ENTRY_TAG
        jobs: list[Job] = []
        for seq, raw_subject, raw_head, data in batch:
            if seq != expect:
                self._jump(expect, seq)
            expect = seq + 1
            subject, head = raw_subject, raw_head
            if not (head.isascii() and subject.isascii()):
                subject, head = _utf8(subject), _utf8(head)
            find = head.find
            parts = [prefix, seq.to_bytes(8, "big"), lens[len(subject)], subject]
            for needle, skip in needles:
                start = find(needle)
                if start < 0:
                    parts += _ABSENT
                    continue
                start += skip
                value = head[start : find(b"\r\n", start)].strip()
                parts += (lens[len(value)], value)
            size = len(data)
            parts += (lens[size] if size < 4096 else size.to_bytes(8, "big"), data)
            entry = b"".join(parts)
            leaf = sha256(entry).digest()
            leaves += leaf
            add_seq(seq)
            claimed = parts[digest_at]
            if not claimed:
                self.foreign.append(seq)
            elif seq > check_from and sha256(data).hexdigest().encode() != claimed:
                self.changed.append((seq, claimed.decode("utf-8", "replace")))
            if keep and seq > records_from:  # type: ignore[operator]
                records += leaf
                records += sha256(entry[_TAIL:]).digest()[:CONTENT_KEY_SIZE]
            if checks is not None and seq > sign_from:
                kid, signature = _ascii(head, _KEY_NEEDLE), _ascii(head, _SIGNATURE_NEEDLE)
                if kid or signature:
                    jobs.append((seq, tag + entry[_TAIL:], kid, signature))
                else:
                    self.unsigned.append(seq)
        self.last_seq = expect - 1
        if jobs:
            checks.submit(jobs)  # type: ignore[union-attr]

    def _jump(self, expect: int, seq: int) -> None:
        if seq > expect:
            self.gaps.append((expect, seq - 1))
        else:  # a server never delivers out of order; a reader bug must not pass unseen
            raise ValueError(f"sequence {seq} came after {expect - 1}: the read is out of order")


def _ascii(head: bytes, needle: bytes) -> str:
    """A header's value as text (absent: empty)."""
    start = head.find(needle)
    if start < 0:
        return ""
    start += len(needle)
    return head[start : head.find(b"\r\n", start)].strip().decode("utf-8", "replace")


def _utf8(raw: bytes) -> bytes:
    """Text bytes as ``LazyHeaders`` sees them: UTF-8, invalid bytes replaced."""
    return raw.decode("utf-8", "replace").encode("utf-8")


def tree_of(leaves: bytes | bytearray) -> MerkleTree:
    """The :class:`MerkleTree` of ``leaves`` (32-byte leaf hashes, concatenated), built level
    by level: each level's hashes in one comprehension, 0.8 µs a leaf against 1.2 µs for
    ``append`` (measured). It fills the tree's own representation (``_levels[h]``: the
    hashes of the complete subtrees of ``2**h`` leaves, ``size >> h`` of them; see
    ``ledger.audit._merkle``); the tests hold it equal to a tree built by ``append``.
    """
    tree = MerkleTree()
    size = len(leaves) // HASH_SIZE
    if size == 0:
        return tree
    sha256 = hashlib.sha256
    level = bytes(leaves[: size * HASH_SIZE])
    levels = [bytearray(level)]
    while len(level) >= 2 * HASH_SIZE:
        pairs = len(level) // (2 * HASH_SIZE) * 2 * HASH_SIZE
        level = b"".join(
            [sha256(b"\x01" + level[i : i + 2 * HASH_SIZE]).digest() for i in range(0, pairs, 64)]
        )
        levels.append(bytearray(level))
    tree._levels, tree._size = levels, size  # the tree's own representation
    return tree

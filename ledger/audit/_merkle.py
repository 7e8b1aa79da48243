"""RFC 9162 Merkle tree hashing: an append-only tree, its proofs, and their verification.

Hashing (RFC 9162 §2.1.1, the same as RFC 6962)::

    leaf  = SHA-256(0x00 ‖ entry)
    node  = SHA-256(0x01 ‖ left ‖ right)
    MTH(D[n]) = H(0x01 ‖ MTH(D[0:k]) ‖ MTH(D[k:n]))   k = the largest power of two < n
    MTH({})   = SHA-256("")                          the empty tree

The prefixes keep leaves and nodes apart: a node can never be passed off as a leaf.

The verifiers implement RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency) step by
step and accept nothing else: hashes must be 32 bytes, sizes and indexes plain non-negative
ints, and a proof must have exactly the elements its path needs. Every failure raises
:class:`ProofError` naming the reason; a verifier that returns has proven the claim.

Beyond the RFC's ``0 < first < second``, consistency is defined for the edge cases as
transparency-dev/merkle does, one step stricter: from size 0 the proof is empty and the first
root must be the empty tree's; between equal sizes the proof is empty and the roots equal.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from ledger.errors import KoersError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "AuditError",
    "MerkleTree",
    "ProofError",
    "TreeRangeError",
    "hash_children",
    "hash_leaf",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
#: The root of the empty tree: SHA-256 of no bytes.
EMPTY_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256


class AuditError(KoersError):
    """Base of the audit trail's errors (it lives here, the package's lowest layer)."""


class ProofError(AuditError, ValueError):
    """A Merkle proof does not verify, or is malformed. ``reason`` says which check failed."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"the Merkle proof does not verify: {reason}")


class TreeRangeError(AuditError, ValueError):
    """A size or leaf index outside the tree was asked for."""


def hash_leaf(entry: bytes) -> bytes:
    """The leaf hash of one entry: ``SHA-256(0x00 ‖ entry)``."""
    return _sha256(b"\x00" + entry).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node: ``SHA-256(0x01 ‖ left ‖ right)``."""
    return _sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    """An append-only Merkle tree over leaf hashes, with roots and proofs for any past size.

    Invariant: ``_levels[h]`` holds, concatenated 32 bytes each, the hashes of all *complete*
    subtrees of ``2**h`` leaves in order, so it holds ``size >> h`` hashes. Appending a leaf
    adds one hash to level 0 and one to each level whose subtree it completes: two hashes per
    leaf on average, O(1) amortised, 64 bytes of memory per leaf. Any root or proof needs only
    O(log n) of these stored hashes (a range of the tree is a few complete subtrees).
    Not thread-safe: one thread appends, and nothing reads while it does.
    """

    __slots__ = ("_levels", "_size")

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[bytearray] = [bytearray()]
        self._size = 0
        self.extend(leaf_hashes)

    def __len__(self) -> int:
        return self._size

    @property
    def size(self) -> int:
        """The number of leaves."""
        return self._size

    def append(self, leaf_hash: bytes) -> int:
        """Add one leaf hash; returns its index (the size before the append)."""
        if len(leaf_hash) != HASH_SIZE:
            raise TreeRangeError(f"a leaf hash is {HASH_SIZE} bytes, not {len(leaf_hash)}")
        index = self._size
        levels = self._levels
        levels[0] += leaf_hash
        node = leaf_hash
        height, count = 0, index + 1
        while not count & 1:  # this leaf completes a subtree of 2**(height+1) leaves
            node = _sha256(b"\x01" + levels[height][-64:-32] + node).digest()
            height += 1
            count >>= 1
            if height == len(levels):
                levels.append(bytearray())
            levels[height] += node
        self._size = index + 1
        return index

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append each leaf hash in order."""
        append = self.append
        for leaf_hash in leaf_hashes:
            append(leaf_hash)

    def leaf(self, index: int) -> bytes:
        """The leaf hash at ``index``."""
        if type(index) is not int or not 0 <= index < self._size:
            raise TreeRangeError(f"leaf index {index!r} is not in a tree of {self._size} leaves")
        return self._node(0, index)

    def root(self, size: int | None = None) -> bytes:
        """The root of the tree's first ``size`` leaves (default: all of them)."""
        size = self._size if size is None else size
        self._check_size(size, "size")
        return self._range_hash(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """The audit path of leaf ``index`` in the tree of ``size`` leaves (RFC 9162 §2.1.3.1)."""
        size = self._size if size is None else size
        self._check_size(size, "size")
        if type(index) is not int or not 0 <= index < size:
            raise TreeRangeError(f"leaf index {index!r} is not in a tree of {size} leaves")
        return self._path(index, 0, size)

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """The proof that the tree of ``size1`` leaves is a prefix of that of ``size2``
        (RFC 9162 §2.1.4.1); empty when ``size1`` is 0 or equals ``size2``."""
        size2 = self._size if size2 is None else size2
        self._check_size(size2, "size2")
        if type(size1) is not int or not 0 <= size1 <= size2:
            raise TreeRangeError(f"size1 {size1!r} is not between 0 and size2 {size2}")
        if size1 in (0, size2):
            return []
        return self._subproof(size1, 0, size2, True)

    def _check_size(self, size: int, what: str) -> None:
        if type(size) is not int or not 0 <= size <= self._size:
            raise TreeRangeError(f"{what} {size!r} is not between 0 and the tree size {self._size}")

    def _node(self, height: int, index: int) -> bytes:
        """The root of the complete subtree of ``2**height`` leaves from ``index << height``."""
        offset = index * HASH_SIZE
        return bytes(self._levels[height][offset : offset + HASH_SIZE])

    def _range_hash(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for a range of the tree's shape (``start`` is a multiple of the
        smallest power of two >= the length): its complete subtrees, largest first, folded
        from the right, which is what the recursive definition of MTH gives."""
        n = end - start
        if n == 0:
            return EMPTY_ROOT
        blocks: list[bytes] = []
        for height in range(n.bit_length() - 1, -1, -1):
            if n >> height & 1:
                blocks.append(self._node(height, start >> height))
                start += 1 << height
        acc = blocks.pop()
        while blocks:
            acc = hash_children(blocks.pop(), acc)
        return acc

    def _path(self, index: int, start: int, n: int) -> list[bytes]:
        if n == 1:
            return []
        k = _split(n)
        if index < k:
            return [*self._path(index, start, k), self._range_hash(start + k, start + n)]
        return [*self._path(index - k, start + k, n - k), self._range_hash(start, start + k)]

    def _subproof(self, m: int, start: int, n: int, whole: bool) -> list[bytes]:
        if m == n:
            return [] if whole else [self._range_hash(start, start + n)]
        k = _split(n)
        if m <= k:
            return [*self._subproof(m, start, k, whole), self._range_hash(start + k, start + n)]
        return [*self._subproof(m - k, start + k, n - k, False), self._range_hash(start, start + k)]


def _check_hash(what: str, value: object) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        got = f"{len(value)} bytes" if isinstance(value, bytes) else type(value).__name__
        raise ProofError(f"{what} must be {HASH_SIZE} bytes, got {got}")


def _check_count(what: str, value: object) -> None:
    if type(value) is not int or value < 0:
        raise ProofError(f"{what} must be a non-negative integer, got {value!r}")


def _check_proof(proof: Sequence[bytes]) -> None:
    if isinstance(proof, bytes | str) or not isinstance(proof, Sequence):
        raise ProofError("the proof must be a sequence of hashes")
    for i, element in enumerate(proof):
        _check_hash(f"proof element {i}", element)


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` leaves with ``root``
    (RFC 9162 §2.1.3.2); raises :class:`ProofError` unless it is proven."""
    _check_hash("the leaf hash", leaf_hash)
    _check_hash("the root", root)
    _check_count("the leaf index", index)
    _check_count("the tree size", size)
    _check_proof(proof)
    if index >= size:
        raise ProofError(f"leaf index {index} is not below the tree size {size}")
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            raise ProofError("the proof has more elements than the leaf's path")
        if fn & 1 or fn == sn:
            r = hash_children(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = hash_children(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the proof has fewer elements than the leaf's path")
    if r != root:
        raise ProofError("the proof does not lead to the root")


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree of ``size1`` leaves with ``root1`` is a prefix of the tree of
    ``size2`` leaves with ``root2`` (RFC 9162 §2.1.4.2); raises :class:`ProofError` unless
    it is proven."""
    _check_count("size1", size1)
    _check_count("size2", size2)
    _check_hash("root1", root1)
    _check_hash("root2", root2)
    _check_proof(proof)
    if size1 > size2:
        raise ProofError(f"size1 {size1} is larger than size2 {size2}: a log never shrinks")
    if size1 in (0, size2):
        _verify_trivial_consistency(size1, size2, root1, root2, proof)
        return
    if not proof:
        raise ProofError(f"the proof from size {size1} to {size2} cannot be empty")
    path = [root1, *proof] if size1 & (size1 - 1) == 0 else list(proof)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the proof has more elements than the two trees need")
        if fn & 1 or fn == sn:
            fr, sr = hash_children(c, fr), hash_children(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = hash_children(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the proof has fewer elements than the two trees need")
    if fr != root1:
        raise ProofError("the proof does not lead to root1")
    if sr != root2:
        raise ProofError("the proof does not lead to root2")


def _verify_trivial_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> None:
    """The cases without a proof: from the empty tree, or between equal sizes."""
    if proof:
        raise ProofError(f"the proof from size {size1} to {size2} must be empty")
    if size1 == 0 and root1 != EMPTY_ROOT:
        raise ProofError("root1 of the empty tree must be SHA-256 of no bytes")
    if size1 == size2 and root1 != root2:
        raise ProofError(f"two different roots for the same size {size1}")

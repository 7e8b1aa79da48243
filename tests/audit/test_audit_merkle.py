"""The Merkle tree and its proofs, against RFC 6962/9162 vectors, a naive model and forgeries.

The known answers are transparency-dev/merkle's (proof/verify_test.go): eight leaves, the
roots of their first 1..8 leaves and a few proofs. Every proof the tree makes for sizes up to
64 (and random larger ones) must equal the naive recursive definition's and verify; every
mutation of a valid proof (transparency-dev's ``corruptInclusionProof`` and
``corruptConsistencyProof`` list, and more) must be refused.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator

import pytest

from ledger.audit import (
    EMPTY_ROOT,
    MerkleTree,
    ProofError,
    TreeRangeError,
    hash_leaf,
    verify_consistency,
    verify_inclusion,
)
from ledger.errors import KoersError

LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [  # the root of the first n leaves, n = 1..8
    bytes.fromhex(h)
    for h in (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]
H = bytes.fromhex
INCLUSION_VECTORS = [  # (leaf index, size, proof)
    (0, 8, [H("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")]),
    (5, 8, [H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            H("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")]),
    (2, 3, [H("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (1, 5, [H("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")]),
]  # fmt: skip
CONSISTENCY_VECTORS = [  # (size1, size2, proof)
    (1, 8, [H("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")]),
    (6, 8, [H("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            H("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")]),
    (2, 5, [H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")]),
    (6, 7, [H("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            H("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")]),
]  # fmt: skip
SOME_HASH = H("abacaba000000000000000000000000000000000000000000060061e00123456")


# A naive model: RFC 9162 §2.1 written as plain recursion over lists of leaf hashes.


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = _k(len(leaves))
    return _node(mth(leaves[:k]), mth(leaves[k:]))


def path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = _k(len(leaves))
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


def subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    if m == len(leaves):
        return [] if whole else [mth(leaves)]
    k = _k(len(leaves))
    if m <= k:
        return [*subproof(m, leaves[:k], whole), mth(leaves[k:])]
    return [*subproof(m - k, leaves[k:], False), mth(leaves[:k])]


def leaf_hashes(n: int) -> list[bytes]:
    return [hashlib.sha256(b"\x00" + i.to_bytes(4, "big")).digest() for i in range(n)]


# Forgeries: every mutation of a valid proof (transparency-dev's list, and a few more).


def flip(data: bytes, bit: int) -> bytes:
    return bytes([data[0] ^ (1 << bit), *data[1:]])


def inclusion_forgeries(
    leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes
) -> Iterator[tuple[str, tuple[bytes, int, int, list[bytes], bytes]]]:
    yield "index - 1", (leaf, index - 1, size, proof, root)
    yield "index + 1", (leaf, index + 1, size, proof, root)
    yield "index ^ 2", (leaf, index ^ 2, size, proof, root)
    yield "size * 2", (leaf, index, size * 2, proof, root)
    yield "size / 2", (leaf, index, size // 2, proof, root)
    yield "wrong leaf (short)", (b"WrongLeaf", index, size, proof, root)
    yield "wrong leaf", (SOME_HASH, index, size, proof, root)
    yield "empty root", (leaf, index, size, proof, EMPTY_ROOT)
    yield "random root", (leaf, index, size, proof, SOME_HASH)
    yield "no root", (leaf, index, size, proof, b"")
    yield "trailing garbage", (leaf, index, size, [*proof, b""], root)
    yield "trailing root", (leaf, index, size, [*proof, root], root)
    yield "trailing hash", (leaf, index, size, [*proof, SOME_HASH], root)
    yield "preceding garbage", (leaf, index, size, [b"", *proof], root)
    yield "preceding root", (leaf, index, size, [root, *proof], root)
    yield "preceding leaf", (leaf, index, size, [leaf, *proof], root)
    for i in range(len(proof)):
        for bit in (0, 3, 7):
            bad = [*proof[:i], flip(proof[i], bit), *proof[i + 1 :]]
            yield f"proof[{i}] bit {bit}", (leaf, index, size, bad, root)
        yield f"proof[{i}] removed", (leaf, index, size, proof[:i] + proof[i + 1 :], root)
    if proof:
        yield "empty proof", (leaf, index, size, [], root)
        yield "inserted component", (leaf, index, size, [proof[0], SOME_HASH, *proof[1:]], root)
        yield "doubled", (leaf, index, size, [*proof, *proof], root)
    if len(set(proof)) > 1:
        yield "reversed", (leaf, index, size, proof[::-1], root)


def consistency_forgeries(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: list[bytes]
) -> Iterator[tuple[str, tuple[int, int, bytes, bytes, list[bytes]]]]:
    yield "size1 - 1", (size1 - 1, size2, root1, root2, proof)
    yield "size1 + 1", (size1 + 1, size2, root1, root2, proof)
    yield "size1 ^ 2", (size1 ^ 2, size2, root1, root2, proof)
    yield "size2 * 2", (size1, size2 * 2, root1, root2, proof)
    yield "size2 / 2", (size1, size2 // 2, root1, root2, proof)
    yield "size1 > size2 (time travel)", (size2, size1, root2, root1, proof)
    yield "wrong root1 (short)", (size1, size2, b"WrongRoot", root2, proof)
    yield "wrong root2 (short)", (size1, size2, root1, b"WrongRoot", proof)
    yield "wrong root1", (size1, size2, SOME_HASH, root2, proof)
    yield "wrong root2", (size1, size2, root1, SOME_HASH, proof)
    yield "empty root1", (size1, size2, EMPTY_ROOT, root2, proof)
    yield "swapped roots", (size1, size2, root2, root1, proof)
    yield "empty proof", (size1, size2, root1, root2, [])
    yield "truncated proof", (size1, size2, root1, root2, proof[:-1])
    for extra, name in ((b"", "garbage"), (root1, "root1"), (root2, "root2"), (proof[0], "[0]")):
        yield f"trailing {name}", (size1, size2, root1, root2, [*proof, extra])
        yield f"preceding {name}", (size1, size2, root1, root2, [extra, *proof])
    for i in range(len(proof)):
        for bit in (0, 4, 7):
            bad = [*proof[:i], flip(proof[i], bit), *proof[i + 1 :]]
            yield f"proof[{i}] bit {bit}", (size1, size2, root1, root2, bad)
        yield f"proof[{i}] removed", (size1, size2, root1, root2, proof[:i] + proof[i + 1 :])
    yield "inserted component", (size1, size2, root1, root2, [proof[0], SOME_HASH, *proof[1:]])


def count_rejections(
    verify: Callable[..., None], forgeries: Iterator[tuple[str, tuple[object, ...]]]
) -> int:
    rejected = 0
    for desc, args in forgeries:
        try:
            verify(*args)
        except ProofError:
            rejected += 1
        else:
            pytest.fail(f"a forged proof verified: {desc} {args[:3]!r}")
    return rejected


# Known answers.


def test_the_published_roots_of_sizes_1_to_8() -> None:
    hashes = [hash_leaf(leaf) for leaf in LEAVES]
    tree = MerkleTree(hashes)
    assert tree.root(8).hex() == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    for n in range(1, 9):
        assert tree.root(n) == ROOTS[n - 1] == mth(hashes[:n])
    assert tree.root(0) == EMPTY_ROOT == MerkleTree().root()
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_the_published_proofs() -> None:
    hashes = [hash_leaf(leaf) for leaf in LEAVES]
    tree = MerkleTree(hashes)
    for index, size, proof in INCLUSION_VECTORS:
        assert tree.inclusion_proof(index, size) == proof
        verify_inclusion(hashes[index], index, size, proof, ROOTS[size - 1])
        assert (
            count_rejections(
                verify_inclusion,
                inclusion_forgeries(hashes[index], index, size, proof, ROOTS[size - 1]),
            )
            >= 20
        )
    for size1, size2, proof in CONSISTENCY_VECTORS:
        assert tree.consistency_proof(size1, size2) == proof
        verify_consistency(size1, size2, ROOTS[size1 - 1], ROOTS[size2 - 1], proof)
        assert (
            count_rejections(
                verify_consistency,
                consistency_forgeries(size1, size2, ROOTS[size1 - 1], ROOTS[size2 - 1], proof),
            )
            >= 20
        )


# Every proof up to 64 leaves, and random larger trees.


def test_every_inclusion_proof_up_to_64_leaves_verifies_and_no_forgery_does() -> None:
    hashes = leaf_hashes(64)
    tree = MerkleTree(hashes)
    rejected = 0
    for size in range(1, 65):
        root = mth(hashes[:size])
        assert tree.root(size) == root
        for index in range(size):
            proof = tree.inclusion_proof(index, size)
            assert proof == path(index, hashes[:size])
            verify_inclusion(hashes[index], index, size, proof, root)
            rejected += count_rejections(
                verify_inclusion, inclusion_forgeries(hashes[index], index, size, proof, root)
            )
    assert rejected > 50_000


def test_every_consistency_proof_up_to_64_leaves_verifies_and_no_forgery_does() -> None:
    hashes = leaf_hashes(64)
    tree = MerkleTree(hashes)
    roots = [mth(hashes[:n]) for n in range(65)]
    rejected = 0
    for size2 in range(65):
        for size1 in range(size2 + 1):
            proof = tree.consistency_proof(size1, size2)
            expected = [] if size1 in (0, size2) else subproof(size1, hashes[:size2], True)
            assert proof == expected
            verify_consistency(size1, size2, roots[size1], roots[size2], proof)
            if proof:
                rejected += count_rejections(
                    verify_consistency,
                    consistency_forgeries(size1, size2, roots[size1], roots[size2], proof),
                )
    assert rejected > 50_000


def test_random_trees_of_a_few_thousand_leaves() -> None:
    rng = random.Random(9162)
    hashes = leaf_hashes(5000)
    tree = MerkleTree(hashes)
    for _ in range(12):
        size = rng.randrange(65, 5001)
        root = mth(hashes[:size])
        assert tree.root(size) == root
        for index in {0, size - 1, size // 2, *rng.sample(range(size), 8)}:
            proof = tree.inclusion_proof(index, size)
            assert proof == path(index, hashes[:size])
            verify_inclusion(hashes[index], index, size, proof, root)
            count_rejections(
                verify_inclusion, inclusion_forgeries(hashes[index], index, size, proof, root)
            )
        for size1 in {1, size - 1, *rng.sample(range(1, size), 8)}:
            proof = tree.consistency_proof(size1, size)
            assert proof == subproof(size1, hashes[:size], True)
            root1 = mth(hashes[:size1])
            verify_consistency(size1, size, root1, root, proof)
            count_rejections(
                verify_consistency, consistency_forgeries(size1, size, root1, root, proof)
            )


# The edge cases (transparency-dev's TestVerifyInclusion / TestVerifyConsistency tables).


@pytest.mark.parametrize(("index", "size"), [(0, 0), (0, 1), (1, 0), (2, 1)])
def test_inclusion_in_trees_of_zero_or_one_leaf_needs_the_right_leaf_and_root(
    index: int, size: int
) -> None:
    for leaf, root in ((SOME_HASH, b""), (b"", EMPTY_ROOT), (SOME_HASH, EMPTY_ROOT)):
        with pytest.raises(ProofError):
            verify_inclusion(leaf, index, size, [], root)


def test_a_single_leaf_is_its_own_root() -> None:
    leaf = hash_leaf(b"data")
    verify_inclusion(leaf, 0, 1, [], leaf)
    for leaf_, root in ((leaf, b""), (b"", leaf), (b"", b""), (leaf, SOME_HASH)):
        with pytest.raises(ProofError):
            verify_inclusion(leaf_, 0, 1, [], root)


def test_consistency_without_a_proof() -> None:
    one = hash_leaf(b"one")
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    verify_consistency(0, 1, EMPTY_ROOT, one, [])
    verify_consistency(1, 1, one, one, [])
    verify_consistency(0, 5, EMPTY_ROOT, SOME_HASH, [])
    refused = [
        (0, 0, EMPTY_ROOT, SOME_HASH, []),  # two roots for one size
        (1, 1, one, SOME_HASH, []),
        (0, 1, SOME_HASH, one, []),  # the empty tree has one root (transparency-dev: any)
        (1, 0, one, EMPTY_ROOT, []),  # time travel
        (2, 1, one, one, []),
        (1, 2, one, SOME_HASH, []),  # an empty proof between different sizes
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT]),  # a proof where none is needed
        (0, 1, EMPTY_ROOT, one, [EMPTY_ROOT]),
        (1, 1, one, one, [EMPTY_ROOT]),
        (1, 1, b"don't care 1", b"don't care 1", []),  # not hashes
    ]
    for args in refused:
        with pytest.raises(ProofError):
            verify_consistency(*args)


def test_malformed_arguments_are_refused_not_coerced() -> None:
    hashes = leaf_hashes(4)
    tree = MerkleTree(hashes)
    proof, root = tree.inclusion_proof(1), tree.root()
    verify_inclusion(hashes[1], 1, 4, proof, root)
    for args in (
        (hashes[1], True, 4, proof, root),  # a bool is not an index
        (hashes[1], 1.0, 4, proof, root),
        (hashes[1], 1, "4", proof, root),
        (hashes[1], -1, 4, proof, root),
        (hashes[1], 1, 4, b"".join(proof), root),  # bytes, not a list of hashes
        (hashes[1], 1, 4, [p.hex() for p in proof], root),
        (hashes[1], 1, 4, [bytearray(p) for p in proof], root),
        (hashes[1].hex(), 1, 4, proof, root),
        (hashes[1], 1, 4, proof, root.hex()),
    ):
        with pytest.raises(ProofError) as raised:
            verify_inclusion(*args)
        assert raised.value.reason
    with pytest.raises(ProofError, match="larger than"):
        verify_consistency(4, 2, root, tree.root(2), tree.consistency_proof(2, 4))
    assert isinstance(ProofError("x"), KoersError)


# The tree itself.


def test_the_tree_appends_and_answers_for_every_past_size() -> None:
    hashes = leaf_hashes(100)
    tree = MerkleTree()
    for i, h in enumerate(hashes):
        assert tree.append(h) == i
        assert tree.root() == mth(hashes[: i + 1])
    assert len(tree) == tree.size == 100
    assert [tree.leaf(i) for i in range(100)] == hashes
    assert all(tree.root(n) == mth(hashes[:n]) for n in range(101))


def test_the_tree_refuses_what_it_does_not_hold() -> None:
    tree = MerkleTree(leaf_hashes(5))
    for call in (
        lambda: tree.root(6),
        lambda: tree.root(-1),
        lambda: tree.leaf(5),
        lambda: tree.leaf(-1),
        lambda: tree.inclusion_proof(5),
        lambda: tree.inclusion_proof(0, 0),
        lambda: tree.inclusion_proof(0, 6),
        lambda: tree.inclusion_proof(True),
        lambda: tree.consistency_proof(3, 2),
        lambda: tree.consistency_proof(1, 6),
        lambda: tree.append(b"short"),
    ):
        with pytest.raises(TreeRangeError):
            call()
    assert tree.size == 5


def test_proofs_hold_in_a_large_tree_of_odd_size() -> None:
    """Proofs across a tree deeper than the others here (its speed is measured by
    benchmarks/audit_bench.py, not asserted)."""
    size = 2**17 + 3
    tree = MerkleTree(hashlib.sha256(b"\x00" + i.to_bytes(8, "big")).digest() for i in range(size))
    root = tree.root()
    proof = tree.inclusion_proof(123_456)
    verify_inclusion(tree.leaf(123_456), 123_456, size, proof, root)
    verify_consistency(65_537, size, tree.root(65_537), root, tree.consistency_proof(65_537))
    assert len(proof) == 18

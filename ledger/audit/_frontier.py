"""The right edge of a Merkle tree: enough to append leaves and sign roots, in O(log n) memory.

A follower that only signs roots needs, of the whole tree, the roots of its complete
subtrees along the right edge (the binary decomposition of its size): appending merges equal
heights, the root folds them from the right. This is the ``MerkleTree`` shape without its
64 bytes per leaf, for a process that runs for months.
"""

from __future__ import annotations

from ledger.audit._merkle import EMPTY_ROOT, MerkleTree, hash_children

__all__ = ["Frontier"]


class Frontier:
    """The complete subtrees ``(height, hash)`` of a tree of :attr:`size` leaves, largest first."""

    __slots__ = ("_stack", "size")

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []
        self.size = 0

    @classmethod
    def of(cls, tree: MerkleTree) -> Frontier:
        """The frontier of ``tree``, from the audit path of its last leaf (O(log n)).

        For the rightmost leaf every proof element is a left sibling, bottom up: first those
        inside the smallest complete subtree, then the roots of the larger ones.
        """
        frontier = cls()
        n = tree.size
        if n == 0:
            return frontier
        proof = tree.inclusion_proof(n - 1, n)
        low = (n & -n).bit_length() - 1  # the height of the smallest complete subtree
        node = tree.leaf(n - 1)
        for sibling in proof[:low]:
            node = hash_children(sibling, node)
        heights = [h for h in range(low + 1, n.bit_length()) if n >> h & 1]  # rising
        larger = [(h, proof[low + i]) for i, h in enumerate(heights)]
        frontier._stack = [*reversed(larger), (low, node)]
        frontier.size = n
        return frontier

    def append(self, leaf: bytes) -> None:
        stack = self._stack
        height, node = 0, leaf
        while stack and stack[-1][0] == height:
            node = hash_children(stack.pop()[1], node)
            height += 1
        stack.append((height, node))
        self.size += 1

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        node = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            node = hash_children(left, node)
        return node

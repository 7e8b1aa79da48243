"""What a scan of one range of the log found, in a form another process can hand back.

:meth:`ledger.audit._scan.Scan.part` makes one, :meth:`~ledger.audit._scan.Scan.join` appends
one to the scan of the range before it (see :mod:`ledger.audit._ranges`). Plain bytes,
lists and ints only, so it pickles quickly: 32 bytes of leaf and 8 of sequence per message.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Part"]


@dataclass(frozen=True)
class Part:
    """The scan of ``start``… of the log: its fields as :class:`~ledger.audit._scan.Scan`
    keeps them (``seqs``: the machine's ``array("Q")`` bytes)."""

    start: int
    last_seq: int
    leaves: bytes
    seqs: bytes
    gaps: list[tuple[int, int]]
    changed: list[tuple[int, str]]
    foreign: list[int]
    records: bytes
    unsigned: list[int]
    badly_signed: list[tuple[int, str]]

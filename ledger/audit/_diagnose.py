"""Where a log stopped matching its checkpoints, event by event: which moved, changed or went.

A checkpoint's root says *that* the first ``size`` events differ, not *which*. The leaf
records the checkpointer publishes (leaf hash and content key of each event) say which, once
they are shown to be the signed ones: the first ``matched`` leaves of the log (those the last
matching checkpoint covers) followed by the records must rebuild the root of every later
checkpoint. Records that do not are not used (the damage is then placed between checkpoints).

With the signed leaves known, position ``s`` is intact when the log's message at ``s`` has
the signed leaf. Each other signed event is looked for by its content key among the log's
messages, and a candidate counts only when its entry, hashed at ``s``, *is* the signed leaf
(so a forged key proves nothing). What is left is classified: a signed event found elsewhere
moved (two that traded places: swapped); one found nowhere was changed (the log has another
message at ``s``), deleted (nothing at ``s``) or truncated (the log ends before ``s``); a
message at a covered position that is no signed event was inserted.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections.abc import Iterator

from ledger.audit._checkpoint import Checkpoint, format_time
from ledger.audit._entry import ENTRY_TAG
from ledger.audit._frames import Frame, digest_state, frame_tail
from ledger.audit._scan import RECORD_SIZE, Scan, tree_of
from ledger.audit._store import AuditStore
from ledger.audit.report import AuditReport, span

__all__ = ["diagnose"]

_PREFIX = b"\x00" + ENTRY_TAG


def _runs(numbers: list[int]) -> Iterator[tuple[int, int]]:
    """Consecutive runs of sorted ``numbers`` as (first, last)."""
    start = previous = None
    for n in numbers:
        if start is None or previous is None or n != previous + 1:
            if start is not None and previous is not None:
                yield start, previous
            start = n
        previous = n
    if start is not None and previous is not None:
        yield start, previous


class _Signed:
    """The signed leaf records of sequences ``base + 1 .. top``, as far as they are known."""

    def __init__(self, base: int, top: int, records: list[tuple[int, bytes]]) -> None:
        self.base, self.top = base, top
        self.table = bytearray((top - base) * RECORD_SIZE)
        self.have = bytearray(top - base)
        for first, data in records:
            count = len(data) // RECORD_SIZE
            lo, hi = max(first, base + 1), min(first + count - 1, top)
            if lo > hi:
                continue
            src = (lo - first) * RECORD_SIZE
            dst = (lo - base - 1) * RECORD_SIZE
            size = (hi - lo + 1) * RECORD_SIZE
            self.table[dst : dst + size] = data[src : src + size]
            self.have[lo - base - 1 : hi - base] = b"\x01" * (hi - lo + 1)

    def complete(self, first: int, last: int) -> bool:
        return all(self.have[first - self.base - 1 : last - self.base])

    def leaf(self, seq: int) -> bytes:
        at = (seq - self.base - 1) * RECORD_SIZE
        return bytes(self.table[at : at + 32])

    def key(self, seq: int) -> bytes:
        at = (seq - self.base - 1) * RECORD_SIZE
        return bytes(self.table[at + 32 : at + RECORD_SIZE])


def _authenticate(scan: Scan, signed: list[Checkpoint], matched: int, table: _Signed) -> int:
    """The largest checkpoint size up to which the records rebuild every signed root."""
    tree = tree_of(scan.leaves[: matched * 32])
    verified = matched
    for checkpoint in signed:
        if checkpoint.size <= verified:
            continue
        if not table.complete(verified + 1, checkpoint.size):
            break
        tree.extend(table.leaf(s) for s in range(verified + 1, checkpoint.size + 1))
        if tree.root(checkpoint.size) != checkpoint.root:
            break
        verified = checkpoint.size
    return verified


def diagnose(
    store: AuditStore,
    scan: Scan,
    signed: list[Checkpoint],
    matched: int,
    report: AuditReport,
    *,
    last_seq: int,
) -> None:
    """Add to ``report`` what happened to each signed event after the first ``matched``
    (``signed``: the valid checkpoints by size; ``last_seq``: the stream's last sequence)."""
    top = max(c.size for c in signed)
    table = _Signed(matched, top, store.leaf_records())
    verified = _authenticate(scan, signed, matched, table)
    if verified == matched:
        first_bad = next(c for c in signed if c.size > matched)
        report.notes.append(
            f"no leaf records vouch for {span(matched + 1, first_bad.size)}: the damage is "
            f"placed between the checkpoints of size {matched} and {first_bad.size} only"
        )
        _check_digests(store, matched + 1, min(first_bad.size, last_seq), report)
        return
    if verified < top:
        report.notes.append(
            f"leaf records vouch for the signed events up to seq {verified} only: damage "
            f"after it is placed between checkpoints"
        )
    seqs = scan.seqs

    def current(seq: int) -> int | None:
        i = bisect_left(seqs, seq)
        return i if i < len(seqs) and seqs[i] == seq else None

    want: dict[bytes, list[int]] = {}
    gone: list[int] = []
    for s in range(matched + 1, verified + 1):
        i = current(s)
        if i is None or scan.leaves[i * 32 : i * 32 + 32] != table.leaf(s):
            gone.append(s)
            want.setdefault(table.key(s), []).append(s)
    moved: dict[int, int] = {}
    unknown: dict[int, bool] = {}  # a covered position holding no signed event: digest ok?

    def look(frames: list[Frame]) -> None:
        sha256 = hashlib.sha256
        for frame in frames:
            c = frame.seq
            if c <= verified and c not in want_at:
                continue  # intact
            tail = frame_tail(frame.subject, frame.head, frame.data)
            for s in want.get(sha256(tail).digest()[:8], ()):
                if s not in moved and _leaf(s, tail) == table.leaf(s):
                    moved[s] = c
                    break
            else:
                if c <= verified:
                    unknown[c] = digest_state(frame.head, frame.data) is None

    want_at = set(gone)
    if gone:
        store.read(look, start=matched + 1, stop=last_seq)
    _classify(report, gone, moved, unknown, last_seq)
    report.notes.append(
        f"leaf records rebuilt the signed events {span(matched + 1, verified)} and every "
        f"checkpoint up to size {verified} ({format_time(_at(signed, verified).time)})"
    )


def _check_digests(store: AuditStore, first: int, last: int, report: AuditReport) -> None:
    """Without leaf records, at least name the payloads that no longer match their digest."""

    def look(frames: list[Frame]) -> None:
        for frame in frames:
            claimed = digest_state(frame.head, frame.data)
            if claimed:
                report.add(
                    "changed", span(frame.seq, frame.seq),
                    f"its payload no longer has the SHA-256 its Koers-Payload-Sha256 header "
                    f"states ({claimed[:16]}…): it was changed after it was written", frame.seq,
                )  # fmt: skip

    if first <= last:
        store.read(look, start=first, stop=last)


def _at(signed: list[Checkpoint], size: int) -> Checkpoint:
    return next(c for c in signed if c.size == size)


def _leaf(seq: int, tail: bytes) -> bytes:
    return hashlib.sha256(_PREFIX + seq.to_bytes(8, "big") + tail).digest()


def _classify(
    report: AuditReport,
    gone: list[int],
    moved: dict[int, int],
    unknown: dict[int, bool],
    last_seq: int,
) -> None:
    _report_moves(report, moved)
    changed, deleted, truncated = [], [], []
    for s in gone:
        if s in moved:
            continue
        if s in unknown:
            changed.append(s)
        elif s > last_seq:
            truncated.append(s)
        else:
            deleted.append(s)
    for s in changed:
        how = (
            "its bytes differ from the signed ones (its payload agrees with its digest header: "
            "both were rewritten, or another header or the subject changed)"
            if unknown[s]
            else "its payload no longer has the SHA-256 its Koers-Payload-Sha256 header states"
        )
        report.add("changed", span(s, s), f"not the event signed here: {how}", s)
    for first, last in _runs(deleted):
        report.add(
            "deleted", span(first, last), "the event signed here is gone from the log", first
        )
    for first, last in _runs(truncated):
        report.add(
            "truncated", span(first, last), f"signed, but the log ends at seq {last_seq}", first
        )
    inserted = sorted(c for c in unknown if c in moved)  # its signed event went elsewhere
    for first, last in _runs(inserted):
        report.add(
            "inserted",
            span(first, last),
            "never signed: it was put there after the checkpoints were signed",
            first,
        )


def _report_moves(report: AuditReport, moved: dict[int, int]) -> None:
    """Pairs that traded places (swapped), then runs moved by the same offset (moved)."""
    swapped = {s for s, c in moved.items() if moved.get(c) == s}
    for s in sorted(swapped):
        c = moved[s]
        if s < c:
            where, what = f"seqs {s} and {c}", f"the events signed at seq {s} and seq {c}"
            report.add("swapped", where, f"{what} have traded places", s)
    by_offset = sorted((s, c - s) for s, c in moved.items() if s not in swapped)
    start = 0
    while start < len(by_offset):
        end = start
        while (
            end + 1 < len(by_offset)
            and by_offset[end + 1][1] == by_offset[start][1]
            and by_offset[end + 1][0] == by_offset[end][0] + 1
        ):
            end += 1
        (first, offset), last = by_offset[start], by_offset[end][0]
        now = span(first + offset, last + offset)
        report.add("moved", span(first, last), f"the events signed there are now at {now}", first)
        start = end + 1

"""Verify the ledger against its signed checkpoints: the whole log, read once.

In order: read the checkpoint stream and check each signature with the trusted key; read
every event of the ledger into a :class:`~ledger.audit._scan.Scan` (leaves, holes, payload
digests, each event's own signature by a trusted key); compare each checkpoint's root with
the root of that many events; prove each matching checkpoint consistent with the next, and
the last with the current log (RFC 9162 consistency proofs from the recomputed tree); when a
checkpoint no longer matches, find out which events changed, moved or went
(:mod:`ledger.audit._diagnose`); last, hold the log against the checkpoints kept outside
NATS, which catch a log rewritten from scratch, checkpoint stream and all.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.audit._checkpoint import Checkpoint, CheckpointError, format_time, verify
from ledger.audit._diagnose import diagnose
from ledger.audit._frames import Frame
from ledger.audit._merkle import ProofError, verify_consistency
from ledger.audit._outside import TORN, Kept
from ledger.audit._ranges import read_in_ranges
from ledger.audit._scan import Scan
from ledger.audit._store import AuditStore, StreamState
from ledger.audit.report import AuditReport, span
from ledger.nats._keys import TrustedKeys, key_id
from ledger.settings._audit import DEFAULT_RANGE_MIN

__all__ = ["Trust", "Verification", "verify_log"]


@dataclass(frozen=True)
class Trust:
    """What a verification trusts: the public key, checkpoints kept outside NATS, and the
    public halves of retired keys (whose event signatures still count)."""

    key: Ed25519PublicKey | None
    kept: list[Kept] = field(default_factory=list)
    retired: Mapping[str, Ed25519PublicKey] = field(default_factory=dict)

    @property
    def event_keys(self) -> TrustedKeys:
        """The keys an event may be signed by: the current one and every retired one."""
        keys = dict(self.retired)
        if self.key is not None:
            keys[key_id(self.key)] = self.key
        return keys

    def key_for(self, checkpoint: Checkpoint) -> Ed25519PublicKey | None:
        """The trusted key that checks ``checkpoint``: the retired one it names, else the
        current one (which then says the checkpoint names another key)."""
        return self.retired.get(checkpoint.key_id, self.key)


@dataclass
class Verification:
    """The report, and what the checkpointer continues from: the tree and the checkpoints."""

    report: AuditReport
    scan: Scan
    signed: list[Checkpoint]  # valid signatures, by size then time
    matched: int  # every signed checkpoint up to this size matches the log
    keys: TrustedKeys = field(default_factory=dict)  # the keys events were checked with


def _head(checkpoint: Checkpoint) -> str:
    return f"checkpoint size {checkpoint.size} ({format_time(checkpoint.time)})"


def _signed(
    found: Iterable[tuple[str, Checkpoint]], trust: Trust, report: AuditReport
) -> list[Checkpoint]:
    good = []
    for where, checkpoint in found:
        key = trust.key_for(checkpoint)
        if key is None:
            continue
        try:
            verify(checkpoint, key)
        except CheckpointError as e:
            report.add("bad-signature", f"{where} {_head(checkpoint)}", e.reason)
            continue
        good.append(checkpoint)
    return sorted(good, key=lambda c: (c.size, c.time))


def _stream_checkpoints(store: AuditStore, report: AuditReport) -> list[tuple[str, Checkpoint]]:
    out = []
    texts = store.checkpoint_texts()
    report.checkpoints = len(texts)
    for seq, text in texts:
        where = f"{store.checkpoints} seq {seq}"
        try:
            out.append((where, Checkpoint.from_json(text)))
        except CheckpointError as e:
            report.add("bad-checkpoint", where, e.reason)
    return out


def _kept(trust: Trust, report: AuditReport) -> list[tuple[str, Checkpoint]]:
    out = []
    for kept in trust.kept:
        if kept.checkpoint is not None:
            out.append((f"kept {kept.where}", kept.checkpoint))
        elif kept.problem == TORN:
            report.notes.append(f"{kept.where}: {TORN}")
        else:
            report.add("bad-checkpoint", f"kept {kept.where}", kept.problem)
    report.kept = len(out)
    return out


def verify_log(
    store: AuditStore,
    trust: Trust,
    *,
    progress: Callable[[int], None] | None = None,
    records: bool = False,
    watchers: Iterable[Callable[[list[Frame]], None]] = (),
    signatures_from: int | None = 0,
    readers: int = 1,
    min_range: int = DEFAULT_RANGE_MIN,
) -> Verification:
    """Verify the ledger of ``store`` (see the module doc). ``records``: keep the leaf records
    of the events after the last signed checkpoint (for the checkpointer).
    ``signatures_from``: check the signature of every event after this sequence (``0``: all;
    ``None``: only those after the last signed checkpoint, whose signatures the checkpointer
    checked before it signed). ``readers``: read and hash the log in that many ranges, each
    in its own process, where each range holds at least ``min_range`` events and there are
    no ``watchers`` (:mod:`ledger.audit._ranges`; the verdicts are the same)."""
    started = time.perf_counter()
    report = AuditReport(store.stream, key_id=key_id(trust.key) if trust.key else None)
    in_stream = _stream_checkpoints(store, report)
    kept = _kept(trust, report)
    if trust.key is None and (in_stream or kept):
        report.add(
            "no-key", "checkpoints",
            "there are signed checkpoints but no public key to check them with: give "
            "--public-key, or run where the signing key is",
        )  # fmt: skip
    signed = _signed(in_stream, trust, report)
    kept_signed = _signed(kept, trust, report)
    report.valid_checkpoints = len(signed)
    last_signed = max((c.size for c in signed), default=0)
    keys = trust.event_keys
    sign_from = last_signed if signatures_from is None else signatures_from
    scan = Scan(
        records_from=last_signed if records else None,
        digests_from=last_signed,
        keys=keys or None,
        signatures_from=sign_from,
    )
    scan.watchers.extend(watchers)
    state = store.state()
    if state is not None and state.messages:

        def take(frames: list[Frame]) -> None:
            scan.add(frames)
            if progress is not None:
                progress(len(frames))

        ranged = 1 if scan.watchers else readers  # watchers see every frame, in order, here
        read_in_ranges(
            store, scan, state.last_seq, take, readers=ranged, min_range=min_range,
            progress=progress,
        )  # fmt: skip
    elif state is None:
        report.notes.append(f"the ledger stream {store.stream} does not exist")
    scan.settle()
    if not keys and scan.last_seq > sign_from:
        report.add(
            "no-key", "events",
            "the events are signed but there is no public key to check them with: give "
            "--public-key, or run where the signing key is",
        )  # fmt: skip
    if signatures_from:
        report.notes.append(
            f"the signatures of seqs 1..{signatures_from} were not checked (--signed-from)"
        )
    last_seq = max(scan.last_seq, state.last_seq if state else 0)
    report.events, report.last_seq = scan.count, last_seq
    _on_their_face(scan, state, report)
    matched, damaged = _compare(scan, signed, report)
    if damaged:
        diagnose(store, scan, signed, matched, report, last_seq=scan.last_seq)
    _prove(scan, [c for c in signed if c.size <= matched], report)
    kept_matched = _hold_kept(scan, signed, kept_signed, scan.last_seq, report)
    report.covered = max(matched, kept_matched)
    if scan.count > matched and report.ok:
        report.notes.append(
            f"{span(matched + 1, scan.last_seq)} are not covered by a checkpoint yet: "
            f"run 'koers audit checkpoint' (or keep 'koers serve' running) to sign them"
        )
    report.seconds = time.perf_counter() - started
    return Verification(report, scan, signed, matched, keys)


def _on_their_face(scan: Scan, state: StreamState | None, report: AuditReport) -> None:
    """Damage the log shows without any checkpoint: holes, payload digests, foreign, unsigned
    and wrongly signed messages."""
    for first, last in scan.gaps:
        report.add("deleted", span(first, last), "gone from the log (the stream skips it)", first)
    if state is not None and state.last_seq > scan.last_seq and state.messages:
        first = scan.last_seq + 1
        report.add(
            "truncated", span(first, state.last_seq),
            f"gone from the end of the log: it ends at seq {scan.last_seq}, but the stream's "
            f"last sequence is {state.last_seq}", first,
        )  # fmt: skip
    for seq, claimed in scan.changed:
        report.add(
            "changed", span(seq, seq),
            f"its payload no longer has the SHA-256 its Koers-Payload-Sha256 header states "
            f"({claimed[:16]}…): it was changed after it was written", seq,
        )  # fmt: skip
    for seq in scan.foreign:
        report.add("foreign", span(seq, seq), "no Koers-Payload-Sha256 header: not from Koers", seq)
    foreign = set(scan.foreign)  # no Koers headers at all: named foreign, not unsigned
    found = [("unsigned", seq, _UNSIGNED) for seq in scan.unsigned if seq not in foreign]
    found += [("bad-event-signature", seq, f"{why}: {_BADLY}") for seq, why in scan.badly_signed]
    for kind, seq, detail in found:
        report.add(kind, span(seq, seq), detail, seq)


_UNSIGNED = (
    "no Koers-Signature header: not written by Koers's store (a forgery, or an event written "
    "before Koers signed events: see --signed-from)"
)
_BADLY = (
    "not written by Koers's store with a trusted key (a forgery, or a key that was replaced "
    "without 'koers audit rotate-key')"
)


def _compare(scan: Scan, signed: list[Checkpoint], report: AuditReport) -> tuple[int, bool]:
    """Hold each signed root against the log: the size up to which all match, and whether
    any does not (a root that differs, or a size beyond the log's end)."""
    matched, bad = 0, list[Checkpoint]()
    tree, end = scan.tree, scan.last_seq
    beyond = [c for c in signed if c.size > end]
    if beyond:
        last = beyond[-1]
        report.add(
            "truncated", span(end + 1, last.size),
            f"{_head(last)} signed them, but the log ends at seq {end}", end + 1,
        )  # fmt: skip
    for checkpoint in signed:
        if checkpoint.size > end:
            continue
        if checkpoint.size <= tree.size and tree.root(checkpoint.size) == checkpoint.root:
            if bad:
                report.add(
                    "inconsistent", _head(checkpoint),
                    f"it matches the log, but the smaller {_head(bad[0])} does not: the two "
                    f"cannot both be true of one append-only log",
                )  # fmt: skip
            else:
                matched = checkpoint.size
        else:
            bad.append(checkpoint)
    if bad:
        later = len(bad) - 1
        more = f"; {later} later checkpoint{'s do' if later > 1 else ' does'} not match either"
        report.add(
            "root-mismatch", _head(bad[0]),
            f"the log's first {bad[0].size} events are not the ones signed; the first "
            f"difference is in {span(matched + 1, bad[0].size)}{more if later else ''}",
            matched + 1,
        )  # fmt: skip
    return matched, bool(bad or beyond)


def _prove(scan: Scan, matching: list[Checkpoint], report: AuditReport) -> None:
    """RFC 9162 consistency proofs: each checkpoint to the next, the last to the log."""
    tree = scan.tree
    heads = [(c.size, c.root, _head(c)) for c in matching]
    heads.append((tree.size, tree.root(), f"the current log (size {tree.size})"))
    for (size1, root1, name1), (size2, root2, name2) in itertools.pairwise(heads):
        try:
            verify_consistency(size1, size2, root1, root2, tree.consistency_proof(size1, size2))
        except ProofError as e:
            report.add("inconsistent", name2, f"not consistent with {name1}: {e.reason}", size1)


def _hold_kept(
    scan: Scan,
    signed: list[Checkpoint],
    kept: list[Checkpoint],
    last_seq: int,
    report: AuditReport,
) -> int:
    """Checkpoints kept outside NATS must be in the checkpoint stream and match the log;
    returns the size up to which they match."""
    in_stream = {(c.size, c.root) for c in signed}
    roots = {c.size: c.root for c in signed}
    missing, matched_kept, before = [], 0, len(report.problems)
    beyond: Checkpoint | None = None
    tree = scan.tree
    for checkpoint in sorted(kept, key=lambda c: c.size):
        size = checkpoint.size
        matches = size <= min(tree.size, last_seq) and tree.root(size) == checkpoint.root
        if (size, checkpoint.root) in in_stream:  # held against the log with the stream's copy
            matched_kept = size if matches else matched_kept
            continue
        missing.append(checkpoint)
        where = f"kept {_head(checkpoint)}"
        if checkpoint.size in roots:
            report.add(
                "rewritten", where,
                f"the checkpoint stream now signs another root for size {checkpoint.size}: "
                f"history was rewritten and signed again", checkpoint.size,
            )  # fmt: skip
        elif checkpoint.size > last_seq:
            beyond = checkpoint  # the last one kept is named
        elif not matches:
            report.add(
                "rewritten", where,
                f"the log's first {checkpoint.size} events are not the ones signed then: "
                f"history was rewritten since; the first difference is in "
                f"{span(matched_kept + 1, checkpoint.size)}", matched_kept + 1,
            )  # fmt: skip
        else:
            matched_kept = checkpoint.size
    if beyond is not None:
        report.add(
            "truncated", f"kept {_head(beyond)}",
            f"it signed {beyond.size} events (root {beyond.root.hex()}), the log ends at "
            f"seq {last_seq}: {_gone(last_seq)}", last_seq + 1,
        )  # fmt: skip
    if missing and len(report.problems) == before:  # not explained by a rewrite above
        last = missing[-1]
        report.add(
            "checkpoints-missing", f"kept {_head(last)}",
            f"{len(missing)} checkpoints kept outside NATS are not in the checkpoint stream: "
            f"it was deleted or replaced",
        )  # fmt: skip
    return matched_kept


def _gone(last_seq: int) -> str:
    """What a log that ends before a kept checkpoint means."""
    if last_seq == 0:
        return (
            "the ledger was deleted or emptied; restore it from a backup or a 'koers export' "
            "bundle (docs/audit.md, 'When the ledger is gone')"
        )
    return "rolled back"

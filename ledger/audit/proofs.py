"""Inclusion proofs for events: "this event is at this position of the log that was signed".

:func:`prove` reads the log once (verifying it as it goes), picks the largest signed
checkpoint that still matches the log, and gives, for each asked-for event it covers, the
RFC 9162 audit path from the event's leaf to that checkpoint's root, checked before it is
handed out. An event is asked for by its stream position, or by its aggregate's id (every
event of a decision, say). Events after the last checkpoint, or in a part of the log that no
longer matches, get no proof: :class:`Proofs` lists them apart.

A proof line (``as_json``) is the ``proofs.jsonl`` format of ``ledger.audit.verifier`` plus
the event's subject and the checkpoint itself, so anyone can check it with the public key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ledger.audit._checkpoint import Checkpoint, format_time
from ledger.audit._frames import Frame, frame_headers
from ledger.audit._merkle import verify_inclusion
from ledger.audit._store import AuditStore
from ledger.audit._verify import Trust, verify_log
from ledger.audit.report import AuditReport

__all__ = ["EventProof", "Proofs", "prove"]


@dataclass(frozen=True)
class EventProof:
    """One event, its leaf, and its audit path to a signed checkpoint's root."""

    seq: int
    subject: str
    headers: dict[str, str]
    leaf: bytes
    checkpoint: Checkpoint
    path: list[bytes]

    @property
    def type(self) -> str:
        return self.headers.get("Koers-Type", "")

    def as_json(self) -> dict[str, Any]:
        c = self.checkpoint
        return {
            "type": "inclusion",
            "seq": self.seq,
            "index": self.seq - 1,
            "size": c.size,
            "root": c.root.hex(),
            "proof": [h.hex() for h in self.path],
            "leaf": self.leaf.hex(),
            "subject": self.subject,
            "event_type": self.type,
            "originator_id": self.headers.get("Koers-Originator-Id", ""),
            "version": self.headers.get("Koers-Version", ""),
            "checkpoint": json.loads(c.to_json()),
        }

    def lines(self) -> list[str]:
        c = self.checkpoint
        who = self.headers.get("Koers-Originator-Id", "?")
        version = self.headers.get("Koers-Version", "?")
        return [
            f"event seq {self.seq}: {self.type or self.subject} of {who} (version {version})",
            f"  subject     {self.subject}",
            f"  leaf        {self.leaf.hex()}",
            f"  checkpoint  size {c.size}, root {c.root.hex()}",
            f"              signed {format_time(c.time)} by key {c.key_id} (signature verified)",
            f"  path        {len(self.path)} hashes, from the leaf up:",
            *(f"    {h.hex()}" for h in self.path),
            f"  verified: the event is at seq {self.seq} of the log signed at size {c.size}",
        ]


@dataclass
class Proofs:
    """The proofs made, the events found without one, and the verification's report."""

    report: AuditReport
    proofs: list[EventProof] = field(default_factory=list)
    unproven: list[tuple[int, str]] = field(default_factory=list)  # (seq, why)
    found: int = 0


def prove(
    store: AuditStore,
    trust: Trust,
    *,
    seq: int | None = None,
    aggregate: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Proofs:
    """Proofs for the event at ``seq``, or for every event of aggregate ``aggregate``."""
    wanted: list[Frame] = []

    def watch(frames: list[Frame]) -> None:
        for frame in frames:
            if frame.seq == seq or (
                aggregate is not None
                and frame_headers(frame).get("Koers-Originator-Id") == aggregate
            ):
                wanted.append(frame)

    verification = verify_log(store, trust, progress=progress, watchers=[watch])
    out = Proofs(verification.report, found=len(wanted))
    matching = [c for c in verification.signed if c.size <= verification.matched]
    tree = verification.scan.tree
    for frame in wanted:
        covering = [c for c in matching if c.size >= frame.seq]
        if not covering:
            why = (
                "not covered by a signed checkpoint yet: run 'koers audit checkpoint'"
                if frame.seq > max((c.size for c in verification.signed), default=0)
                else "in a part of the log that no longer matches its checkpoints"
            )
            out.unproven.append((frame.seq, why))
            continue
        checkpoint = covering[-1]
        index = frame.seq - 1
        leaf, path = tree.leaf(index), tree.inclusion_proof(index, checkpoint.size)
        verify_inclusion(leaf, index, checkpoint.size, path, checkpoint.root)
        subject = frame.subject.decode("utf-8", "replace")
        out.proofs.append(
            EventProof(frame.seq, subject, frame_headers(frame), leaf, checkpoint, path)
        )
    return out

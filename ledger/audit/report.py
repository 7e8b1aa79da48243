"""What a verification found: facts, notes, and each problem with its position and kind.

Kinds of damage (``Problem.kind``), each at a position in the stream (sequence numbers):

========================  ==========================================================
``changed``               the event at this position is not the one signed there (its
                          payload no longer has its own SHA-256, or its headers changed)
``deleted``               the event signed at this position is gone from the log
``swapped``               the events signed at two positions have traded places
``moved``                 events signed at some positions are now at others (after a
                          deletion or insertion further up, or a reordering)
``inserted``              an event at a position a checkpoint covers was never signed
``truncated``             the log ends before the last signed position
``rewritten``             a checkpoint kept outside NATS does not match the log, or the
                          checkpoint stream now signs another history than it did
``root-mismatch``         a signed checkpoint no longer matches the log (a summary; the
                          kinds above say what changed where, when the leaf records allow)
``foreign``               a message without ``Koers-Payload-Sha256``: not written by Koers
``unsigned``              an event without ``Koers-Signature``: not written by Koers's store
``bad-event-signature``   an event's signature is not by a trusted key, or does not verify
``bad-signature``         a checkpoint's signature does not verify with the trusted key
``bad-checkpoint``        a checkpoint message or kept line is not a checkpoint at all
``inconsistent``          two checkpoints cannot both be true of one append-only log
``checkpoints-missing``   checkpoints kept outside NATS are gone from the checkpoint stream
``no-key``                checkpoints exist but there is no public key to check them with
========================  ==========================================================
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["KINDS", "AuditReport", "Problem", "span"]

KINDS = (
    "changed",
    "deleted",
    "swapped",
    "moved",
    "inserted",
    "truncated",
    "rewritten",
    "root-mismatch",
    "foreign",
    "unsigned",
    "bad-event-signature",
    "bad-signature",
    "bad-checkpoint",
    "inconsistent",
    "checkpoints-missing",
    "no-key",
)
#: Kinds the readers set aside (quarantine) rather than damage to the signed history: a
#: message that is not a Koers event as stored, and an event not signed by a trusted key.
QUARANTINED = frozenset(("foreign", "changed", "unsigned", "bad-event-signature"))
#: Kinds that name positions (the first six: damage to events; and event signatures): one
#: problem per kind and first position.
POSITIONS = frozenset(KINDS[:6]) | {"unsigned", "bad-event-signature"}
SHOWN_PER_KIND = 20


def span(first: int, last: int) -> str:
    """``seq 7`` or ``seqs 7..9``."""
    return f"seq {first}" if first == last else f"seqs {first}..{last}"


@dataclass(frozen=True)
class Problem:
    """One finding: its kind, where (``seq 17``, ``checkpoint size 2000``…), and what."""

    kind: str
    where: str
    detail: str
    seq: int = 0  # the first sequence concerned, for ordering (0: not a position)

    def line(self) -> str:
        return f"DAMAGE [{self.kind}] {self.where}: {self.detail}"


@dataclass
class AuditReport:
    """The outcome of one verification; ``ok`` when no problem was found."""

    stream: str
    events: int = 0
    last_seq: int = 0
    checkpoints: int = 0
    valid_checkpoints: int = 0
    kept: int = 0
    covered: int = 0
    key_id: str | None = None
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def tampered(self) -> bool:
        """Whether the signed history is damaged: anything found but messages that are not
        Koers events as stored (``foreign``, or ``changed`` alone: a payload without its
        digest, which no one can tell from a message written that way) and events not signed
        by a trusted key (``unsigned``, ``bad-event-signature``). Every reader sets those
        aside (docs/store.md, "Quarantine") and ``koers audit verify`` names them (exit 6);
        alone they neither stop a server from starting nor the checkpointer from signing: a
        checkpoint vouches for the bytes stored, and a forged event stays detectable by its
        signature for ever. A change to a signed event always comes with a
        ``root-mismatch``."""
        return any(p.kind not in QUARANTINED for p in self.problems)

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0

    def add(self, kind: str, where: str, detail: str, seq: int = 0) -> None:
        """Add a problem, unless one of the same kind at the same place (or, for damage to
        events, starting at the same position) is there already."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind of problem {kind!r}")
        positional = seq > 0 and kind in POSITIONS
        for p in self.problems:
            if p.kind == kind and (p.where == where or (positional and p.seq == seq)):
                return
        self.problems.append(Problem(kind, where, detail, seq))

    def counts(self) -> Counter[str]:
        return Counter(p.kind for p in self.problems)

    def summary(self, limit: int = 5) -> str:
        """The first ``limit`` problems in one paragraph (for an error message)."""
        shown = sorted(self.problems, key=lambda p: (p.seq == 0, p.seq))[:limit]
        more = len(self.problems) - len(shown)
        text = "; ".join(f"[{p.kind}] {p.where}: {p.detail}" for p in shown)
        return text + (f"; and {more} more" if more else "")

    def lines(self) -> list[str]:
        """The report for people: facts, notes, every problem (up to 20 per kind), verdict."""
        key = self.key_id or "none"
        out = [
            f"events       {self.events:,} read (last sequence {self.last_seq:,}) in "
            f"{self.seconds:.1f} s: {self.rate:,.0f} events/s",
            f"checkpoints  {self.checkpoints:,} in the checkpoint stream, "
            f"{self.valid_checkpoints:,} signed by key {key}; {self.kept:,} kept outside NATS",
            f"covered      events 1..{self.covered:,} are vouched for by a signed checkpoint"
            if self.covered
            else "covered      no event is vouched for by a signed checkpoint yet",
        ]
        out += [f"NOTE: {n}" for n in self.notes]
        shown: Counter[str] = Counter()
        for problem in sorted(self.problems, key=lambda p: (p.seq == 0, p.seq)):
            shown[problem.kind] += 1
            if shown[problem.kind] <= SHOWN_PER_KIND:
                out.append(problem.line())
        out += [
            f"... and {n - SHOWN_PER_KIND} more [{k}]"
            for k, n in shown.items()
            if n > SHOWN_PER_KIND
        ]
        if self.ok:
            out.append("OK: the log is exactly what was signed, and every checkpoint holds")
        else:
            counts = ", ".join(f"{k} {n}" for k, n in sorted(self.counts().items()))
            count = len(self.problems)
            out.append(f"FAILED: {count} problem{'s' if count > 1 else ''} ({counts})")
        return out

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        data["rate"] = round(self.rate)
        return data

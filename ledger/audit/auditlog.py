"""The auditor's view: every decision, who decided what when, on which options, criteria and
information, and where the proof of it is.

Built straight from the stored events (``<prefix>.decision.>``), not from the views: what the
auditor reads is what the audit trail signs. A message there that is not a Koers event
(``ledger.nats._foreign``) is left out: ``koers quarantine list`` and ``koers audit verify``
name it. Each decision names the stream positions of its
events, and the largest signed checkpoint (signature checked with the trusted key) that
covers them: ``koers audit prove <decision id>`` gives the inclusion proofs. A reference is
not a verification: ``koers audit verify`` checks that the log still matches.

Each event's own signature is checked with the trusted keys: a decision with an event that
is unsigned or wrongly signed (published by someone who does not hold the key) is never
called covered; its reference says which event is not authentic.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

from ledger.audit._checkpoint import Checkpoint, CheckpointError, format_time, verify
from ledger.audit._store import AuditStore
from ledger.audit._verify import Trust
from ledger.nats._foreign import foreign_reason
from ledger.nats._signing import signature_problem

__all__ = ["DecisionLog", "DecisionRecord", "decision_log", "latest_signed"]


@dataclass
class DecisionRecord:
    """One decision as the log tells it."""

    id: str
    team: str = ""
    question: str = ""
    status: str = "open"
    options: list[dict[str, str]] = field(default_factory=list)
    criteria: list[dict[str, str]] = field(default_factory=list)
    information_level: int | None = None
    reversibility: str = ""
    decider: str = ""
    consulted: list[str] = field(default_factory=list)
    opened_by: str = ""
    #: the credential the opener proved (``token:<id>``, ``oidc:<issuer>#<subject>``, …)
    opened_with: str = ""
    opened_at: str = ""
    decided_by: str | None = None
    decided_with: str | None = None
    decided_at: str | None = None
    chosen: str | None = None
    chosen_title: str | None = None
    confidence: str | None = None
    rationale: str | None = None
    expected_outcome: str | None = None
    seqs: list[int] = field(default_factory=list)
    not_authentic: list[str] = field(default_factory=list)  # "seq 7: unsigned"…
    proof: str = ""

    def apply(self, kind: str, seq: int, data: dict[str, Any]) -> None:
        """Take one event of this decision (``kind``: ``opened``, ``made``…)."""
        self.seqs.append(seq)
        if kind == "opened":
            self.team, self.question = str(data.get("team", "")), str(data.get("question", ""))
            self.options = [_option(o) for o in data.get("options", [])]
            self.criteria = [
                {"name": str(c.get("name", "")), "weight": str(c.get("weight", ""))}
                for c in data.get("criteria", [])
            ]
            self.information_level = data.get("information_level")
            self.reversibility = str(data.get("reversibility", ""))
            self.decider = str(data.get("decider", ""))
            self.consulted = [str(p) for p in data.get("consulted", [])]
            self.opened_by, self.opened_at = str(data.get("actor", "")), _time(data)
            self.opened_with = str(data.get("credential", ""))
        elif kind == "option_added":
            self.options.append(_option(data.get("option", {})))
        elif kind == "information_updated":
            self.information_level = data.get("information_level")
        elif kind == "made":
            self.status = "decided"
            self.decided_by, self.decided_at = str(data.get("actor", "")), _time(data)
            self.decided_with = str(data.get("credential", ""))
            self.chosen = str(data.get("chosen", ""))
            self.chosen_title = next(
                (o["title"] for o in self.options if o["key"] == self.chosen), None
            )
            self.confidence = str(data.get("confidence", ""))
            self.rationale = str(data.get("rationale", ""))
            self.expected_outcome = str(data.get("expected_outcome", ""))
            self.information_level = data.get("information_level", self.information_level)
        elif kind in ("reviewed", "reversed", "superseded"):
            self.status = kind

    def lines(self) -> list[str]:
        options = ", ".join(f"{o['key']} {o['title']!r}" for o in self.options) or "-"
        criteria = ", ".join(f"{c['name']} {c['weight']}" for c in self.criteria) or "-"
        if self.decided_by:
            call = (
                f"{self.status}: {self.chosen} ({self.chosen_title!r}) by {self.decided_by}"
                f"{_with(self.decided_with)} at {self.decided_at}, confidence {self.confidence}"
            )
        else:
            call = f"{self.status}: not decided yet (decider {self.decider})"
        return [
            f"{self.id}  {self.team}  {self.question}",
            f"    {call}",
            f"    options: {options}; criteria: {criteria}; information {self.information_level} %",
            f"    opened by {self.opened_by}{_with(self.opened_with)} at {self.opened_at}; "
            f"events at seqs "
            f"{', '.join(map(str, self.seqs))}",
            f"    proof: {self.proof}",
        ]


def _with(credential: str | None) -> str:
    """`` (token:…)``: the credential an actor proved, where the event records one."""
    return f" ({credential})" if credential else ""


def _option(data: Any) -> dict[str, str]:
    data = data if isinstance(data, dict) else {}
    return {"key": str(data.get("key", "")), "title": str(data.get("title", ""))}


def _time(data: dict[str, Any]) -> str:
    return str(data.get("timestamp", ""))


@dataclass
class DecisionLog:
    """The decisions, and the checkpoint their proof references point to."""

    decisions: list[DecisionRecord]
    checkpoint: Checkpoint | None

    def as_dict(self) -> dict[str, Any]:
        c = self.checkpoint
        return {
            "checkpoint": orjson.loads(c.to_json()) if c else None,
            "decisions": [asdict(d) for d in self.decisions],
        }


def latest_signed(store: AuditStore, trust: Trust) -> Checkpoint | None:
    best: Checkpoint | None = None
    for _, text in store.checkpoint_texts():
        try:
            checkpoint = Checkpoint.from_json(text)
            key = trust.key_for(checkpoint)
            if key is None:
                return None
            verify(checkpoint, key)
        except CheckpointError:
            continue
        if best is None or checkpoint.size > best.size:
            best = checkpoint
    return best


def decision_log(store: AuditStore, trust: Trust, *, team: str | None = None) -> DecisionLog:
    """Every decision on the ledger (of ``team``, if given), in the order they were opened."""
    records: dict[str, DecisionRecord] = {}
    keys = trust.event_keys
    for message in store.matching(f"{store.prefix}.decision.>"):
        if foreign_reason(message) is not None:
            continue
        headers = message.headers
        oid = headers.get("Koers-Originator-Id", "")
        kind = headers.get("Koers-Type", "").partition(".")[2]
        try:
            data = orjson.loads(message.data)
        except orjson.JSONDecodeError:
            data = {}
        record = records.setdefault(oid, DecisionRecord(oid))
        record.apply(kind, message.seq, data if isinstance(data, dict) else {})
        why = signature_problem(message, keys)
        if why is not None:
            record.not_authentic.append(f"seq {message.seq}: {why}")
    checkpoint = latest_signed(store, trust)
    chosen = [r for r in records.values() if team is None or r.team == team]
    for record in chosen:
        record.proof = _reference(record, checkpoint)
    return DecisionLog(chosen, checkpoint)


def _reference(record: DecisionRecord, checkpoint: Checkpoint | None) -> str:
    hint = f"'koers audit prove {record.id}'"
    if record.not_authentic:
        return (
            f"NOT AUTHENTIC, not covered: {'; '.join(record.not_authentic)} (not written by "
            f"Koers's store with a trusted key; 'koers audit verify' names every such event)"
        )
    if checkpoint is None:
        return "no signed checkpoint yet: run 'koers audit checkpoint'"
    when = format_time(checkpoint.time)
    head = f"checkpoint size {checkpoint.size} ({when}, key {checkpoint.key_id})"
    if max(record.seqs) <= checkpoint.size:
        return f"every event is covered by {head}: {hint}"
    covered = [s for s in record.seqs if s <= checkpoint.size]
    if covered:
        return f"seqs up to {max(covered)} are covered by {head}; the later ones not yet"
    return f"not covered by a checkpoint yet (the last is {head})"

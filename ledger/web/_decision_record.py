"""One decision as its page shows it: the decision at a version, and its history up to there.

The page reads the log itself, as ``GET /decisions/<id>`` and ``GET /decisions/<id>/history``
do: the state (:meth:`ledger.application.Koers.load`) and the history rows
(:func:`ledger.api.history_rows`). "As of" a moment or a position, or "what we knew then"
(up to the event that made the call), keeps the history up to that point and loads the
decision at the last version kept: nothing later shows, not even a later review.

The inclusion-proof state comes from the audit trail (:func:`ledger.audit.proofs.prove`, what
``koers audit prove <id>`` runs): every event of the decision checked against the largest
signed checkpoint that still matches the log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from ledger.api import history_rows
from ledger.application import Koers
from ledger.audit._store import AuditStore
from ledger.audit._verify import Trust
from ledger.audit.proofs import prove
from ledger.domain import AGGREGATES, Decision, Link, LinkKind, Principal
from ledger.errors import NotFound

__all__ = ["Cut", "DecisionRecord", "LinkShown", "links_of", "proof_state", "record_of"]

#: The history's name (``decision.<type>``) of the events the page reads fields from.
MADE, REVIEWED, INFORMED, OPENED = ("decision.made", "decision.reviewed",
                                    "decision.information_updated", "decision.opened")  # fmt: skip
ENDED = ("decision.reversed", "decision.superseded")
#: Where each kind of link goes (an action item: its retro's page, at the item).
LINK_PAGES = {LinkKind.OBJECTIVE: "/objective/", LinkKind.KEY_RESULT: "/key-result/",
              LinkKind.DELEGATION: "/delegation/", LinkKind.ACTION_ITEM: "/retro/"}  # fmt: skip


@dataclass(frozen=True)
class Cut:
    """Where the page stops reading the history: at a moment, a position, or the call."""

    moment: datetime | None = None
    position: int | None = None
    then: bool = False

    def keeps(self, row: dict[str, Any], made_version: int | None) -> bool:
        if self.then and made_version is not None and row["version"] > made_version:
            return False
        if self.position is not None and (row["position"] or 0) > self.position:
            return False
        return self.moment is None or datetime.fromisoformat(row["recorded"]) <= self.moment


@dataclass
class DecisionRecord:
    """What the decision page shows (``decision`` is None when it did not exist yet then)."""

    decision: Decision | None
    history: list[dict[str, Any]]
    latest_version: int
    made_version: int | None
    information: list[dict[str, Any]] = field(default_factory=list)
    made: dict[str, Any] | None = None
    review: dict[str, Any] | None = None
    ended: dict[str, Any] | None = None

    @property
    def cut_short(self) -> bool:
        """Whether the page shows less than all of the history."""
        return not self.history or self.history[-1]["version"] < self.latest_version


def _last(rows: list[dict[str, Any]], *types: str) -> dict[str, Any] | None:
    found = [r for r in rows if r["type"] in types]
    return found[-1] if found else None


def record_of(koers: Koers, ident: UUID, cut: Cut) -> DecisionRecord:
    """The decision ``ident`` up to ``cut`` (``NotFound`` if it is not a decision)."""
    rows = history_rows(koers, Decision, "decision", ident)
    made = _last(rows, MADE)
    made_version = made["version"] if made else None
    kept = [r for r in rows if cut.keeps(r, made_version)]
    decision = koers.load(Decision, ident, version=kept[-1]["version"]) if kept else None
    information = [
        {"recorded": r["recorded"], "actor": r["actor"], "type": r["type"],
         "level": r["fields"].get("information_level"), "note": r["fields"].get("note", "")}
        for r in kept if r["type"] in (OPENED, INFORMED, MADE)
    ]  # fmt: skip
    return DecisionRecord(
        decision=decision,
        history=kept,
        latest_version=rows[-1]["version"],
        made_version=made_version,
        information=information,
        made=_last(kept, MADE),
        review=_last(kept, REVIEWED),
        ended=_last(kept, *ENDED),
    )


def proof_state(open_audit: Callable[[], tuple[AuditStore, Trust]], ident: UUID) -> str:
    """Whether the decision's events are covered by a signed checkpoint, checked now."""
    store, trust = open_audit()
    proofs = prove(store, trust, aggregate=str(ident))
    if not proofs.found:
        return "Not yet in the audit trail."
    if not proofs.unproven:
        size = max(p.checkpoint.size for p in proofs.proofs)
        return (
            f"Covered by checkpoint {size}, verified: each of its {proofs.found} events is in "
            f"the signed log (koers audit prove {ident} gives the proofs)."
        )
    seqs = ", ".join(str(seq) for seq, _ in proofs.unproven)
    why = proofs.unproven[0][1]
    if proofs.proofs:
        size = max(p.checkpoint.size for p in proofs.proofs)
        return (
            f"Partly covered: the earlier events by checkpoint {size}, verified; the events "
            f"at positions {seqs} not yet ({why})."
        )
    return f"Not yet covered by a checkpoint: the events at positions {seqs} ({why})."


@dataclass(frozen=True)
class LinkShown:
    """A link of the decision as the page shows it: what, where, named by its title."""

    kind: str
    href: str
    title: str


def _title(koers: Koers, principal: Principal, link: Link) -> str:
    """The linked thing's title (an action item's text); a thing the viewer may not read is
    not named (nor is it found)."""
    kind = "retro" if link.kind is LinkKind.ACTION_ITEM else link.kind.value
    try:
        thing = koers.load(AGGREGATES[kind], link.target_id)
    except NotFound:
        return ""
    if not koers.may_read(principal, kind, thing):
        return ""
    if link.kind is LinkKind.ACTION_ITEM:
        action = getattr(thing, "actions", {}).get(link.item_id) or {}
        return str(action.get("text", ""))
    return str(getattr(thing, "title", ""))


def links_of(koers: Koers, principal: Principal, links: list[Link]) -> list[LinkShown]:
    """The decision's links, each named by what it links to where the viewer may see it."""
    shown = []
    for link in links:
        href = f"{LINK_PAGES[link.kind]}{link.target_id}"
        if link.item_id is not None:
            href += f"#action-{link.item_id}"
        title = _title(koers, principal, link) or f"{link.target_id} (not visible to you)"
        shown.append(LinkShown(link.kind.value.replace("_", " "), href, title))
    return shown

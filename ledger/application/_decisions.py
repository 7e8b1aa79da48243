"""Commands on decisions and delegations (declared in ``ledger.domain.decisions`` and
``ledger.domain.delegations``).

Most run through the template as declared (``KoersBase.__getattr__`` finds each by its
``handler`` name; a delegation check-in's id derives from its key through the command's
``part``); the one below adds a step: a link's target must exist (and be of the kind named;
a retro item or an action item: an item of the retro named).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from ledger.application._base import Receipt
from ledger.application._lineage import LineageCommands, retro_parts
from ledger.domain import (
    Decision,
    Delegation,
    KeyResult,
    KoersAggregate,
    LinkKind,
    Objective,
    Retro,
)
from ledger.domain import decisions as dc
from ledger.errors import NotFound

__all__ = ["DecisionCommands"]


_LINK_TARGETS: dict[LinkKind, type[KoersAggregate]] = {
    LinkKind.OBJECTIVE: Objective,
    LinkKind.KEY_RESULT: KeyResult,
    LinkKind.DELEGATION: Delegation,
    LinkKind.ACTION_ITEM: Retro,
    LinkKind.RETRO_ITEM: Retro,
    LinkKind.DECISION: Decision,
}


class DecisionCommands(LineageCommands):
    def link_decision(self, decision_id: UUID, *, actor: str, **options: Any) -> Receipt:
        """Link a decision to a thing that exists, of the kind named (a retro item or an
        action item: the retro's id and the item's)."""
        values = {f.name: options[f.name] for f in dc.LINK_DECISION.fields if f.name in options}

        def target_exists() -> None:
            link = dc.LINK_DECISION.check(values)
            target = self.load(_LINK_TARGETS[link["kind"]], link["target_id"])
            item = link["item_id"]
            if link["kind"] not in dc.IN_A_RETRO or item is None:
                return
            parts = retro_parts(target, self.event_history(target.id))  # type: ignore[arg-type]
            if parts.get(item) != link["kind"].value:
                raise NotFound(link["kind"].value.replace("_", " "), item)

        return self.run(dc.LINK_DECISION, decision_id, actor=actor, guard=target_exists, **options)

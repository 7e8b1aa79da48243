"""Commands on decisions and delegations (declared in ``ledger.domain.decisions`` and
``ledger.domain.delegations``).

Most run through the template as declared (``KoersBase.__getattr__`` finds each by its
``handler`` name); the two below add a step: a link's target must exist (and be of the kind
named), and a delegation check-in's id derives from its key (a retry is the same check-in).
"""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from ledger.application._base import KoersBase, Receipt
from ledger.domain import (
    Delegation,
    KeyResult,
    KoersAggregate,
    LinkKind,
    Objective,
    Retro,
)
from ledger.domain import decisions as dc
from ledger.domain import delegations as dg
from ledger.errors import NotFound

__all__ = ["DecisionCommands"]


_LINK_TARGETS: dict[LinkKind, type[KoersAggregate]] = {
    LinkKind.OBJECTIVE: Objective,
    LinkKind.KEY_RESULT: KeyResult,
    LinkKind.DELEGATION: Delegation,
    LinkKind.ACTION_ITEM: Retro,
}


class DecisionCommands(KoersBase):
    def link_decision(self, decision_id: UUID, *, actor: str, **options: Any) -> Receipt:
        """Link a decision to a thing that exists, of the kind named (an action item: the
        retro's id and the item's)."""
        values = {f.name: options[f.name] for f in dc.LINK_DECISION.fields if f.name in options}

        def target_exists() -> None:
            link = dc.LINK_DECISION.check(values)
            target = self.load(_LINK_TARGETS[link["kind"]], link["target_id"])
            item = link["item_id"]
            in_retro = getattr(target, "actions", {})
            if link["kind"] is LinkKind.ACTION_ITEM and item is not None and item not in in_retro:
                raise NotFound("action item", item)

        return self.run(dc.LINK_DECISION, decision_id, actor=actor, guard=target_exists, **options)

    def delegation_check_in(
        self, delegation_id: UUID, *, actor: str, key: str = "", **options: Any
    ) -> Receipt:
        """The owner checks in; with a key, its id derives from it (a retry is the same one)."""
        check_in_id = uuid.uuid5(delegation_id, key) if key else uuid.uuid4()
        return self.run(
            dg.CHECK_IN, delegation_id, actor=actor, key=key, check_in_id=check_in_id, **options
        )

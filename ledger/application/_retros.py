"""Commands on retros and reflection prompts (declared in ``ledger.domain.retros`` and
``ledger.domain.prompts``).

Most run through the template as declared (``KoersBase.__getattr__`` finds each by its
``handler`` name); the two below add a step: an action item's id derives from its
idempotency key (a retried command makes the same item, and the receipt carries its
``item_id``), and a carry-over also changes the later retro, saved with the first in one
atomic write.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any
from uuid import UUID

from ledger.application._base import KoersBase, Receipt
from ledger.domain import KoersAggregate, Retro
from ledger.domain import retros as r

__all__ = ["RetroCommands"]


class RetroCommands(KoersBase):
    def add_action_item(
        self, retro_id: UUID, *, actor: str, key: str = "", **options: Any
    ) -> Receipt:
        """Add an action item; with a key, its id derives from it (a retry is the same item)."""
        item_id = uuid.uuid5(retro_id, key) if key else uuid.uuid4()
        receipt = self.run(
            r.ADD_ACTION_ITEM, retro_id, actor=actor, key=key, item_id=item_id, **options
        )
        return replace(receipt, item_id=item_id)

    def carry_over(
        self,
        retro_id: UUID,
        *,
        actor: str,
        key: str = "",
        expected_version: int | None = None,
        **values: Any,
    ) -> Receipt:
        """End an action item in one retro and continue it in a later one: one atomic save."""

        def later() -> dict[str, KoersAggregate]:
            return {"to": self.load(Retro, r.CARRY_OVER.check(values)["to_retro_id"])}

        return self.run(
            r.CARRY_OVER,
            retro_id,
            actor=actor,
            key=key,
            expected_version=expected_version,
            others=later,
            **values,
        )

"""Commands on retros and reflection prompts (declared in ``ledger.domain.retros`` and
``ledger.domain.prompts``).

Most run through the template as declared (``KoersBase.__getattr__`` finds each by its
``handler`` name; an action item's id derives from its idempotency key through the
command's ``part``, and the receipt carries it as ``item_id``); the one below adds a step: a
carry-over also changes the later retro, saved with the first in one atomic write.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from ledger.application._base import KoersBase, Receipt
from ledger.domain import KoersAggregate, Retro
from ledger.domain import retros as r

__all__ = ["RetroCommands"]


class RetroCommands(KoersBase):
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

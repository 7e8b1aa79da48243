"""Commands on objectives, key results and KPIs (declared in ``ledger.domain.goals``).

Most run through the template as declared (``KoersBase.__getattr__`` finds each by its
``handler`` name; a check-in's id derives from its idempotency key through the command's
``part``); the one below adds a step: a key result is added only to an open objective.
"""

from __future__ import annotations

from typing import Any

from ledger.application._base import KoersBase, Receipt
from ledger.domain import Objective, Status
from ledger.domain import goals as g
from ledger.errors import NotAllowed

__all__ = ["GoalCommands"]


class GoalCommands(KoersBase):
    def add_key_result(self, *, actor: str, key: str = "", **values: Any) -> Receipt:
        """Add a key result to an objective that is still open."""
        objective = self.load(Objective, g.ADD_KEY_RESULT.field("objective_id").check(
            values.get("objective_id")))  # fmt: skip

        def still_open() -> None:
            if objective.status is not Status.OPEN:
                raise NotAllowed(
                    f"this objective is {objective.status.value}: it takes no new key results"
                )

        return self.run(g.ADD_KEY_RESULT, actor=actor, key=key, guard=still_open, **values)

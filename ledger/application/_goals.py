"""Commands on objectives, key results and KPIs (declared in ``ledger.domain.goals``).

Most run through the template as declared (``KoersBase.__getattr__`` finds each by its
``handler`` name); the two below add a step: a key result is added only to an open
objective, and a check-in's id derives from its idempotency key (a retried check-in is the
same check-in).
"""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

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

    def check_in(
        self, key_result_id: UUID, *, actor: str, key: str = "", **options: Any
    ) -> Receipt:
        """Record a check-in; with a key, its id derives from it (a retry is the same one)."""
        check_in_id = uuid.uuid5(key_result_id, key) if key else uuid.uuid4()
        return self.run(
            g.CHECK_IN, key_result_id, actor=actor, key=key, check_in_id=check_in_id, **options
        )

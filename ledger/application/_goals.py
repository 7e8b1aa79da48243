"""Commands on objectives, key results and KPIs."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from ledger.application._base import KoersBase, Receipt
from ledger.domain import KeyResult, Kpi, Objective, Status
from ledger.errors import NotAllowed

__all__ = ["GoalCommands"]


class GoalCommands(KoersBase):
    def set_objective(self, *, actor: str, key: str = "", **fields: Any) -> Receipt:
        """Set an objective: team, title, why, period (2026-Q4), owner, parent_id."""
        if fields.get("parent_id") is not None:
            self.load(Objective, fields["parent_id"])
        return self.create(
            Objective,
            key,
            lambda i: Objective.set(id=i, actor=actor, command_id=key, **fields),
            Objective.Set,
        )

    def realign_objective(
        self,
        objective_id: UUID,
        *,
        actor: str,
        parent_id: UUID | None,
        reason: str,
        key: str = "",
        expected_version: int | None = None,
    ) -> Receipt:
        if parent_id is not None:
            self.load(Objective, parent_id)
        return self.change(
            Objective,
            objective_id,
            key,
            Objective.Realigned,
            lambda o: o.realign(actor=actor, parent_id=parent_id, reason=reason, command_id=key),
            expected_version=expected_version,
        )

    def score_objective(
        self,
        objective_id: UUID,
        *,
        actor: str,
        score: Decimal | str,
        learnings: str,
        key: str = "",
        expected_version: int | None = None,
    ) -> Receipt:
        return self.change(
            Objective,
            objective_id,
            key,
            Objective.Scored,
            lambda o: o.score_it(actor=actor, score=score, learnings=learnings, command_id=key),
            expected_version=expected_version,
        )

    def drop_objective(
        self, objective_id: UUID, *, actor: str, reason: str, key: str = ""
    ) -> Receipt:
        return self.change(
            Objective,
            objective_id,
            key,
            Objective.Dropped,
            lambda o: o.drop(actor=actor, reason=reason, command_id=key),
        )

    def add_key_result(
        self, *, actor: str, objective_id: UUID, key: str = "", **fields: Any
    ) -> Receipt:
        """Add a key result: title, metric, start, target, unit, owner, cadence_days."""
        objective = self.load(Objective, objective_id)

        def make(new_id: UUID) -> KeyResult:
            if objective.status is not Status.OPEN:  # checked only when not a retry
                raise NotAllowed(
                    f"this objective is {objective.status.value}: it takes no new key results"
                )
            return KeyResult.add(
                id=new_id, actor=actor, command_id=key, objective_id=objective_id, **fields
            )

        return self.create(KeyResult, key, make, KeyResult.Added)

    def check_in(
        self,
        key_result_id: UUID,
        *,
        actor: str,
        value: Decimal | str,
        confidence: int,
        as_of: datetime,
        note: str = "",
        blockers: tuple[str, ...] = (),
        key: str = "",
        expected_version: int | None = None,
    ) -> Receipt:
        check_in_id = uuid.uuid5(key_result_id, key) if key else uuid.uuid4()
        return self.change(
            KeyResult,
            key_result_id,
            key,
            KeyResult.CheckedIn,
            lambda kr: kr.check_in(
                actor=actor,
                check_in_id=check_in_id,
                value=value,
                confidence=confidence,
                as_of=as_of,
                note=note,
                blockers=blockers,
                command_id=key,
            ),
            expected_version=expected_version,
        )

    def correct_check_in(
        self,
        key_result_id: UUID,
        *,
        actor: str,
        check_in_id: UUID,
        value: Decimal | str,
        confidence: int,
        reason: str,
        key: str = "",
    ) -> Receipt:
        return self.change(
            KeyResult,
            key_result_id,
            key,
            KeyResult.CheckInCorrected,
            lambda kr: kr.correct_check_in(
                actor=actor,
                check_in_id=check_in_id,
                value=value,
                confidence=confidence,
                reason=reason,
                command_id=key,
            ),
        )

    def retarget(
        self,
        key_result_id: UUID,
        *,
        actor: str,
        target: Decimal | str,
        reason: str,
        key: str = "",
        expected_version: int | None = None,
    ) -> Receipt:
        return self.change(
            KeyResult,
            key_result_id,
            key,
            KeyResult.Retargeted,
            lambda kr: kr.retarget(actor=actor, target=target, reason=reason, command_id=key),
            expected_version=expected_version,
        )

    def drop_key_result(
        self, key_result_id: UUID, *, actor: str, reason: str, key: str = ""
    ) -> Receipt:
        return self.change(
            KeyResult,
            key_result_id,
            key,
            KeyResult.Dropped,
            lambda kr: kr.drop(actor=actor, reason=reason, command_id=key),
        )

    def close_key_result(
        self,
        key_result_id: UUID,
        *,
        actor: str,
        score: Decimal | str,
        learnings: str = "",
        key: str = "",
    ) -> Receipt:
        return self.change(
            KeyResult,
            key_result_id,
            key,
            KeyResult.Closed,
            lambda kr: kr.close(actor=actor, score=score, learnings=learnings, command_id=key),
        )

    def define_kpi(self, *, actor: str, key: str = "", **fields: Any) -> Receipt:
        """Define a KPI: team, name, owner, target, unit, direction, kind, next_step."""
        return self.create(
            Kpi, key, lambda i: Kpi.define(id=i, actor=actor, command_id=key, **fields), Kpi.Defined
        )

    def measure_kpi(
        self,
        kpi_id: UUID,
        *,
        actor: str,
        value: Decimal | str,
        as_of: datetime,
        note: str = "",
        key: str = "",
    ) -> Receipt:
        return self.change(
            Kpi,
            kpi_id,
            key,
            Kpi.Measured,
            lambda k: k.measure(actor=actor, value=value, as_of=as_of, note=note, command_id=key),
        )

    def set_kpi_next_step(
        self, kpi_id: UUID, *, actor: str, next_step: str, key: str = ""
    ) -> Receipt:
        return self.change(
            Kpi,
            kpi_id,
            key,
            Kpi.NextStepSet,
            lambda k: k.set_next_step(actor=actor, next_step=next_step, command_id=key),
        )

    def retire_kpi(self, kpi_id: UUID, *, actor: str, reason: str, key: str = "") -> Receipt:
        return self.change(
            Kpi,
            kpi_id,
            key,
            Kpi.Retired,
            lambda k: k.retire(actor=actor, reason=reason, command_id=key),
        )

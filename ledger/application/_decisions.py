"""Commands on decisions and delegations."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from ledger.application._base import KoersBase, Receipt
from ledger.domain import (
    Decision,
    Delegation,
    KeyResult,
    KoersAggregate,
    Link,
    LinkKind,
    Objective,
    Option,
    Retro,
)
from ledger.domain._base import choice
from ledger.errors import NotFound

__all__ = ["DecisionCommands"]


_LINK_TARGETS: dict[LinkKind, type[KoersAggregate]] = {
    LinkKind.OBJECTIVE: Objective,
    LinkKind.KEY_RESULT: KeyResult,
    LinkKind.DELEGATION: Delegation,
    LinkKind.ACTION_ITEM: Retro,
}


class DecisionCommands(KoersBase):
    def open_decision(self, *, actor: str, key: str = "", **fields: Any) -> Receipt:
        """Open a decision: team, question, context, options, criteria, risk, reversibility,
        cost_to_reverse, information_level, decider, consulted, informed, decide_by."""
        return self.create(
            Decision,
            key,
            lambda i: Decision.open(id=i, actor=actor, command_id=key, **fields),
            Decision.Opened,
        )

    def add_option(
        self, decision_id: UUID, *, actor: str, option: Option, key: str = ""
    ) -> Receipt:
        return self.change(
            Decision,
            decision_id,
            key,
            Decision.OptionAdded,
            lambda d: d.add_option(actor=actor, option=option, command_id=key),
        )

    def update_information(
        self,
        decision_id: UUID,
        *,
        actor: str,
        information_level: int,
        note: str = "",
        key: str = "",
    ) -> Receipt:
        return self.change(
            Decision,
            decision_id,
            key,
            Decision.InformationUpdated,
            lambda d: d.update_information(
                actor=actor, information_level=information_level, note=note, command_id=key
            ),
        )

    def decide(
        self,
        decision_id: UUID,
        *,
        actor: str,
        chosen: str,
        rationale: str,
        expected_outcome: str,
        confidence: Decimal | str,
        review_on: date,
        key: str = "",
        expected_version: int | None = None,
    ) -> Receipt:
        return self.change(
            Decision,
            decision_id,
            key,
            Decision.Made,
            lambda d: d.decide(
                actor=actor,
                chosen=chosen,
                rationale=rationale,
                expected_outcome=expected_outcome,
                confidence=confidence,
                review_on=review_on,
                command_id=key,
            ),
            expected_version=expected_version,
        )

    def review_decision(
        self,
        decision_id: UUID,
        *,
        actor: str,
        outcome_quality: int,
        process_quality: int,
        as_expected: bool,
        what_happened: str,
        lessons: str = "",
        key: str = "",
    ) -> Receipt:
        return self.change(
            Decision,
            decision_id,
            key,
            Decision.Reviewed,
            lambda d: d.review(
                actor=actor,
                outcome_quality=outcome_quality,
                process_quality=process_quality,
                as_expected=as_expected,
                what_happened=what_happened,
                lessons=lessons,
                command_id=key,
            ),
        )

    def reverse_decision(
        self, decision_id: UUID, *, actor: str, reason: str, key: str = ""
    ) -> Receipt:
        return self.change(
            Decision,
            decision_id,
            key,
            Decision.Reversed,
            lambda d: d.reverse(actor=actor, reason=reason, command_id=key),
        )

    def supersede_decision(
        self, decision_id: UUID, *, actor: str, by_decision_id: UUID, reason: str, key: str = ""
    ) -> Receipt:
        self.load(Decision, by_decision_id)
        return self.change(
            Decision,
            decision_id,
            key,
            Decision.Superseded,
            lambda d: d.supersede(
                actor=actor, by_decision_id=by_decision_id, reason=reason, command_id=key
            ),
        )

    def link_decision(
        self,
        decision_id: UUID,
        *,
        actor: str,
        kind: str,
        target_id: UUID,
        item_id: UUID | None = None,
        key: str = "",
    ) -> Receipt:
        link_kind = choice("kind", LinkKind, kind)
        target = self.load(_LINK_TARGETS[link_kind], target_id)
        actions = getattr(target, "actions", {})
        if link_kind is LinkKind.ACTION_ITEM and (item_id is None or item_id not in actions):
            raise NotFound("action item", item_id)
        link = Link(link_kind, target_id, item_id)
        return self.change(
            Decision,
            decision_id,
            key,
            Decision.Linked,
            lambda d: d.link(actor=actor, link=link, command_id=key),
        )

    def delegate(self, *, actor: str, key: str = "", **fields: Any) -> Receipt:
        """Delegate: owner, title, why, desired_result, boundaries, level, cadence_days, due."""
        return self.create(
            Delegation,
            key,
            lambda i: Delegation.delegate(id=i, actor=actor, command_id=key, **fields),
            Delegation.Delegated,
        )

    def delegation_check_in(
        self, delegation_id: UUID, *, actor: str, status: str, progress: str, key: str = ""
    ) -> Receipt:
        check_in_id = uuid.uuid5(delegation_id, key) if key else uuid.uuid4()
        return self.change(
            Delegation,
            delegation_id,
            key,
            Delegation.CheckedIn,
            lambda d: d.check_in(
                actor=actor,
                check_in_id=check_in_id,
                status=status,
                progress=progress,
                command_id=key,
            ),
        )

    def acknowledge_check_in(
        self, delegation_id: UUID, *, actor: str, check_in_id: UUID, note: str = "", key: str = ""
    ) -> Receipt:
        return self.change(
            Delegation,
            delegation_id,
            key,
            Delegation.CheckInAcknowledged,
            lambda d: d.acknowledge(
                actor=actor, check_in_id=check_in_id, note=note, command_id=key
            ),
        )

    def renegotiate(
        self, delegation_id: UUID, *, actor: str, reason: str, key: str = "", **changes: Any
    ) -> Receipt:
        return self.change(
            Delegation,
            delegation_id,
            key,
            Delegation.Renegotiated,
            lambda d: d.renegotiate(actor=actor, reason=reason, command_id=key, **changes),
        )

    def complete_delegation(
        self, delegation_id: UUID, *, actor: str, feedback: str, feedforward: str, key: str = ""
    ) -> Receipt:
        return self.change(
            Delegation,
            delegation_id,
            key,
            Delegation.Completed,
            lambda d: d.complete(
                actor=actor, feedback=feedback, feedforward=feedforward, command_id=key
            ),
        )

    def revoke_delegation(
        self, delegation_id: UUID, *, actor: str, reason: str, key: str = ""
    ) -> Receipt:
        return self.change(
            Delegation,
            delegation_id,
            key,
            Delegation.Revoked,
            lambda d: d.revoke(actor=actor, reason=reason, command_id=key),
        )

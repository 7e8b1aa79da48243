"""Commands on retros and reflection prompts."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from ledger.application._base import KoersBase, Receipt
from ledger.domain import Prompt, Retro

__all__ = ["RetroCommands"]


class RetroCommands(KoersBase):
    def hold_retro(self, *, actor: str, key: str = "", **fields: Any) -> Receipt:
        """Hold a retro: team, period, format, held_on, facilitator."""
        return self.create(
            Retro,
            key,
            lambda i: Retro.hold(id=i, actor=actor, command_id=key, **fields),
            Retro.Held,
        )

    def add_retro_item(
        self, retro_id: UUID, *, actor: str, kind: str, text: str, key: str = ""
    ) -> Receipt:
        return self.change(
            Retro,
            retro_id,
            key,
            Retro.ItemAdded,
            lambda r: r.add_item(actor=actor, kind=kind, text=text, command_id=key),
        )

    def record_pulse(
        self,
        retro_id: UUID,
        *,
        actor: str,
        dimension: str,
        score: Decimal | str,
        responses: int,
        key: str = "",
    ) -> Receipt:
        return self.change(
            Retro,
            retro_id,
            key,
            Retro.PulseRecorded,
            lambda r: r.record_pulse(
                actor=actor, dimension=dimension, score=score, responses=responses, command_id=key
            ),
        )

    def add_action_item(
        self, retro_id: UUID, *, actor: str, text: str, owner: str, due: date, key: str = ""
    ) -> tuple[Receipt, UUID]:
        item_id = uuid.uuid5(retro_id, key) if key else uuid.uuid4()
        receipt = self.change(
            Retro,
            retro_id,
            key,
            Retro.ActionItemAdded,
            lambda r: r.add_action(
                actor=actor, item_id=item_id, text=text, owner=owner, due=due, command_id=key
            ),
        )
        return receipt, item_id

    def complete_action_item(
        self, retro_id: UUID, *, actor: str, item_id: UUID, note: str = "", key: str = ""
    ) -> Receipt:
        return self.change(
            Retro,
            retro_id,
            key,
            Retro.ActionItemCompleted,
            lambda r: r.complete_action(actor=actor, item_id=item_id, note=note, command_id=key),
        )

    def drop_action_item(
        self, retro_id: UUID, *, actor: str, item_id: UUID, reason: str, key: str = ""
    ) -> Receipt:
        return self.change(
            Retro,
            retro_id,
            key,
            Retro.ActionItemDropped,
            lambda r: r.drop_action(actor=actor, item_id=item_id, reason=reason, command_id=key),
        )

    def carry_over(
        self, retro_id: UUID, *, actor: str, item_id: UUID, to_retro_id: UUID, key: str = ""
    ) -> Receipt:
        """End an action item in one retro and continue it in a later one: one atomic save."""
        target: list[Retro] = []

        def command(retro: Retro) -> None:
            target[:] = [self.load(Retro, to_retro_id)]
            retro.carry_over(actor=actor, item_id=item_id, to=target[0], command_id=key)

        return self.change(
            Retro, retro_id, key, Retro.ActionItemCarriedOver, command, also=lambda _: list(target)
        )

    def issue_prompt(self, *, actor: str, key: str = "", **fields: Any) -> Receipt:
        """Issue a reflection prompt: to, question, kind, triggered_by."""
        return self.create(
            Prompt,
            key,
            lambda i: Prompt.issue(id=i, actor=actor, command_id=key, **fields),
            Prompt.Issued,
        )

    def answer_prompt(self, prompt_id: UUID, *, actor: str, answer: str, key: str = "") -> Receipt:
        return self.change(
            Prompt,
            prompt_id,
            key,
            Prompt.Answered,
            lambda p: p.answer_it(actor=actor, answer=answer, command_id=key),
        )

    def snooze_prompt(
        self, prompt_id: UUID, *, actor: str, until: datetime, key: str = ""
    ) -> Receipt:
        return self.change(
            Prompt,
            prompt_id,
            key,
            Prompt.Snoozed,
            lambda p: p.snooze(actor=actor, until=until, command_id=key),
        )

    def dismiss_prompt(
        self, prompt_id: UUID, *, actor: str, reason: str = "", key: str = ""
    ) -> Receipt:
        return self.change(
            Prompt,
            prompt_id,
            key,
            Prompt.Dismissed,
            lambda p: p.dismiss(actor=actor, reason=reason, command_id=key),
        )

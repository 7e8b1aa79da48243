"""Retros: what went well, what to improve, a team-health pulse, and action items.

Invariants:
- an action item has exactly one owner and a due date; it ends once: done, dropped, or
  carried over into a later retro (where it continues under the same item id);
- a pulse score is 1–5.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ledger.domain._base import KoersAggregate, choice, decimal, one_person, required_text
from ledger.errors import InvalidValue, NotAllowed

__all__ = ["ActionState", "ItemKind", "Retro"]


class ItemKind(Enum):
    WENT_WELL = "went_well"
    TO_IMPROVE = "to_improve"
    IDEA = "idea"


class ActionState(Enum):
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"
    CARRIED_OVER = "carried_over"


class Retro(KoersAggregate):
    """One retrospective of a team."""

    if TYPE_CHECKING:  # attributes, not dataclass fields
        team: str
        period: str
        format: str
        held_on: date
        facilitator: str
        items: list[tuple[ItemKind, str]]
        pulse: dict[str, Decimal]
        actions: dict[UUID, dict[str, Any]]

    class Held(KoersAggregate.Created):
        team: str
        period: str
        format: str
        held_on: date
        facilitator: str

        def apply(self, r: Retro) -> None:
            r.team, r.period, r.format = self.team, self.period, self.format
            r.held_on, r.facilitator = self.held_on, self.facilitator
            r.items, r.pulse, r.actions = [], {}, {}

    class ItemAdded(KoersAggregate.Event):
        kind: ItemKind
        text: str

        def apply(self, r: Retro) -> None:
            r.items.append((self.kind, self.text))

    class PulseRecorded(KoersAggregate.Event):
        dimension: str
        score: Decimal
        responses: int

        def apply(self, r: Retro) -> None:
            r.pulse[self.dimension] = self.score

    class ActionItemAdded(KoersAggregate.Event):
        item_id: UUID
        text: str
        owner: str
        due: date
        carried_from: UUID | None

        def apply(self, r: Retro) -> None:
            r.actions[self.item_id] = {
                "text": self.text,
                "owner": self.owner,
                "due": self.due,
                "state": ActionState.OPEN,
                "carried_from": self.carried_from,
            }

    class ActionItemCompleted(KoersAggregate.Event):
        item_id: UUID
        note: str

        def apply(self, r: Retro) -> None:
            r.actions[self.item_id]["state"] = ActionState.DONE

    class ActionItemDropped(KoersAggregate.Event):
        item_id: UUID
        reason: str

        def apply(self, r: Retro) -> None:
            r.actions[self.item_id]["state"] = ActionState.DROPPED

    class ActionItemCarriedOver(KoersAggregate.Event):
        item_id: UUID
        to_retro_id: UUID

        def apply(self, r: Retro) -> None:
            r.actions[self.item_id]["state"] = ActionState.CARRIED_OVER

    @classmethod
    def hold(cls, *, id: UUID, actor: str, command_id: str = "", **f: Any) -> Retro:
        return cls._create(
            cls.Held,
            id=id,
            actor=actor,
            command_id=command_id,
            team=required_text("team", f["team"], 80),
            period=required_text("period", f["period"], 40),
            format=f.get("format", "start-stop-continue").strip(),
            held_on=f["held_on"],
            facilitator=one_person("facilitator", f.get("facilitator") or actor),
        )

    def add_item(self, *, actor: str, kind: str, text: str, command_id: str = "") -> None:
        self.trigger_event(
            self.ItemAdded,
            actor=actor,
            command_id=command_id,
            kind=choice("kind", ItemKind, kind),
            text=required_text("text", text, 2000),
        )

    def record_pulse(
        self,
        *,
        actor: str,
        dimension: str,
        score: Decimal | str,
        responses: int,
        command_id: str = "",
    ) -> None:
        value = decimal("score", score)
        if not Decimal(1) <= value <= Decimal(5):
            raise InvalidValue("score", f"{score} is outside 1–5")
        if responses < 1:
            raise InvalidValue("responses", "a pulse needs at least one response")
        self.trigger_event(
            self.PulseRecorded,
            actor=actor,
            command_id=command_id,
            dimension=required_text("dimension", dimension, 60),
            score=value,
            responses=responses,
        )

    def add_action(
        self,
        *,
        actor: str,
        item_id: UUID,
        text: str,
        owner: str,
        due: date,
        carried_from: UUID | None = None,
        command_id: str = "",
    ) -> None:
        if item_id in self.actions:
            raise InvalidValue("item", f"this retro has an action item {item_id} already")
        if due < self.held_on:
            raise InvalidValue("due", f"{due} is before the retro was held ({self.held_on})")
        self.trigger_event(
            self.ActionItemAdded,
            actor=actor,
            command_id=command_id,
            item_id=item_id,
            text=required_text("text", text, 2000),
            owner=one_person("owner", owner),
            due=due,
            carried_from=carried_from,
        )

    def _open_action(self, item_id: UUID) -> dict[str, Any]:
        action = self.actions.get(item_id)
        if action is None:
            raise InvalidValue("item", f"this retro has no action item {item_id}")
        if action["state"] is not ActionState.OPEN:
            raise NotAllowed(f"this action item is {action['state'].value} already")
        return action

    def complete_action(
        self, *, actor: str, item_id: UUID, note: str = "", command_id: str = ""
    ) -> None:
        self._open_action(item_id)
        self.trigger_event(
            self.ActionItemCompleted,
            actor=actor,
            command_id=command_id,
            item_id=item_id,
            note=note.strip(),
        )

    def drop_action(self, *, actor: str, item_id: UUID, reason: str, command_id: str = "") -> None:
        self._open_action(item_id)
        self.trigger_event(
            self.ActionItemDropped,
            actor=actor,
            command_id=command_id,
            item_id=item_id,
            reason=required_text("reason", reason),
        )

    def carry_over(self, *, actor: str, item_id: UUID, to: Retro, command_id: str = "") -> None:
        """End the item here and continue it in the later retro ``to`` (save both together)."""
        action = self._open_action(item_id)
        if to.id == self.id:
            raise InvalidValue("to", "carry an action item over into a later retro, not this one")
        if to.held_on < self.held_on:
            raise InvalidValue("to", "that retro was held before this one: carry items forward")
        self.trigger_event(
            self.ActionItemCarriedOver,
            actor=actor,
            command_id=command_id,
            item_id=item_id,
            to_retro_id=to.id,
        )
        to.add_action(
            actor=actor,
            item_id=item_id,
            text=action["text"],
            owner=action["owner"],
            due=max(action["due"], to.held_on),
            carried_from=self.id,
        )

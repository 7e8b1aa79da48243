"""Retros: what went well, what to improve, a team-health pulse, and action items.

Invariants:
- an action item has exactly one owner and a due date, not before the retro was held; it
  ends once: done, dropped, or carried over into a later retro (where it continues under the
  same item id, due when it was, or on a new date that is not in the past);
- a pulse score is 1–5, from at least one response; it is shown (reads, views, exports) only
  from :data:`MIN_PULSE_RESPONSES` responses, so nobody's own scores can be read off it;
- people of the retro's own team may give their own pulse score (1–5) per dimension, until
  :data:`PULSE_SCORING_DAYS` days after the retro was held; one score per person and
  dimension (a second one replaces theirs). Each such event carries the dimension's mean
  (:func:`pulse_mean`) and count of scores after it; a dimension's pulse is what its last
  event says (a typed-in pulse, or the mean of people's own scores), shown by the same rule.

The commands are declared once below (``RETRO_COMMANDS``); the aggregate's methods check
their values through those declarations and keep only the rules of state here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID, uuid5

from ledger.domain._base import Given, KoersAggregate, changes
from ledger.domain._clock import now
from ledger.domain._commands import Command
from ledger.domain._fields import (
    NOTE,
    REASON,
    SOLE_OWNER,
    TEAM,
    Choice,
    Day,
    Handle,
    Number,
    Ref,
    Text,
    Whole,
)
from ledger.domain.access import FACILITATOR, ITS_OWNER, LEAD, MEMBER, TEAM_MEMBER
from ledger.errors import InvalidValue, NotAllowed, NotFound

__all__ = [
    "MIN_PULSE_RESPONSES",
    "PRIVATE_FIELDS",
    "PULSE_SCORING_DAYS",
    "RETRO_COMMANDS",
    "TOO_FEW_RESPONSES",
    "ActionState",
    "ItemKind",
    "Retro",
    "RetroGiven",
    "item_id_of",
    "pulse_mean",
    "pulse_shown",
]


#: A pulse from fewer responses is recorded but never shown: it could expose one person's scores.
MIN_PULSE_RESPONSES = 3
#: What is shown instead of such a pulse's score.
TOO_FEW_RESPONSES = "too few responses to show"


def item_id_of(retro_id: UUID | str, version: int) -> UUID:
    """The id of a retro item recorded before items had ids: derived from its retro and the
    version its event has in the retro (stable: the same on every read)."""
    return uuid5(UUID(str(retro_id)), f"retro-item/{version}")


#: People give their own pulse scores until this many days after the retro was held.
PULSE_SCORING_DAYS = 14


def pulse_shown(responses: int) -> bool:
    """Whether a pulse from ``responses`` responses may be shown."""
    return responses >= MIN_PULSE_RESPONSES


def pulse_mean(scores: Iterable[Decimal]) -> Decimal:
    """The mean of people's own scores of one dimension, to 2 places, half up (as every
    score Koers reports: docs/metrics.md)."""
    given = list(scores)
    if not given:
        raise ValueError("a mean of no scores")
    return (sum(given, Decimal(0)) / len(given)).quantize(Decimal("0.01"), ROUND_HALF_UP)


class ItemKind(Enum):
    WENT_WELL = "went_well"
    TO_IMPROVE = "to_improve"
    IDEA = "idea"


class ActionState(Enum):
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"
    CARRIED_OVER = "carried_over"


# -- the commands ---------------------------------------------------------------------------------

_ITEM = Ref(
    name="item_id",
    option="item",
    kind="action_item",
    help="The action item's id (koers retro show).",
)

#: What a pulse scores (a typed-in pulse and people's own scores alike).
_DIMENSION = Text(name="dimension", most=60, line=True, example="workload",
                  help="What was scored, e.g. psychological_safety, workload.")  # fmt: skip
HOLD_RETRO = Command(
    "retro.hold",
    "Record a retro of a team: what it looks back on, when, and who facilitated.",
    (
        TEAM,
        Text(
            name="period",
            help="What it looks back on, e.g. 'Sprint 42'.",
            most=40,
            line=True,
            example="Sprint 42",
        ),
        Text(
            name="format",
            help="The format used.",
            most=80,
            line=True,
            default="start-stop-continue",
            example="start-stop-continue",
        ),
        Day(name="held_on", help="The day it was held.", example="2026-11-27"),
        Handle(
            name="facilitator",
            help="Who facilitated (default: who records it).",
            default=None,
            example="chen",
        ),
    ),
    creates=True,
    example="--team platform --period 'Sprint 42' --held-on 2026-11-27 "
    "--format 'start-stop-continue'",
    event="Held",
    may=(MEMBER,),
)
ADD_ITEM = Command(
    "retro.item",
    "Add an item to a retro: what went well, what to improve, or an idea.",
    (
        Choice(name="kind", of=ItemKind, help="What kind of item.", example="to_improve"),
        Text(name="text", help="The item.", most=2000, example="Reviews wait too long"),
    ),
    route="items",
    runs="add_retro_item",
    description="Add an item to a retro: what went well, what to improve, or an idea; the "
    "receipt has its `item_id` (an action item or a decision may cite it).",
    example="<id> --kind to_improve --text 'Reviews wait too long'",
    event="ItemAdded",
    method="add_item",
    part="item_id",
    may=(MEMBER,),
)
RECORD_PULSE = Command(
    "retro.pulse",
    "Record a team-health pulse score (1–5) for one dimension.",
    (
        _DIMENSION,
        Number(
            name="score",
            help="The average score, 1–5.",
            low=Decimal(1),
            high=Decimal(5),
            example="3.4",
        ),
        Whole(name="responses", help="How many people answered.", low=1, high=100_000, example=7),
    ),
    runs="record_pulse",
    example="<id> --dimension workload --score 3.4 --responses 7",
    event="PulseRecorded",
    method="record_pulse",
    may=(MEMBER,),
)
GIVE_PULSE_SCORE = Command(
    "retro.pulse_score",
    "Give your own team-health pulse score (1–5) for one dimension of your team's retro.",
    (
        _DIMENSION,
        Whole(name="score", help="Your score, 1 (worst) to 5 (best).", low=1, high=5, example=4),
    ),
    route="pulse-scores",
    runs="give_pulse_score",
    description="Give your own pulse score (1–5) for one dimension, until "
    f"{PULSE_SCORING_DAYS} days after the retro was held; a second score replaces yours. "
    "Nobody's own score is shown anywhere: only the mean and count of a dimension's scores, "
    f"from {MIN_PULSE_RESPONSES} people on.",
    example="<id> --dimension workload --score 4",
    event="PulseScored",
    method="give_pulse_score",
    may=(TEAM_MEMBER,),
)
ADD_ACTION_ITEM = Command(
    "retro.action",
    "Add an action item with one owner and a due date (not before the retro).",
    (
        Text(name="text", help="What will be done.", most=2000, example="Pair on reviews daily"),
        replace(SOLE_OWNER, example="chen"),
        Day(name="due", help="The due date (not before the retro).", example="2026-12-11"),
        Ref(
            name="from_item",
            option="from-item",
            kind="retro_item",
            default=None,
            help="The retro item it came from, an item of this retro (koers retro show).",
        ),
    ),
    route="action-items",
    runs="add_action_item",
    description="Add an action item with one owner and a due date; the receipt has its `item_id`.",
    example="<id> --text 'Pair on reviews daily' --owner chen --due 2026-12-11",
    event="ActionItemAdded",
    method="add_action",
    part="item_id",
    may=(MEMBER,),
)
COMPLETE_ACTION_ITEM = Command(
    "retro.done",
    "Mark an open action item done.",
    (_ITEM, NOTE),
    route="action-items/{item_id}/complete",
    runs="complete_action_item",
    example="<id> --item <id> --note 'Review wait halved'",
    event="ActionItemCompleted",
    method="complete_action",
    may=(ITS_OWNER, LEAD),
)
DROP_ACTION_ITEM = Command(
    "retro.drop",
    "Drop an open action item, with a reason.",
    (_ITEM, REASON),
    route="action-items/{item_id}/drop",
    runs="drop_action_item",
    example="<id> --item <id> --reason 'The review rota covers it'",
    event="ActionItemDropped",
    method="drop_action",
    may=(FACILITATOR, LEAD),
)
CARRY_OVER = Command(
    "retro.carry",
    "Carry an open action item over into a later retro, where it continues.",
    (
        _ITEM,
        Ref(
            name="to_retro_id",
            option="to",
            kind="retro",
            help="The later retro it continues in.",
        ),
        Day(
            name="due",
            help="A new due date, today or later; left out, the item keeps its due date.",
            default=None,
            example="2026-12-18",
        ),
    ),
    route="action-items/{item_id}/carry-over",
    runs="carry_over",
    description="End an open action item here and continue it in a later retro (one atomic "
    "write of both retros), with its due date, or a new one (today or later).",
    example="<id> --item <id> --to <id>",
    event="ActionItemCarriedOver",
    method="carry_over",
    also=(("to", "to_retro_id"),),
    may=(MEMBER,),
)

RETRO_COMMANDS = (
    HOLD_RETRO,
    ADD_ITEM,
    RECORD_PULSE,
    GIVE_PULSE_SCORE,
    ADD_ACTION_ITEM,
    COMPLETE_ACTION_ITEM,
    DROP_ACTION_ITEM,
    CARRY_OVER,
)


class RetroGiven(Given):
    """What a retro starts with: its Held event's fields, its first attributes."""

    team: str
    period: str
    format: str
    held_on: date
    facilitator: str


class Retro(RetroGiven, KoersAggregate):
    """One retrospective of a team."""

    if TYPE_CHECKING:  # attributes, not dataclass fields
        items: list[tuple[ItemKind, str]]
        pulse: dict[str, Decimal]
        #: people's own scores, dimension -> handle -> score: never shown (docs/security.md)
        _pulse_scores: dict[str, dict[str, int]]
        actions: dict[UUID, dict[str, Any]]

    class Held(RetroGiven, KoersAggregate.Created):
        def apply(self, r: Retro) -> None:
            self.adopt(r)
            r.items, r.pulse, r.actions, r._pulse_scores = [], {}, {}, {}

    class ItemAdded(KoersAggregate.Event):
        """An item. v3: ``item_id``; an item recorded before items had ids is read with
        :func:`item_id_of` its retro and its place in the retro's history (stable)."""

        class_version = 3

        item_id: UUID
        kind: ItemKind
        text: str

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["item_id"] = item_id_of(state["originator_id"], state["originator_version"])

        def apply(self, r: Retro) -> None:
            r.items.append((self.kind, self.text))

    class PulseRecorded(KoersAggregate.Event):
        dimension: str
        score: Decimal
        responses: int

        def apply(self, r: Retro) -> None:
            r.pulse[self.dimension] = self.score

    class PulseScored(KoersAggregate.Event):
        """A person's own score of one dimension (replacing theirs), with the dimension's
        mean and count of scores after it: the only numbers ever shown of it."""

        class_version: ClassVar[int] = 1  # new with people's own scores: no older shape
        dimension: str
        score: int
        mean: Decimal
        responses: int

        def apply(self, r: Retro) -> None:
            kept = vars(r).setdefault("_pulse_scores", {})  # not in an older snapshot
            kept.setdefault(self.dimension, {})[self.actor] = self.score
            r.pulse[self.dimension] = self.mean

    class ActionItemAdded(KoersAggregate.Event):
        """An action item. v3: ``from_item``, the retro item it came from (none before)."""

        class_version = 3

        item_id: UUID
        text: str
        owner: str
        due: date
        carried_from: UUID | None
        from_item: UUID | None

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["from_item"] = None

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
    def hold(cls, *, id: UUID, actor: str, command_id: str = "", **values: Any) -> Retro:
        """Record a retro; its facilitator is who records it unless another is named."""
        if values.get("facilitator") is None:
            values["facilitator"] = actor
        checked = HOLD_RETRO.check(values)
        return cls._create(cls.Held, id=id, actor=actor, command_id=command_id, **checked)

    def add_item(self, *, actor: str, item_id: UUID, command_id: str = "", **values: Any) -> None:
        """Add an item under ``item_id`` (the application derives it from the command's key)."""
        checked = ADD_ITEM.check(values)
        self.trigger_event(
            self.ItemAdded, actor=actor, command_id=command_id, item_id=item_id, **checked
        )

    record_pulse = changes(RECORD_PULSE)

    def own_scores(self, dimension: str) -> dict[str, int]:
        """People's own scores of a dimension, by handle, a copy (never shown: see
        docs/security.md); kept as ``_pulse_scores``, which an older snapshot lacks."""
        kept: dict[str, dict[str, int]] = vars(self).get("_pulse_scores", {})
        return dict(kept.get(dimension, {}))

    def give_pulse_score(self, *, actor: str, command_id: str = "", **values: Any) -> None:
        """Record ``actor``'s own score of a dimension, replacing theirs, while the retro
        takes scores (until :data:`PULSE_SCORING_DAYS` days after it was held)."""
        checked = GIVE_PULSE_SCORE.check(values)
        last_day = self.held_on + timedelta(days=PULSE_SCORING_DAYS)
        if now().date() > last_day:
            raise NotAllowed(
                f"this retro took pulse scores until {last_day.isoformat()}: give yours in "
                f"your team's next retro"
            )
        scores = {**self.own_scores(checked["dimension"]), actor: checked["score"]}
        self.trigger_event(
            self.PulseScored,
            actor=actor,
            command_id=command_id,
            mean=pulse_mean(Decimal(s) for s in scores.values()),
            responses=len(scores),
            **checked,
        )

    def add_action(
        self,
        *,
        actor: str,
        item_id: UUID,
        carried_from: UUID | None = None,
        command_id: str = "",
        **values: Any,
    ) -> None:
        """Add an action item under ``item_id`` (``carried_from``: the retro it continues; a
        carried item keeps its due date, even one before this retro)."""
        checked = ADD_ACTION_ITEM.check(values)
        if item_id in self.actions:
            raise InvalidValue("item_id", f"this retro has an action item {item_id} already")
        if carried_from is None and checked["due"] < self.held_on:
            raise InvalidValue(
                "due", f"{checked['due']} is before the retro was held ({self.held_on})"
            )
        self.trigger_event(
            self.ActionItemAdded,
            actor=actor,
            command_id=command_id,
            item_id=item_id,
            carried_from=carried_from,
            **checked,
        )

    def _open_action(self, item_id: UUID) -> dict[str, Any]:
        action = self.actions.get(item_id)
        if action is None:
            raise NotFound("action item", item_id, "the retro lists its action items")
        if action["state"] is not ActionState.OPEN:
            raise NotAllowed(f"this action item is {action['state'].value} already")
        return action

    def _action_open(self, _: str, checked: dict[str, Any]) -> None:
        self._open_action(checked["item_id"])

    complete_action = changes(COMPLETE_ACTION_ITEM, _action_open)
    drop_action = changes(DROP_ACTION_ITEM, _action_open)

    def carry_over(self, *, actor: str, to: Retro, command_id: str = "", **values: Any) -> None:
        """End the item here and continue it in the later retro ``to`` (save both together),
        due when it was, or on a new ``due`` that is not in the past: a carried item is never
        moved quietly, nor overdue the moment it is carried because of the move."""
        checked = CARRY_OVER.check(values)
        due = checked.pop("due")
        if checked["to_retro_id"] != to.id:
            raise InvalidValue(
                "to_retro_id", f"the retro given ({to.id}) is not {checked['to_retro_id']}"
            )
        action = self._open_action(checked["item_id"])
        if to.id == self.id:
            raise InvalidValue(
                "to_retro_id", "carry an action item over into a later retro, not this one"
            )
        if to.held_on < self.held_on:
            raise InvalidValue(
                "to_retro_id", "that retro was held before this one: carry items forward"
            )
        if due is not None and due < now().date():
            raise InvalidValue(
                "due",
                f"{due} is in the past: give today or a later day, or leave it out to keep "
                f"the item's due date ({action['due']})",
            )
        self.trigger_event(
            self.ActionItemCarriedOver, actor=actor, command_id=command_id, **checked
        )
        to.add_action(
            actor=actor,
            item_id=checked["item_id"],
            carried_from=self.id,
            text=action["text"],
            owner=action["owner"],
            due=action["due"] if due is None else due,
        )


#: Fields of an event that hold one person's own answer (and what can be worked back to it):
#: kept in the ledger, shown by no read, history, view, export or webhook (docs/security.md).
PRIVATE_FIELDS: dict[type[Any], frozenset[str]] = {
    Retro.PulseScored: frozenset({"score", "mean"}),
}

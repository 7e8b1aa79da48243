"""Decisions: the question, the options and criteria, the call, and its review.

Invariants:
- a decision has at least one option; option keys are unique; criteria weights are > 0;
- it is decided once, for an option that is on the table, with a confidence (probability)
  0–1 and a review date on or after the day it was decided;
- a review comes after the decision, and rates outcome and process apart (1–5 each): a good
  decision can have a bad outcome;
- a decided decision is never edited: it is reversed, or superseded by another decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ledger.domain._base import (
    KoersAggregate,
    choice,
    decimal,
    one_person,
    people,
    percentage,
    probability,
    required_text,
    still_open,
    whole_in_range,
)
from ledger.errors import InvalidValue, NotAllowed

__all__ = [
    "Criterion",
    "Decision",
    "DecisionStatus",
    "Link",
    "LinkKind",
    "Option",
    "Reversibility",
    "Risk",
]


class Reversibility(Enum):
    TWO_WAY = "two_way"  # cheap to undo: decide fast
    ONE_WAY = "one_way"  # expensive or impossible to undo: decide with care


class DecisionStatus(Enum):
    OPEN = "open"
    DECIDED = "decided"
    REVIEWED = "reviewed"
    REVERSED = "reversed"
    SUPERSEDED = "superseded"


class LinkKind(Enum):
    OBJECTIVE = "objective"
    KEY_RESULT = "key_result"
    DELEGATION = "delegation"
    ACTION_ITEM = "action_item"


@dataclass(frozen=True)
class Option:
    key: str
    title: str
    description: str = ""


@dataclass(frozen=True)
class Criterion:
    name: str
    weight: Decimal


@dataclass(frozen=True)
class Risk:
    likelihood: int  # 1 (rare) – 5 (almost certain)
    impact: int  # 1 (minor) – 5 (severe)


@dataclass(frozen=True)
class Link:
    kind: LinkKind
    target_id: UUID
    item_id: UUID | None = None  # the action item within a retro


class Decision(KoersAggregate):
    """A question a team must answer, on the record from opening to review."""

    if TYPE_CHECKING:  # attributes, not dataclass fields
        team: str
        question: str
        context: str
        options: tuple[Option, ...]
        criteria: tuple[Criterion, ...]
        risk: Risk
        reversibility: Reversibility
        cost_to_reverse: str
        information_level: int
        decider: str
        consulted: tuple[str, ...]
        informed: tuple[str, ...]
        decide_by: date
        status: DecisionStatus
        chosen: str | None
        confidence: Decimal | None
        decided_on: date | None
        review_on: date | None
        links: list[Link]

    class Opened(KoersAggregate.Created):
        team: str
        question: str
        context: str
        options: tuple[Option, ...]
        criteria: tuple[Criterion, ...]
        risk: Risk
        reversibility: Reversibility
        cost_to_reverse: str
        information_level: int
        decider: str
        consulted: tuple[str, ...]
        informed: tuple[str, ...]
        decide_by: date

        def apply(self, d: Decision) -> None:
            for name in (
                "team",
                "question",
                "context",
                "options",
                "criteria",
                "risk",
                "reversibility",
                "cost_to_reverse",
                "information_level",
                "decider",
                "consulted",
                "informed",
                "decide_by",
            ):
                setattr(d, name, getattr(self, name))
            d.status, d.chosen, d.confidence = DecisionStatus.OPEN, None, None
            d.decided_on, d.review_on, d.links = None, None, []

    class OptionAdded(KoersAggregate.Event):
        option: Option

        def apply(self, d: Decision) -> None:
            d.options = (*d.options, self.option)

    class InformationUpdated(KoersAggregate.Event):
        information_level: int
        note: str

        def apply(self, d: Decision) -> None:
            d.information_level = self.information_level

    class Made(KoersAggregate.Event):
        chosen: str
        rationale: str
        expected_outcome: str
        confidence: Decimal
        review_on: date
        information_level: int

        def apply(self, d: Decision) -> None:
            d.status, d.chosen, d.confidence = DecisionStatus.DECIDED, self.chosen, self.confidence
            d.review_on, d.decided_on = self.review_on, self.timestamp.date()
            d.information_level = self.information_level

    class Reviewed(KoersAggregate.Event):
        outcome_quality: int
        process_quality: int
        as_expected: bool
        what_happened: str
        lessons: str

        def apply(self, d: Decision) -> None:
            d.status = DecisionStatus.REVIEWED

    class Reversed(KoersAggregate.Event):
        reason: str

        def apply(self, d: Decision) -> None:
            d.status = DecisionStatus.REVERSED

    class Superseded(KoersAggregate.Event):
        by_decision_id: UUID
        reason: str

        def apply(self, d: Decision) -> None:
            d.status = DecisionStatus.SUPERSEDED

    class Linked(KoersAggregate.Event):
        link: Link

        def apply(self, d: Decision) -> None:
            d.links.append(self.link)

    @classmethod
    def open(cls, *, id: UUID, actor: str, command_id: str = "", **f: Any) -> Decision:
        options = tuple(f["options"])
        if not options:
            raise InvalidValue("options", "a decision needs at least one option on the table")
        keys = [o.key for o in options]
        if len(set(keys)) != len(keys):
            raise InvalidValue("options", f"option keys must differ: {keys}")
        criteria = tuple(f.get("criteria", ()))
        for c in criteria:
            if decimal("criteria", c.weight) <= 0:
                raise InvalidValue("criteria", f"the weight of {c.name!r} must be above 0")
        risk: Risk = f["risk"]
        return cls._create(
            cls.Opened,
            id=id,
            actor=actor,
            command_id=command_id,
            team=required_text("team", f["team"], 80),
            question=required_text("question", f["question"], 500),
            context=f.get("context", "").strip(),
            options=options,
            criteria=criteria,
            risk=Risk(
                whole_in_range("likelihood", risk.likelihood, 1, 5),
                whole_in_range("impact", risk.impact, 1, 5),
            ),
            reversibility=choice("reversibility", Reversibility, f["reversibility"]),
            cost_to_reverse=f.get("cost_to_reverse", "").strip(),
            information_level=percentage("information", f["information_level"]),
            decider=one_person("decider", f["decider"]),
            consulted=people("consulted", f.get("consulted", ())),
            informed=people("informed", f.get("informed", ())),
            decide_by=f["decide_by"],
        )

    def _must_be(self, status: DecisionStatus, doing: str) -> None:
        if self.status is not status:
            raise NotAllowed(f"cannot {doing}: this decision is {self.status.value}")

    def add_option(self, *, actor: str, option: Option, command_id: str = "") -> None:
        self._must_be(DecisionStatus.OPEN, "add an option")
        if option.key in {o.key for o in self.options}:
            raise InvalidValue("option", f"there is already an option {option.key!r}")
        self.trigger_event(self.OptionAdded, actor=actor, command_id=command_id, option=option)

    def update_information(
        self, *, actor: str, information_level: int, note: str, command_id: str = ""
    ) -> None:
        self._must_be(DecisionStatus.OPEN, "update the information level")
        self.trigger_event(
            self.InformationUpdated,
            actor=actor,
            command_id=command_id,
            information_level=percentage("information", information_level),
            note=note.strip(),
        )

    def decide(
        self,
        *,
        actor: str,
        chosen: str,
        rationale: str,
        expected_outcome: str,
        confidence: Decimal | str,
        review_on: date,
        command_id: str = "",
    ) -> None:
        if self.status is not DecisionStatus.OPEN:
            raise NotAllowed(
                f"this decision is {self.status.value} already; a decision is not edited: "
                f"reverse it or supersede it with a new one"
            )
        if chosen not in {o.key for o in self.options}:
            on_table = ", ".join(o.key for o in self.options)
            raise InvalidValue("option", f"{chosen!r} was not on the table (options: {on_table})")
        from ledger.domain._clock import now

        if review_on < now().date():
            raise InvalidValue("review_on", f"{review_on} is before the decision: pick a later day")
        self.trigger_event(
            self.Made,
            actor=actor,
            command_id=command_id,
            chosen=chosen,
            rationale=required_text("rationale", rationale),
            expected_outcome=required_text("expected_outcome", expected_outcome),
            confidence=probability("confidence", confidence),
            review_on=review_on,
            information_level=self.information_level,
        )

    def review(
        self,
        *,
        actor: str,
        outcome_quality: int,
        process_quality: int,
        as_expected: bool,
        what_happened: str,
        lessons: str,
        command_id: str = "",
    ) -> None:
        if self.status is DecisionStatus.OPEN:
            raise NotAllowed("this decision is not decided yet: a review comes after the decision")
        self._must_be(DecisionStatus.DECIDED, "review it")
        self.trigger_event(
            self.Reviewed,
            actor=actor,
            command_id=command_id,
            outcome_quality=whole_in_range("outcome", outcome_quality, 1, 5),
            process_quality=whole_in_range("process", process_quality, 1, 5),
            as_expected=bool(as_expected),
            what_happened=required_text("what_happened", what_happened),
            lessons=lessons.strip(),
        )

    def reverse(self, *, actor: str, reason: str, command_id: str = "") -> None:
        still_open(
            self.status in (DecisionStatus.DECIDED, DecisionStatus.REVIEWED),
            f"cannot reverse: this decision is {self.status.value}",
        )
        self.trigger_event(
            self.Reversed,
            actor=actor,
            command_id=command_id,
            reason=required_text("reason", reason),
        )

    def supersede(
        self, *, actor: str, by_decision_id: UUID, reason: str, command_id: str = ""
    ) -> None:
        still_open(
            self.status not in (DecisionStatus.REVERSED, DecisionStatus.SUPERSEDED),
            f"cannot supersede: this decision is {self.status.value}",
        )
        if by_decision_id == self.id:
            raise InvalidValue("by", "a decision cannot supersede itself")
        self.trigger_event(
            self.Superseded,
            actor=actor,
            command_id=command_id,
            by_decision_id=by_decision_id,
            reason=required_text("reason", reason),
        )

    def link(self, *, actor: str, link: Link, command_id: str = "") -> None:
        if link in self.links:
            raise InvalidValue("link", "this decision is linked to that already")
        self.trigger_event(self.Linked, actor=actor, command_id=command_id, link=link)

"""Decisions: the question, the options and criteria, the call, and its review.

Invariants:
- a decision has at least one option; option keys are unique; criteria weights are > 0;
- it is decided once, for an option that is on the table, with a confidence (probability)
  0–1 and a review date on or after the day it was decided;
- a review comes after the decision, and rates outcome and process apart (1–5 each): a good
  decision can have a bad outcome;
- a decided decision is never edited: it is reversed, or superseded by another decision;
- while an approver is named, it is decided only after that approver approved it; scores
  and positions follow the rules of :mod:`ledger.domain.matrix`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from ledger.domain._base import Given, KoersAggregate, changes, still_open, unchanged
from ledger.domain._clock import now
from ledger.domain._commands import Command
from ledger.domain._fields import (
    REASON,
    Boolean,
    Choice,
    Day,
    Fraction,
    Handle,
    Handles,
    Number,
    Record,
    Records,
    Ref,
    Text,
    Whole,
)
from ledger.domain.access import DECIDER, LEAD, MEMBER
from ledger.domain.matrix import (
    APPROVE,
    APPROVER_FIELD,
    MATRIX_COMMANDS,
    NAME_ROLES,
    RECOMMENDER_FIELD,
    SCORE,
    TAKE_POSITION,
    Position,
    Scores,
    weigh,
)
from ledger.errors import InvalidValue, NotAllowed

__all__ = [
    "DECISION_COMMANDS",
    "IN_A_RETRO",
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
    RETRO_ITEM = "retro_item"
    DECISION = "decision"


#: Links to a part of a retro: the target is the retro, ``item_id`` the item in it.
IN_A_RETRO = frozenset({LinkKind.ACTION_ITEM, LinkKind.RETRO_ITEM})


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
    item_id: UUID | None = None  # the action item or retro item within a retro


# -- the commands ---------------------------------------------------------------------------------

OPTION = Record(
    name="option",
    help="An option on the table: a short key, a title and an optional description.",
    parts=(
        Text(name="key", help="Short key, e.g. `a`.", most=40, line=True, example="a"),
        Text(name="title", help="What the option is.", most=200, line=True, example="Yes"),
        Text(name="description", help="More about it.", most=2000, default=""),
    ),
    build=Option,
    example={"key": "c", "title": "Only new services"},
)
CRITERION = Record(
    name="criterion",
    help="A criterion and its relative weight (above 0).",
    parts=(
        Text(name="name", help="What matters.", most=80, line=True, example="speed"),
        Number(name="weight", help="Relative weight, above 0.", above=Decimal(0), example="3"),
    ),
    build=Criterion,
)
RISK = Record(
    name="risk",
    help="The risk: likelihood and impact, 1–5 each (default 3 and 3).",
    parts=(
        Whole(
            name="likelihood",
            help="Risk likelihood: 1 (rare) – 5 (almost certain).",
            low=1,
            high=5,
            default=3,
        ),
        Whole(name="impact", help="Risk impact: 1 (minor) – 5 (severe).", low=1, high=5, default=3),
    ),
    build=Risk,
    default=Risk(3, 3),
)
_INFORMATION = Whole(
    name="information_level",
    option="information",
    help="How much of the information you want you have, 0–100 %.",
    low=0,
    high=100,
    example=60,
)

OPEN_DECISION = Command(
    "decision.open",
    "Open a decision: put the question and the options on the table.",
    (
        Text(name="team", help="The team deciding.", most=80, line=True, example="platform"),
        Text(
            name="question",
            help="The question to answer.",
            most=500,
            line=True,
            example="Move to a monorepo?",
        ),
        Text(name="context", help="Background.", default="", example="Builds take 40 minutes"),
        Records(
            name="options",
            option="option",
            help="The options on the table (at least one).",
            item=OPTION,
            least=1,
            most=20,
            example=[{"key": "a", "title": "Yes"}, {"key": "b", "title": "No"}],
        ),
        Records(
            name="criteria",
            option="criterion",
            help="The criteria, each with a weight.",
            item=CRITERION,
            most=20,
            default=(),
            example=[{"name": "speed", "weight": "3"}],
        ),
        RISK,
        Choice(
            name="reversibility",
            option="door",
            of=Reversibility,
            help="two_way (cheap to undo: decide fast) or one_way (hard to undo: with care).",
            example="one_way",
        ),
        Text(
            name="cost_to_reverse",
            help="What undoing it would cost.",
            most=2000,
            default="",
            example="A quarter of migration work",
        ),
        _INFORMATION,
        Handle(name="decider", help="The one person who decides.", example="ann"),
        Handles(name="consulted", help="Someone consulted (repeat).", default=(), example=["bram"]),
        Handles(name="informed", help="Someone informed (repeat).", default=(), example=["chen"]),
        RECOMMENDER_FIELD,
        APPROVER_FIELD,
        Day(name="decide_by", help="Decide by this date.", example="2026-12-15"),
    ),
    creates=True,
    example="--team platform --question 'Move to a monorepo?' --option a='Yes' --option b='No' "
    "--criterion speed=3 --criterion risk=1 --door one_way --information 60 --decider ann "
    "--decide-by 2026-12-15",
    event="Opened",
    may=(LEAD,),
)
ADD_OPTION = Command(
    "decision.add_option",
    "Put another option on the table (before deciding).",
    (OPTION,),
    route="options",
    runs="add_option",
    example="<id> --option c='Only new services'",
    event="OptionAdded",
    may=(MEMBER, DECIDER),
)
UPDATE_INFORMATION = Command(
    "decision.inform",
    "Record that you know more (or less) than before deciding.",
    (
        _INFORMATION,
        Text(name="note", help="What you learned.", most=2000, default="", example="A spike"),
    ),
    route="information",
    runs="update_information",
    method="update_information",
    example="<id> --information 80 --note 'The spike showed builds 3x faster'",
    event="InformationUpdated",
    may=(MEMBER, DECIDER),
)
DECIDE = Command(
    "decision.decide",
    "Make the decision: the chosen option, why, what you expect, and when to review.",
    (
        Text(
            name="chosen",
            option="option",
            help="The chosen option's key.",
            most=40,
            line=True,
            example="a",
        ),
        Text(name="rationale", help="Why this option.", example="Fastest path"),
        Text(
            name="expected_outcome",
            option="expected",
            help="The outcome you expect.",
            example="Weekly releases by February",
        ),
        Fraction(
            name="confidence",
            help="Probability 0–1 that it turns out as expected.",
            example="0.7",
        ),
        Day(name="review_on", help="When to review it (not before today).", example="2027-03-01"),
    ),
    runs="decide",
    example="<id> --option a --rationale 'Fastest path' --expected 'Weekly releases by February' "
    "--confidence 0.7 --review-on 2027-03-01",
    event="Made",
    may=(DECIDER,),
)
REVIEW_DECISION = Command(
    "decision.review",
    "Review a decided decision: rate the outcome and the process apart.",
    (
        Whole(
            name="outcome_quality",
            option="outcome",
            help="Outcome quality 1–5.",
            low=1,
            high=5,
            example=4,
        ),
        Whole(
            name="process_quality",
            option="process",
            help="Process quality 1–5 (rated apart from the outcome).",
            low=1,
            high=5,
            example=3,
        ),
        Boolean(name="as_expected", help="Did it turn out as expected?", example=True),
        Text(name="what_happened", help="What happened.", example="Weekly releases since May"),
        Text(name="lessons", help="Lessons.", default="", example="Ask security earlier"),
    ),
    example="<id> --outcome 4 --process 3 --as-expected "
    "--what-happened 'Weekly releases since February' --lessons 'Ask security earlier'",
    event="Reviewed",
    may=(DECIDER, LEAD),
)
REVERSE_DECISION = Command(
    "decision.reverse",
    "Reverse a decision (it stays in the history).",
    (REASON,),
    example="<id> --reason 'The vendor doubled its price'",
    event="Reversed",
    may=(DECIDER, LEAD),
)
SUPERSEDE_DECISION = Command(
    "decision.supersede",
    "Mark a decision superseded by a later one.",
    (
        Ref(
            name="by_decision_id",
            option="by",
            kind="decision",
            help="The decision that replaces it.",
        ),
        REASON,
    ),
    example="<id> --by <id> --reason 'We buy instead'",
    event="Superseded",
    may=(DECIDER, LEAD),
)
LINK_DECISION = Command(
    "decision.link",
    "Link a decision to an objective, key result, delegation, retro item, retro action item "
    "or another decision (what it links to led to it: koers lineage walks the links).",
    (
        Choice(
            name="kind", option="to", of=LinkKind, help="What it links to.", example="objective"
        ),
        Ref(
            name="target_id",
            option="target",
            kind="link_target",
            help="The target's id (for a retro item or an action item: the retro's id).",
        ),
        Ref(
            name="item_id",
            option="item",
            kind="action_item",
            default=None,
            help="The item's id (retro items and action items only).",
        ),
    ),
    route="links",
    example="<id> --to objective --target <id>",
    event="Linked",
    may=(MEMBER, DECIDER),
)

DECISION_COMMANDS = (
    OPEN_DECISION,
    ADD_OPTION,
    UPDATE_INFORMATION,
    DECIDE,
    REVIEW_DECISION,
    REVERSE_DECISION,
    SUPERSEDE_DECISION,
    LINK_DECISION,
    *MATRIX_COMMANDS,
)


class _DecisionGiven(Given):
    """What a decision starts with: its Opened event's fields, its first attributes."""

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
    recommender: str | None
    approver: str | None
    decide_by: date


class Decision(_DecisionGiven, KoersAggregate):
    """A question a team must answer, on the record from opening to review."""

    if TYPE_CHECKING:  # attributes, not dataclass fields
        status: DecisionStatus
        chosen: str | None
        confidence: Decimal | None
        decided_on: date | None
        review_on: date | None
        links: list[Link]
        scores: Scores
        positions: dict[str, dict[str, Any]]
        approved_by: str | None

    class Opened(_DecisionGiven, KoersAggregate.Created):
        """v3: ``recommender`` and ``approver`` (none before)."""

        class_version: ClassVar[int] = 3

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["recommender"] = state["approver"] = None

        def apply(self, d: Decision) -> None:
            self.adopt(d)
            d.status, d.chosen, d.confidence = DecisionStatus.OPEN, None, None
            d.decided_on, d.review_on, d.links = None, None, []
            d.scores, d.positions, d.approved_by = {}, {}, None

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
        """A link. v3: a link may go to a retro item or a decision (new ``kind`` values)."""

        class_version = 3

        link: Link

        upcast_v2_v3 = staticmethod(unchanged)

        def apply(self, d: Decision) -> None:
            d.links.append(self.link)

    class Scored(KoersAggregate.Event):
        class_version: ClassVar[int] = 1  # new with the matrix: no older shape

        option: str
        criterion: str
        score: int
        note: str

        def apply(self, d: Decision) -> None:
            by_option = d.scores.setdefault(self.actor, {}).setdefault(self.option, {})
            by_option[self.criterion] = {"score": self.score, "note": self.note}

    class PositionTaken(KoersAggregate.Event):
        class_version: ClassVar[int] = 1  # new with the matrix: no older shape

        position: Position
        note: str

        def apply(self, d: Decision) -> None:
            d.positions[self.actor] = {"position": self.position, "note": self.note}

    class RolesNamed(KoersAggregate.Event):
        """The recommender and approver from now on (each as it was, where not named)."""

        class_version: ClassVar[int] = 1  # new with the matrix: no older shape

        recommender: str | None
        approver: str | None

        def apply(self, d: Decision) -> None:
            if self.approver != d.approver:
                d.approved_by = None  # a new approver is asked afresh
            d.recommender, d.approver = self.recommender, self.approver

    class Approved(KoersAggregate.Event):
        class_version: ClassVar[int] = 1  # new with the matrix: no older shape

        note: str

        def apply(self, d: Decision) -> None:
            d.approved_by = self.actor

    @classmethod
    def open(cls, *, id: UUID, actor: str, command_id: str = "", **values: Any) -> Decision:
        checked = OPEN_DECISION.check(values)
        keys = [o.key for o in checked["options"]]
        if len(set(keys)) != len(keys):
            raise InvalidValue("options", f"option keys must differ: {keys}")
        return cls._create(cls.Opened, id=id, actor=actor, command_id=command_id, **checked)

    def _on_the_table(self, field: str, key: str) -> None:
        """Refuse an option key that is not one of the decision's options (naming ``field``)."""
        if key not in {o.key for o in self.options}:
            on_table = ", ".join(o.key for o in self.options)
            raise InvalidValue(field, f"{key!r} was not on the table (options: {on_table})")

    def _must_be(self, status: DecisionStatus, doing: str) -> None:
        if self.status is not status:
            raise NotAllowed(f"cannot {doing}: this decision is {self.status.value}")

    def add_option(self, *, actor: str, command_id: str = "", **values: Any) -> None:
        checked = ADD_OPTION.check(values)
        self._must_be(DecisionStatus.OPEN, "add an option")
        if checked["option"].key in {o.key for o in self.options}:
            raise InvalidValue("option", f"there is already an option {checked['option'].key!r}")
        self.trigger_event(self.OptionAdded, actor=actor, command_id=command_id, **checked)

    update_information = changes(
        UPDATE_INFORMATION,
        lambda d, *_: d._must_be(DecisionStatus.OPEN, "update the information level"),
    )

    def decide(self, *, actor: str, command_id: str = "", **values: Any) -> None:
        checked = DECIDE.check(values)
        if self.status is not DecisionStatus.OPEN:
            raise NotAllowed(
                f"this decision is {self.status.value} already; a decision is not edited: "
                f"reverse it or supersede it with a new one"
            )
        self._on_the_table("chosen", checked["chosen"])
        if checked["review_on"] < now().date():
            raise InvalidValue(
                "review_on", f"{checked['review_on']} is before the decision: pick a later day"
            )
        if self.approver is not None and self.approved_by != self.approver:
            raise NotAllowed(
                f"{self.approver} is this decision's approver and has not approved it yet: "
                "it is decided once they approve it (decision approve)"
            )
        self.trigger_event(
            self.Made,
            actor=actor,
            command_id=command_id,
            information_level=self.information_level,
            **checked,
        )

    def _reviewable(self, *_: Any) -> None:
        if self.status is DecisionStatus.OPEN:
            raise NotAllowed("this decision is not decided yet: a review comes after the decision")
        self._must_be(DecisionStatus.DECIDED, "review it")

    def _reversible(self, *_: Any) -> None:
        still_open(
            self.status in (DecisionStatus.DECIDED, DecisionStatus.REVIEWED),
            f"cannot reverse: this decision is {self.status.value}",
        )

    review = changes(REVIEW_DECISION, _reviewable)
    reverse = changes(REVERSE_DECISION, _reversible)

    def supersede(self, *, actor: str, command_id: str = "", **values: Any) -> None:
        checked = SUPERSEDE_DECISION.check(values)
        still_open(
            self.status not in (DecisionStatus.REVERSED, DecisionStatus.SUPERSEDED),
            f"cannot supersede: this decision is {self.status.value}",
        )
        if checked["by_decision_id"] == self.id:
            raise InvalidValue("by_decision_id", "a decision cannot supersede itself")
        self.trigger_event(self.Superseded, actor=actor, command_id=command_id, **checked)

    def link(self, *, actor: str, command_id: str = "", **values: Any) -> None:
        """Link to a thing (the application proves it exists); an action item names its item."""
        link = Link(**LINK_DECISION.check(values))
        if link.kind in IN_A_RETRO and link.item_id is None:
            what = link.kind.value.replace("_", " ")
            raise InvalidValue("item_id", f"a link to a {what} names the item (--item)")
        if link.kind not in IN_A_RETRO and link.item_id is not None:
            raise InvalidValue(
                "item_id", "only a link to a retro item or an action item names an item"
            )
        if link.kind is LinkKind.DECISION and link.target_id == self.id:
            raise InvalidValue("target_id", "a decision cannot be linked to itself")
        if link in self.links:
            raise InvalidValue("target_id", "this decision is linked to that already")
        self.trigger_event(self.Linked, actor=actor, command_id=command_id, link=link)

    # -- the matrix (ledger.domain.matrix) ------------------------------------------------

    def score(self, *, actor: str, command_id: str = "", **values: Any) -> None:
        """Score an option on the table against one of the criteria, while it is open."""
        checked = SCORE.check(values)
        self._must_be(DecisionStatus.OPEN, "score it (scores are the input to the call)")
        scorers = {self.decider, *self.consulted, self.recommender, self.approver} - {None}
        if actor not in scorers:
            raise NotAllowed(
                f"{actor} is not among those who score this decision: its decider, consulted, "
                f"recommender and approver ({', '.join(sorted(str(p) for p in scorers))})"
            )
        self._on_the_table("option", checked["option"])
        names = [c.name for c in self.criteria]
        if checked["criterion"] not in names:
            raise InvalidValue(
                "criterion",
                f"{checked['criterion']!r} is not a criterion of this decision "
                f"(criteria: {', '.join(names)})"
                if names
                else "this decision has no criteria to score against",
            )
        self.trigger_event(self.Scored, actor=actor, command_id=command_id, **checked)

    def matrix(self) -> dict[str, Any]:
        """The weighted totals per option and per person, the highest-scored options and
        whether the chosen one is among them (:func:`ledger.domain.matrix.weigh`)."""
        weights = {c.name: c.weight for c in self.criteria}
        return weigh(self.scores, [o.key for o in self.options], weights, self.chosen)

    def _positionable(self, actor: str, *_: Any) -> None:
        if actor not in self.consulted:
            raise NotAllowed(
                f"{actor} was not consulted on this decision: only those consulted "
                f"record a position ({', '.join(self.consulted) or 'nobody'})"
            )
        still_open(
            self.status not in (DecisionStatus.REVERSED, DecisionStatus.SUPERSEDED),
            f"cannot take a position: this decision is {self.status.value}",
        )

    take_position = changes(TAKE_POSITION, _positionable)

    def name_roles(self, *, actor: str, command_id: str = "", **values: Any) -> None:
        """Name a recommender and/or an approver (a role not given stays as it is)."""
        checked = NAME_ROLES.check(values)
        if checked["recommender"] is None and checked["approver"] is None:
            raise InvalidValue("approver", "name a recommender, an approver or both")
        self._must_be(DecisionStatus.OPEN, "name its roles")
        named = {k: checked[k] or getattr(self, k) for k in ("recommender", "approver")}
        if named == {"recommender": self.recommender, "approver": self.approver}:
            raise InvalidValue("approver", "these are its roles already")
        self.trigger_event(self.RolesNamed, actor=actor, command_id=command_id, **named)

    def _approvable(self, actor: str, *_: Any) -> None:
        if self.approver is None:
            raise NotAllowed(
                "this decision has no approver to approve it: name one first "
                "(decision roles, with an approver)"
            )
        if actor != self.approver:
            raise NotAllowed(f"only {self.approver}, the approver, may approve this decision")
        self._must_be(DecisionStatus.OPEN, "approve it")
        if self.approved_by is not None and self.approved_by == self.approver:
            raise NotAllowed(f"{self.approved_by} approved this decision already")

    approve = changes(APPROVE, _approvable)

"""Goals: objectives, their key results with check-ins, and a team's KPIs.

Invariants:
- a key result has exactly one owner, a metric kind, a start and a target; retargeting keeps
  the original target (``original_target``) and needs a reason;
- a check-in describes a moment that is not in the future (``as_of``, bi-temporal with the
  recorded ``timestamp``); confidence is 0–10; a dropped or closed key result takes no check-in;
- a check-in is never edited: a correction is a new event naming the check-in it corrects;
- an objective's score and a key result's closing score are 0.0–1.0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from ledger.domain._base import (
    Given,
    KoersAggregate,
    changes,
    cited_nothing,
    creates,
    still_open,
    without_credential,
)
from ledger.domain._commands import Command
from ledger.domain._fields import (
    AS_OF,
    CADENCE,
    CITES,
    CONFIDENCE,
    LEARNINGS,
    MEASURED,
    NOTE,
    NOW,
    OWNER,
    REASON,
    SCORE,
    SOLE_OWNER,
    TEAM,
    Choice,
    Moment,
    Number,
    Quarter,
    Ref,
    Text,
    Texts,
)
from ledger.domain.access import ITS_OWNER, LEAD, MEMBER
from ledger.errors import InvalidValue

__all__ = [
    "GOAL_COMMANDS",
    "Direction",
    "KeyResult",
    "Kpi",
    "KpiKind",
    "MetricKind",
    "Objective",
    "Status",
]


class MetricKind(Enum):
    INCREASE = "increase"
    DECREASE = "decrease"
    KEEP_ABOVE = "keep_above"
    KEEP_BELOW = "keep_below"
    MILESTONE = "milestone"


class Status(Enum):
    OPEN = "open"
    DROPPED = "dropped"
    CLOSED = "closed"


class Direction(Enum):
    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"


class KpiKind(Enum):
    LEADING = "leading"
    LAGGING = "lagging"


# -- the commands ---------------------------------------------------------------------------------

_TITLE = Text(
    name="title", help="What you want to achieve.", most=200, line=True, example="Ship weekly"
)
_UNIT = Text(name="unit", help="The unit, e.g. %, days, EUR.", most=40, default="", example="days")

SET_OBJECTIVE = Command(
    "objective.set",
    "Set an objective for a team and quarter: what, why, and one owner.",
    (
        TEAM,
        _TITLE,
        Text(name="why", help="Why it matters.", example="Customers wait too long"),
        Quarter(name="period", help="The quarter, e.g. 2026-Q4.", example="2026-Q4"),
        OWNER,
        Ref(
            name="parent_id",
            option="parent",
            kind="objective",
            default=None,
            help="The objective it aligns to.",
        ),
    ),
    creates=True,
    example="--team platform --period 2026-Q4 --title 'Ship weekly' "
    "--why 'Customers wait too long' --owner ann",
    event="Set",
    may=(LEAD,),
)
REALIGN_OBJECTIVE = Command(
    "objective.realign",
    "Align an objective to another parent objective, or to none.",
    (
        Ref(
            name="parent_id",
            option="parent",
            kind="objective",
            default=None,
            help="The new parent objective (none: no parent).",
        ),
        REASON,
    ),
    example="<id> --parent <id> --reason 'It serves the company objective now'",
    event="Realigned",
    may=(LEAD,),
)
SCORE_OBJECTIVE = Command(
    "objective.score",
    "Score an objective at the end of its period (0.0–1.0) with the learnings.",
    (SCORE, LEARNINGS),
    example="<id> --score 0.7 --learnings 'Flaky tests cost us a month'",
    event="Scored",
    method="score_it",
    may=(LEAD, ITS_OWNER),
)
_WEIGHT = Number(
    name="weight",
    help="How much it counts in the roll-up above it, relative to its siblings (default 1).",
    above=Decimal(0),
    high=Decimal(100),
    example="2",
)
WEIGH_OBJECTIVE = Command(
    "objective.weigh",
    "Set how much an objective counts in its parent's roll-up (every child starts at 1).",
    (_WEIGHT, REASON),
    example="<id> --weight 2 --reason 'Reliability matters twice as much this quarter'",
    event="Weighed",
    may=(LEAD,),
)
DROP_OBJECTIVE = Command(
    "objective.drop",
    "Drop an objective (it stays in the history).",
    (REASON,),
    example="<id> --reason 'Merged into onboarding'",
    event="Dropped",
    may=(LEAD,),
)
ADD_KEY_RESULT = Command(
    "key_result.add",
    "Add a measurable key result to an open objective.",
    (
        Ref(
            name="objective_id",
            option="objective",
            kind="objective",
            help="The objective it measures.",
        ),
        Text(
            name="title",
            help="What is measured.",
            most=200,
            line=True,
            example="Lead time to production",
        ),
        Choice(name="metric", of=MetricKind, help="How progress is measured.", example="decrease"),
        Number(name="start", help="The value at the start.", example="10"),
        Number(name="target", help="The value to reach.", example="2"),
        _UNIT,
        SOLE_OWNER,
        CADENCE,
    ),
    creates=True,
    example="--objective <id> --title 'Lead time' --metric decrease --start 10 --target 2 "
    "--unit days --owner bram",
    event="Added",
    may=(LEAD,),
)
CHECK_IN = Command(
    "key_result.check_in",
    "Record a check-in: value, confidence 0–10, note and blockers, as of a moment.",
    (
        MEASURED,
        CONFIDENCE,
        AS_OF,
        NOTE,
        Texts(
            name="blockers",
            option="blocker",
            help="A blocker (repeat for more).",
            default=(),
            example=["waiting on security review"],
        ),
    ),
    route="check-ins",
    runs="check_in",
    example="<id> --value 7 --confidence 6 --note 'CI is faster' --blocker 'waiting on legal'",
    event="CheckedIn",
    part="check_in_id",
    may=(ITS_OWNER, MEMBER),
)
CORRECT_CHECK_IN = Command(
    "key_result.correct",
    "Correct a check-in: a new event; the original stays in the history.",
    (
        Ref(
            name="check_in_id",
            option="check-in",
            kind="check_in",
            help="The check-in's id (koers kr show).",
        ),
        Number(name="value", help="The corrected value.", example="6"),
        CONFIDENCE,
        REASON,
    ),
    route="check-ins/{check_in_id}/corrections",
    runs="correct_check_in",
    example="<id> --check-in <id> --value 6 --confidence 5 "
    "--reason 'A rollback was counted as a deploy'",
    event="CheckInCorrected",
    method="correct_check_in",
    may=(ITS_OWNER, MEMBER),
)
RETARGET = Command(
    "key_result.retarget",
    "Change a key result's target, with a reason (the original target is kept).",
    (
        Number(name="target", help="The new target.", example="3"),
        Text(
            name="reason",
            help="Why the target changes: a retarget needs a reason.",
            example="2 days is out of reach",
        ),
        CITES,
    ),
    runs="retarget",
    example="<id> --target 3 --reason '2 days is out of reach'",
    event="Retargeted",
    may=(LEAD,),
)
DROP_KEY_RESULT = Command(
    "key_result.drop",
    "Drop a key result (it takes no more check-ins).",
    (REASON,),
    example="<id> --reason 'SSO moved to Q1'",
    event="Dropped",
    may=(LEAD,),
)
WEIGH_KEY_RESULT = Command(
    "key_result.weigh",
    "Set how much a key result counts in its objective's roll-up (every one starts at 1).",
    (_WEIGHT, REASON),
    example="<id> --weight 3 --reason 'Lead time is what customers feel'",
    event="Weighed",
    may=(LEAD,),
)
CLOSE_KEY_RESULT = Command(
    "key_result.close",
    "Close a key result at the end of the period with a score 0.0–1.0.",
    (SCORE, Text(name="learnings", help="What you learned.", default="", example="Caching helped")),
    example="<id> --score 0.6 --learnings 'Caching helped most'",
    event="Closed",
    may=(LEAD, ITS_OWNER),
)
DEFINE_KPI = Command(
    "kpi.define",
    "Define one of a team's KPIs.",
    (
        TEAM,
        Text(
            name="name",
            help="What is measured.",
            most=120,
            line=True,
            example="Deployment frequency",
        ),
        OWNER,
        Number(name="target", help="The target value.", example="5"),
        Choice(
            name="direction", of=Direction, help="Which way is better.", example="higher_is_better"
        ),
        Choice(
            name="kind",
            of=KpiKind,
            help="Leading (predicts) or lagging (confirms).",
            example="leading",
        ),
        _UNIT,
        Text(
            name="next_step",
            help="The next step to move it.",
            most=2000,
            default="",
            example="Automate the release notes",
        ),
    ),
    creates=True,
    example="--team platform --name 'Lead time for changes' --target 24 --unit hours "
    "--direction lower_is_better --kind leading --owner ann",
    event="Defined",
    may=(LEAD,),
)
MEASURE_KPI = Command(
    "kpi.measure",
    "Record a KPI measurement.",
    (
        replace(MEASURED, example="30"),
        Moment(
            name="as_of", help="When it was true (default: now).", default=NOW, example="2026-11-02"
        ),
        NOTE,
    ),
    route="measurements",
    example="<id> --value 30 --as-of 2026-11-02 --note 'Release freeze week'",
    event="Measured",
    may=(ITS_OWNER, MEMBER),
)
KPI_NEXT_STEP = Command(
    "kpi.next_step",
    "Set a KPI's next step.",
    (
        Text(
            name="next_step",
            option="step",
            help="The next step.",
            most=2000,
            example="Split the monolith build",
        ),
    ),
    runs="set_kpi_next_step",
    example="<id> --step 'Split the monolith build'",
    event="NextStepSet",
    method="set_next_step",
    may=(ITS_OWNER, LEAD),
)
RETIRE_KPI = Command(
    "kpi.retire",
    "Retire a KPI.",
    (REASON,),
    example="<id> --reason 'Replaced by deploy frequency'",
    event="Retired",
    may=(LEAD,),
)

GOAL_COMMANDS = (
    SET_OBJECTIVE,
    REALIGN_OBJECTIVE,
    SCORE_OBJECTIVE,
    WEIGH_OBJECTIVE,
    DROP_OBJECTIVE,
    ADD_KEY_RESULT,
    CHECK_IN,
    CORRECT_CHECK_IN,
    RETARGET,
    DROP_KEY_RESULT,
    WEIGH_KEY_RESULT,
    CLOSE_KEY_RESULT,
    DEFINE_KPI,
    MEASURE_KPI,
    KPI_NEXT_STEP,
    RETIRE_KPI,
)


class _Weighed(KoersAggregate.Event):
    """An objective's or key result's weight in the roll-up above it (docs/metrics.md §1);
    each aggregate has its own event type of this shape."""

    class_version: ClassVar[int] = 1  # new with roll-up weights: no older shape

    weight: Decimal
    reason: str

    def apply(self, thing: Any) -> None:
        thing.weight = self.weight


def _not_dropped(what: str) -> Callable[..., None]:
    """A weight only for what still counts: a dropped one is in no roll-up."""

    def guard(thing: Any, *_: Any) -> None:
        still_open(
            thing.status is not Status.DROPPED, f"this {what} is dropped: it counts in no roll-up"
        )

    return guard


class _ObjectiveGiven(Given):
    """What an objective starts with: its Set event's fields, its first attributes."""

    team: str
    title: str
    why: str
    period: str
    owner: str
    parent_id: UUID | None


class Objective(_ObjectiveGiven, KoersAggregate):
    """What a team wants to achieve in a quarter, and why."""

    if TYPE_CHECKING:  # attributes, not dataclass fields (the events carry the data)
        status: Status
        score: Decimal | None
        learnings: str

    weight = Decimal(1)  # in its parent's roll-up, until Weighed

    class Set(_ObjectiveGiven, KoersAggregate.Created):
        def apply(self, obj: Objective) -> None:
            self.adopt(obj)
            obj.status, obj.score, obj.learnings = Status.OPEN, None, ""

    class Realigned(KoersAggregate.Event):
        parent_id: UUID | None
        reason: str

        def apply(self, obj: Objective) -> None:
            obj.parent_id = self.parent_id

    class Scored(KoersAggregate.Event):
        score: Decimal
        learnings: str

        def apply(self, obj: Objective) -> None:
            obj.status, obj.score, obj.learnings = Status.CLOSED, self.score, self.learnings

    class Dropped(KoersAggregate.Event):
        reason: str

        def apply(self, obj: Objective) -> None:
            obj.status = Status.DROPPED

    class Weighed(_Weighed):
        """Its weight in its parent's roll-up (docs/metrics.md §1)."""

    set = creates(SET_OBJECTIVE)

    def realign(self, *, actor: str, command_id: str = "", **values: Any) -> None:
        checked = REALIGN_OBJECTIVE.check(values)
        still_open(self.status is Status.OPEN, "this objective is no longer open")
        if checked["parent_id"] == self.id:
            raise InvalidValue("parent_id", "an objective cannot be aligned to itself")
        self.trigger_event(self.Realigned, actor=actor, command_id=command_id, **checked)

    def _not_closed(self, *_: Any) -> None:
        still_open(self.status is Status.OPEN, "this objective is already scored or dropped")

    score_it = changes(SCORE_OBJECTIVE, _not_closed)
    drop = changes(DROP_OBJECTIVE, _not_closed)
    weigh = changes(WEIGH_OBJECTIVE, _not_dropped("objective"))


class _KeyResultGiven(Given):
    """What a key result starts with: its Added event's fields, its first attributes."""

    objective_id: UUID
    title: str
    metric: MetricKind
    start: Decimal
    target: Decimal
    unit: str
    owner: str
    cadence_days: int


class KeyResult(_KeyResultGiven, KoersAggregate):
    """A measurable result of an objective, with one owner and weekly check-ins."""

    if TYPE_CHECKING:  # attributes, not dataclass fields (the events carry the data)
        original_target: Decimal
        status: Status
        check_ins: dict[UUID, dict[str, Any]]

    weight = Decimal(1)  # in its objective's roll-up, until Weighed (an older snapshot lacks it)

    class Added(_KeyResultGiven, KoersAggregate.Created):
        def apply(self, kr: KeyResult) -> None:
            self.adopt(kr)
            kr.original_target = self.target
            kr.status, kr.check_ins = Status.OPEN, {}

    class CheckedIn(KoersAggregate.Event):
        """A check-in. v2: ``blockers`` became a list (v1 held one text, see upcast);
        v3: ``credential`` (as every event's v2)."""

        class_version = 3

        check_in_id: UUID
        value: Decimal
        confidence: int
        note: str
        blockers: tuple[str, ...]
        as_of: datetime

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            text = state.get("blockers") or ""
            state["blockers"] = [line.strip() for line in text.splitlines() if line.strip()]

        upcast_v2_v3 = staticmethod(without_credential)

        def apply(self, kr: KeyResult) -> None:
            kr.check_ins[self.check_in_id] = {
                "value": self.value,
                "confidence": self.confidence,
                "as_of": self.as_of,
                "note": self.note,
                "blockers": self.blockers,
                "corrected": False,
            }

    class CheckInCorrected(KoersAggregate.Event):
        check_in_id: UUID
        value: Decimal
        confidence: int
        reason: str

        def apply(self, kr: KeyResult) -> None:
            entry = kr.check_ins[self.check_in_id]
            entry.update(value=self.value, confidence=self.confidence, corrected=True)

    class Retargeted(KoersAggregate.Event):
        """A new target. v3: ``cites`` (what led to it; none before)."""

        class_version = 3

        target: Decimal
        reason: str
        cites: UUID | None

        upcast_v2_v3 = staticmethod(cited_nothing)

        def apply(self, kr: KeyResult) -> None:
            kr.target = self.target

    class Dropped(KoersAggregate.Event):
        reason: str

        def apply(self, kr: KeyResult) -> None:
            kr.status = Status.DROPPED

    class Closed(KoersAggregate.Event):
        score: Decimal
        learnings: str

        def apply(self, kr: KeyResult) -> None:
            kr.status = Status.CLOSED

    class Weighed(_Weighed):
        """Its weight in its objective's roll-up (docs/metrics.md §1)."""

    @classmethod
    def add(cls, *, id: UUID, actor: str, command_id: str = "", **values: Any) -> KeyResult:
        checked = ADD_KEY_RESULT.check(values)
        _check_direction(checked["metric"], checked["start"], checked["target"])
        return cls._create(cls.Added, id=id, actor=actor, command_id=command_id, **checked)

    def _must_be_open(self) -> None:
        still_open(
            self.status is Status.OPEN,
            f"this key result is {self.status.value}: it takes no more check-ins or changes",
        )

    def check_in(
        self, *, actor: str, check_in_id: UUID, command_id: str = "", **values: Any
    ) -> None:
        checked = CHECK_IN.check(values)
        self._must_be_open()
        self.trigger_event(
            self.CheckedIn, actor=actor, command_id=command_id, check_in_id=check_in_id, **checked
        )

    def correct_check_in(self, *, actor: str, command_id: str = "", **values: Any) -> None:
        checked = CORRECT_CHECK_IN.check(values)
        if checked["check_in_id"] not in self.check_ins:
            raise InvalidValue(
                "check_in_id", f"this key result has no check-in {checked['check_in_id']}"
            )
        self.trigger_event(self.CheckInCorrected, actor=actor, command_id=command_id, **checked)

    def retarget(self, *, actor: str, command_id: str = "", **values: Any) -> None:
        checked = RETARGET.check(values)
        self._must_be_open()
        _check_direction(self.metric, self.start, checked["target"])
        self.trigger_event(self.Retargeted, actor=actor, command_id=command_id, **checked)

    drop = changes(DROP_KEY_RESULT, lambda kr, *_: kr._must_be_open())
    close = changes(CLOSE_KEY_RESULT, lambda kr, *_: kr._must_be_open())
    weigh = changes(WEIGH_KEY_RESULT, _not_dropped("key result"))

    @property
    def latest(self) -> dict[str, Any] | None:
        """The check-in with the latest ``as_of`` (corrections applied)."""
        if not self.check_ins:
            return None
        return max(self.check_ins.values(), key=lambda c: c["as_of"])


def _check_direction(metric: MetricKind, start: Decimal, target: Decimal) -> None:
    """An 'increase' must aim above its start and a 'decrease' below it."""
    if metric is MetricKind.INCREASE and target <= start:
        raise InvalidValue("target", f"{target} is not above the start {start} of an 'increase'")
    if metric is MetricKind.DECREASE and target >= start:
        raise InvalidValue("target", f"{target} is not below the start {start} of a 'decrease'")


class _KpiGiven(Given):
    """What a KPI starts with: its Defined event's fields, its first attributes."""

    team: str
    name: str
    owner: str
    target: Decimal
    unit: str
    direction: Direction
    kind: KpiKind
    next_step: str


class Kpi(_KpiGiven, KoersAggregate):
    """One of a team's 3–5 key performance indicators."""

    if TYPE_CHECKING:  # attributes, not dataclass fields (the events carry the data)
        retired: bool
        measurements: list[tuple[datetime, Decimal]]

    class Defined(_KpiGiven, KoersAggregate.Created):
        def apply(self, kpi: Kpi) -> None:
            self.adopt(kpi)
            kpi.retired, kpi.measurements = False, []

    class Measured(KoersAggregate.Event):
        value: Decimal
        as_of: datetime
        note: str

        def apply(self, kpi: Kpi) -> None:
            kpi.measurements.append((self.as_of, self.value))

    class NextStepSet(KoersAggregate.Event):
        next_step: str

        def apply(self, kpi: Kpi) -> None:
            kpi.next_step = self.next_step

    class Retired(KoersAggregate.Event):
        reason: str

        def apply(self, kpi: Kpi) -> None:
            kpi.retired = True

    def _not_retired(self, *_: Any) -> None:
        still_open(not self.retired, "this KPI is retired")

    define = creates(DEFINE_KPI)
    measure = changes(MEASURE_KPI, _not_retired)
    set_next_step = changes(KPI_NEXT_STEP, _not_retired)
    retire = changes(
        RETIRE_KPI, lambda kpi, *_: still_open(not kpi.retired, "this KPI is retired already")
    )

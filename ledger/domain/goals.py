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

import re
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ledger.domain._base import (
    KoersAggregate,
    choice,
    decimal,
    not_in_future,
    one_person,
    required_text,
    score_0_1,
    still_open,
    whole_in_range,
)
from ledger.errors import InvalidValue

__all__ = ["Direction", "KeyResult", "Kpi", "KpiKind", "MetricKind", "Objective", "Status"]

_PERIOD = re.compile(r"(19\d\d|2\d\d\d)-Q([1-4])")


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


def period(value: str) -> str:
    """A quarter such as ``2026-Q4``."""
    if not _PERIOD.fullmatch(value.strip()):
        raise InvalidValue("period", f"{value!r} is not a quarter: write it as 2026-Q4")
    return value.strip()


class Objective(KoersAggregate):
    """What a team wants to achieve in a quarter, and why."""

    if TYPE_CHECKING:  # attributes, not dataclass fields (the events carry the data)
        team: str
        title: str
        why: str
        period: str
        owner: str
        parent_id: UUID | None
        status: Status
        score: Decimal | None
        learnings: str

    class Set(KoersAggregate.Created):
        team: str
        title: str
        why: str
        period: str
        owner: str
        parent_id: UUID | None

        def apply(self, obj: Objective) -> None:
            obj.team, obj.title, obj.why = self.team, self.title, self.why
            obj.period, obj.owner, obj.parent_id = self.period, self.owner, self.parent_id
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

    @classmethod
    def set(cls, *, id: UUID, actor: str, command_id: str = "", **fields: Any) -> Objective:
        return cls._create(
            cls.Set,
            id=id,
            actor=actor,
            command_id=command_id,
            team=required_text("team", fields["team"], 80),
            title=required_text("title", fields["title"], 200),
            why=required_text("why", fields["why"]),
            period=period(fields["period"]),
            owner=one_person("owner", fields["owner"]),
            parent_id=fields.get("parent_id"),
        )

    def realign(
        self, *, actor: str, parent_id: UUID | None, reason: str, command_id: str = ""
    ) -> None:
        still_open(self.status is Status.OPEN, "this objective is no longer open")
        if parent_id == self.id:
            raise InvalidValue("parent", "an objective cannot be aligned to itself")
        self.trigger_event(
            self.Realigned,
            actor=actor,
            command_id=command_id,
            parent_id=parent_id,
            reason=required_text("reason", reason),
        )

    def score_it(
        self, *, actor: str, score: Decimal | str, learnings: str, command_id: str = ""
    ) -> None:
        still_open(self.status is Status.OPEN, "this objective is already scored or dropped")
        self.trigger_event(
            self.Scored,
            actor=actor,
            command_id=command_id,
            score=score_0_1("score", score),
            learnings=required_text("learnings", learnings),
        )

    def drop(self, *, actor: str, reason: str, command_id: str = "") -> None:
        still_open(self.status is Status.OPEN, "this objective is already scored or dropped")
        self.trigger_event(
            self.Dropped, actor=actor, command_id=command_id, reason=required_text("reason", reason)
        )


class KeyResult(KoersAggregate):
    """A measurable result of an objective, with one owner and weekly check-ins."""

    if TYPE_CHECKING:  # attributes, not dataclass fields (the events carry the data)
        objective_id: UUID
        title: str
        metric: MetricKind
        start: Decimal
        target: Decimal
        original_target: Decimal
        unit: str
        owner: str
        cadence_days: int
        status: Status
        check_ins: dict[UUID, dict[str, Any]]

    class Added(KoersAggregate.Created):
        objective_id: UUID
        title: str
        metric: MetricKind
        start: Decimal
        target: Decimal
        unit: str
        owner: str
        cadence_days: int

        def apply(self, kr: KeyResult) -> None:
            kr.objective_id, kr.title, kr.metric = self.objective_id, self.title, self.metric
            kr.start, kr.target, kr.original_target = self.start, self.target, self.target
            kr.unit, kr.owner, kr.cadence_days = self.unit, self.owner, self.cadence_days
            kr.status, kr.check_ins = Status.OPEN, {}

    class CheckedIn(KoersAggregate.Event):
        """A check-in. v2: ``blockers`` became a list (v1 held one text, see upcast)."""

        class_version = 2

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
        target: Decimal
        reason: str

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

    @classmethod
    def add(cls, *, id: UUID, actor: str, command_id: str = "", **fields: Any) -> KeyResult:
        metric = choice("metric", MetricKind, fields["metric"])
        start, target = decimal("start", fields["start"]), decimal("target", fields["target"])
        if metric is MetricKind.INCREASE and target <= start:
            raise InvalidValue(
                "target", f"{target} is not above the start {start} of an 'increase'"
            )
        if metric is MetricKind.DECREASE and target >= start:
            raise InvalidValue("target", f"{target} is not below the start {start} of a 'decrease'")
        return cls._create(
            cls.Added,
            id=id,
            actor=actor,
            command_id=command_id,
            objective_id=fields["objective_id"],
            title=required_text("title", fields["title"], 200),
            metric=metric,
            start=start,
            target=target,
            unit=fields.get("unit", "").strip(),
            owner=one_person("owner", fields["owner"]),
            cadence_days=whole_in_range("cadence", int(fields.get("cadence_days", 7)), 1, 92),
        )

    def _must_be_open(self) -> None:
        still_open(
            self.status is Status.OPEN,
            f"this key result is {self.status.value}: it takes no more check-ins or changes",
        )

    def check_in(
        self,
        *,
        actor: str,
        check_in_id: UUID,
        value: Decimal | str,
        confidence: int,
        as_of: datetime,
        note: str = "",
        blockers: tuple[str, ...] = (),
        command_id: str = "",
    ) -> None:
        self._must_be_open()
        self.trigger_event(
            self.CheckedIn,
            actor=actor,
            command_id=command_id,
            check_in_id=check_in_id,
            value=decimal("value", value),
            confidence=whole_in_range("confidence", confidence, 0, 10),
            note=note.strip(),
            blockers=tuple(b.strip() for b in blockers if b.strip()),
            as_of=not_in_future("as_of", as_of),
        )

    def correct_check_in(
        self,
        *,
        actor: str,
        check_in_id: UUID,
        value: Decimal | str,
        confidence: int,
        reason: str,
        command_id: str = "",
    ) -> None:
        if check_in_id not in self.check_ins:
            raise InvalidValue("check_in", f"this key result has no check-in {check_in_id}")
        self.trigger_event(
            self.CheckInCorrected,
            actor=actor,
            command_id=command_id,
            check_in_id=check_in_id,
            value=decimal("value", value),
            confidence=whole_in_range("confidence", confidence, 0, 10),
            reason=required_text("reason", reason),
        )

    def retarget(
        self, *, actor: str, target: Decimal | str, reason: str, command_id: str = ""
    ) -> None:
        self._must_be_open()
        if not reason.strip():
            raise InvalidValue("reason", "a retarget needs a reason: say why the target changes")
        new_target = decimal("target", target)
        _check_direction(self.metric, self.start, new_target)
        self.trigger_event(
            self.Retargeted,
            actor=actor,
            command_id=command_id,
            target=new_target,
            reason=reason.strip(),
        )

    def drop(self, *, actor: str, reason: str, command_id: str = "") -> None:
        self._must_be_open()
        self.trigger_event(
            self.Dropped, actor=actor, command_id=command_id, reason=required_text("reason", reason)
        )

    def close(
        self, *, actor: str, score: Decimal | str, learnings: str, command_id: str = ""
    ) -> None:
        self._must_be_open()
        self.trigger_event(
            self.Closed,
            actor=actor,
            command_id=command_id,
            score=score_0_1("score", score),
            learnings=learnings.strip(),
        )

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


class Direction(Enum):
    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"


class KpiKind(Enum):
    LEADING = "leading"
    LAGGING = "lagging"


class Kpi(KoersAggregate):
    """One of a team's 3–5 key performance indicators."""

    if TYPE_CHECKING:  # attributes, not dataclass fields (the events carry the data)
        team: str
        name: str
        owner: str
        target: Decimal
        unit: str
        direction: Direction
        kind: KpiKind
        next_step: str
        retired: bool
        measurements: list[tuple[datetime, Decimal]]

    class Defined(KoersAggregate.Created):
        team: str
        name: str
        owner: str
        target: Decimal
        unit: str
        direction: Direction
        kind: KpiKind
        next_step: str

        def apply(self, kpi: Kpi) -> None:
            kpi.team, kpi.name, kpi.owner = self.team, self.name, self.owner
            kpi.target, kpi.unit, kpi.direction = self.target, self.unit, self.direction
            kpi.kind, kpi.next_step = self.kind, self.next_step
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

    @classmethod
    def define(cls, *, id: UUID, actor: str, command_id: str = "", **fields: Any) -> Kpi:
        return cls._create(
            cls.Defined,
            id=id,
            actor=actor,
            command_id=command_id,
            team=required_text("team", fields["team"], 80),
            name=required_text("name", fields["name"], 120),
            owner=one_person("owner", fields["owner"]),
            target=decimal("target", fields["target"]),
            unit=fields.get("unit", "").strip(),
            direction=choice("direction", Direction, fields["direction"]),
            kind=choice("kind", KpiKind, fields["kind"]),
            next_step=fields.get("next_step", "").strip(),
        )

    def measure(
        self,
        *,
        actor: str,
        value: Decimal | str,
        as_of: datetime,
        note: str = "",
        command_id: str = "",
    ) -> None:
        still_open(not self.retired, "this KPI is retired")
        self.trigger_event(
            self.Measured,
            actor=actor,
            command_id=command_id,
            value=decimal("value", value),
            as_of=not_in_future("as_of", as_of),
            note=note.strip(),
        )

    def set_next_step(self, *, actor: str, next_step: str, command_id: str = "") -> None:
        still_open(not self.retired, "this KPI is retired")
        self.trigger_event(
            self.NextStepSet,
            actor=actor,
            command_id=command_id,
            next_step=required_text("next_step", next_step),
        )

    def retire(self, *, actor: str, reason: str, command_id: str = "") -> None:
        still_open(not self.retired, "this KPI is retired already")
        self.trigger_event(
            self.Retired, actor=actor, command_id=command_id, reason=required_text("reason", reason)
        )

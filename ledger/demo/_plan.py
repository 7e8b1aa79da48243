"""The demo as a plan: timed, keyed commands, written one thread of the story at a time and
run in time order.

Invariants:
- every step carries a fixed idempotency key (``demo/...``) that does not depend on ``today``,
  so a rerun on another day still finds what the first run made;
- every aggregate id is derived from its creating key (:func:`ledger.domain.command_key_id`),
  so later steps can name aggregates before they exist;
- every step has a recorded time inside the quarter, before ``today``; steps run sorted by
  that time (ties keep the order in which they were planned).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid5

from ledger.domain import COMMANDS, KoersAggregate, command_key_id

if TYPE_CHECKING:
    from ledger.application import Koers, Receipt

__all__ = [
    "Plan",
    "Quarter",
    "Run",
    "Step",
    "Thread",
    "Week",
    "command",
    "demo_key",
    "from_spec",
    "id_of",
    "sub_id",
]

#: A planned command: given the application and the step's key, run it and return its receipt.
Run = Callable[["Koers", str], "Receipt"]
PREFIX = "demo/"


def command(handler: str, /, *args: Any, **kwargs: Any) -> Run:
    """The step that runs the application's command ``handler`` with these arguments and the
    step's key: ``app.<handler>(*args, **kwargs, key=key)``. The arguments are fixed when the
    story is planned; the command runs later, with the clock at the step's moment."""

    def run(app: Koers, key: str) -> Receipt:
        method: Callable[..., Receipt] = getattr(app, handler)
        return method(*args, **kwargs, key=key)

    return run


def from_spec(handler: str, spec: object, /, *args: Any, **more: Any) -> Run:
    """:func:`command` with the values the story's ``spec`` gives by the names of the command's
    fields (a spec is written in the command table's words); ``more`` gives the rest, and a
    value the spec holds in other terms (a week for a day, a slug for an id). A ``spec`` of
    ``None`` gives nothing."""
    declared = COMMANDS.by_handler(handler)
    if declared is None:
        raise ValueError(f"{handler!r} is not a command of the table")
    given = {f.name: getattr(spec, f.name) for f in declared.fields if hasattr(spec, f.name)}
    return command(handler, *args, **{**given, **more})


def demo_key(*parts: str) -> str:
    """The idempotency key of a demo command: ``demo/<part>/<part>...``."""
    return PREFIX + "/".join(parts)


@dataclass(frozen=True)
class Week:
    """A moment in the quarter: ``day`` days after the start of week ``week`` (0-based)."""

    week: int
    day: int = 0
    hour: int = 9
    minute: int = 0

    def later(self, minutes: int) -> Week:
        return Week(self.week, self.day, self.hour, self.minute + minutes)


@dataclass(frozen=True)
class Quarter:
    """The calendar quarter the story is told in: the last one that ended before ``today``.

    Weeks count from the quarter's first day (not from a Monday), so thirteen weeks always
    fit: week 12 has at least six days (a quarter has 90–92 days).
    """

    label: str
    starts: date
    ends: date
    today: date

    @classmethod
    def before(cls, today: date) -> Quarter:
        this_quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        ends = this_quarter - timedelta(days=1)
        starts = date(ends.year, 3 * ((ends.month - 1) // 3) + 1, 1)
        return cls(f"{starts.year}-Q{(starts.month - 1) // 3 + 1}", starts, ends, today)

    def day(self, when: Week) -> date:
        return self.starts + timedelta(days=7 * when.week + when.day)

    def at(self, when: Week) -> datetime:
        """The moment (UTC); refuses one outside the quarter."""
        moment = datetime.combine(self.day(when), time(when.hour), tzinfo=UTC)
        moment += timedelta(minutes=when.minute)
        if not self.starts <= moment.date() <= self.ends:
            raise ValueError(f"{when} falls outside {self.label} ({moment.isoformat()})")
        return moment

    def after_today(self, days: int, hour: int = 8) -> datetime:
        """A moment ``days`` after ``today`` (review dates and snoozes still ahead)."""
        return datetime.combine(self.today + timedelta(days=days), time(hour), tzinfo=UTC)


@dataclass(frozen=True)
class Step:
    at: datetime
    key: str
    what: str
    run: Run


@dataclass
class Plan:
    """The steps of the story, collected in any order, handed out in time order."""

    quarter: Quarter
    _steps: list[Step] = field(default_factory=list)
    _keys: set[str] = field(default_factory=set)

    def add(self, when: Week, key: str, what: str, run: Run) -> None:
        if key in self._keys:
            raise ValueError(f"the demo plans {key!r} twice")
        self._keys.add(key)
        self._steps.append(Step(self.quarter.at(when), key, what, run))

    def steps(self) -> list[Step]:
        return sorted(self._steps, key=lambda s: s.at)  # stable: ties keep planning order


@dataclass(frozen=True)
class Thread:
    """One aggregate's steps in the plan: keyed ``demo/<kind>/<slug>[/<part>]``, issued by
    ``actor`` unless a step names another, and, after the step that creates it, acting on
    ``target`` (its id).

    A step's values are its keyword arguments, and those a ``spec`` (a part of the story)
    holds under the names of the command's fields (:func:`from_spec`)."""

    plan: Plan
    kind: str
    slug: str
    target: UUID
    actor: str | None

    def key(self, part: str = "") -> str:
        """The key of this thread's step ``part`` (``""``: the creating step's)."""
        return demo_key(self.kind, self.slug, *([part] if part else []))

    def begin(self, when: Week, what: str, handler: str, spec: object, **values: Any) -> None:
        """Plan the step that creates the aggregate."""
        run = from_spec(handler, spec, **{"actor": self.actor, **values})
        self.plan.add(when, self.key(), what, run)

    def then(
        self, when: Week, part: str, what: str, handler: str, *, spec: object = None, **values: Any
    ) -> str:
        """Plan a later step, keyed ``part``; its key (a check-in's id derives from it)."""
        run = from_spec(handler, spec, self.target, **{"actor": self.actor, **values})
        key = self.key(part)
        self.plan.add(when, key, what, run)
        return key


def id_of(cls: type[KoersAggregate], key: str) -> UUID:
    """The id of the aggregate that the creating command with ``key`` makes."""
    return command_key_id(cls.__name__, key)


def sub_id(parent: UUID, key: str) -> UUID:
    """The id of a check-in or action item the command with ``key`` adds to ``parent``."""
    return uuid5(parent, key)

"""The shape of a decision in the story: from opening, through the call, to its end."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.demo._plan import Week
from ledger.domain import Criterion, Option, Risk

__all__ = ["AfterToday", "DecisionSpec", "Made", "Ref", "ReviewSpec"]


@dataclass(frozen=True)
class AfterToday:
    """A review date still ahead: ``days`` after the day the demo is loaded for."""

    days: int


@dataclass(frozen=True)
class Ref:
    """A link from a decision: an objective, key result or delegation by slug, or an action
    item (``slug`` names the retro, ``item`` the action). ``at``: when it was linked
    (default: just after the decision was opened)."""

    kind: str
    slug: str
    item: str = ""
    at: Week | None = None


@dataclass(frozen=True)
class Made:
    when: Week
    chosen: str
    rationale: str
    expected: str
    confidence: str
    review_on: Week | AfterToday


@dataclass(frozen=True)
class ReviewSpec:
    when: Week
    outcome: int
    process: int
    as_expected: bool
    what_happened: str
    lessons: str


@dataclass(frozen=True)
class DecisionSpec:
    slug: str
    team: str
    question: str
    context: str
    options: tuple[Option, ...]
    criteria: tuple[Criterion, ...]
    risk: Risk
    reversibility: str
    cost_to_reverse: str
    information: int
    decider: str
    consulted: tuple[str, ...]
    informed: tuple[str, ...]
    opened: Week
    decide_by: Week
    links: tuple[Ref, ...] = ()
    information_update: tuple[Week, int, str] | None = None
    option_added: tuple[Week, Option] | None = None
    made: Made | None = None
    review: ReviewSpec | None = None
    reversed: tuple[Week, str] | None = None
    superseded: tuple[Week, str, str] | None = None  # when, by (slug), reason

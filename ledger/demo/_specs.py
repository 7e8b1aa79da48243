"""The shapes of the story's threads: what the TOML files beside this module hold, one
dataclass a kind (read by :mod:`ledger.demo._story`), and what the planners turn into
commands. Moments are :class:`~ledger.demo._plan.Week`; people, teams and other threads are
named by slug."""

from __future__ import annotations

from dataclasses import dataclass, field

from ledger.demo._plan import Week
from ledger.domain import Criterion, Option, Risk

__all__ = [
    "ActionSpec",
    "AfterToday",
    "DecisionSpec",
    "DelegationCheckIn",
    "DelegationSpec",
    "KeyResultSpec",
    "KpiSpec",
    "Made",
    "ObjectiveSpec",
    "PromptSpec",
    "Ref",
    "Renegotiation",
    "RetroSpec",
    "ReviewSpec",
]


# -- goals --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectiveSpec:
    slug: str
    team: str
    title: str
    why: str
    owner: str
    score: str
    learnings: str
    parent: str | None = None  # the objective this one is aligned under
    weight: tuple[int, str, str] | None = None  # week, its weight in the parent's roll-up, reason


@dataclass(frozen=True)
class KeyResultSpec:
    """A key result; ``values``/``confidence`` hold one check-in per ``every`` weeks."""

    slug: str
    objective: str
    title: str
    metric: str
    start: str
    target: str
    unit: str
    owner: str
    values: tuple[str, ...]  # measured values, kept exact as text
    confidence: tuple[int, ...]  # 0–10
    every: int = 1
    cadence_days: int = 7
    notes: dict[int, str] = field(default_factory=dict)
    blockers: dict[int, tuple[str, ...]] = field(default_factory=dict)
    late: tuple[int, ...] = ()  # weeks whose check-in was recorded the next Monday
    correction: tuple[int, str, int, str] | None = None  # week, value, confidence, reason
    retarget: tuple[int, str, str] | None = None  # week, new target, reason
    retarget_cites: tuple[str, str] | None = None  # the action item it cites: retro, action
    dropped: tuple[int, str] | None = None  # week, reason
    weight: tuple[int, str, str] | None = None  # week, its weight in the objective, reason
    score: str = ""
    learnings: str = ""


@dataclass(frozen=True)
class KpiSpec:
    slug: str
    team: str
    name: str
    owner: str
    target: str
    unit: str
    direction: str
    kind: str
    next_step: str
    weeks: tuple[int, ...]
    values: tuple[str, ...]  # one a week in ``weeks``, kept exact as text
    new_next_step: tuple[int, str] | None = None  # week, step


# -- decisions ----------------------------------------------------------------------------------


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
class ScoreSpec:
    """One person's scores of one option, 1–5 per criterion: ``[[criterion, score], ...]``."""

    when: Week
    by: str
    option: str
    cells: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class PositionSpec:
    """A consulted person's position: agree, disagree_and_commit or object."""

    when: Week
    by: str
    position: str
    note: str = ""


@dataclass(frozen=True)
class DecisionSpec:
    """A decision from opening, through the call, to its end."""

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
    information_update: tuple[Week, int, str] | None = None  # when, level, note
    option_added: tuple[Week, Option] | None = None
    made: Made | None = None
    review: ReviewSpec | None = None
    reversed: tuple[Week, str] | None = None  # when, reason
    superseded: tuple[Week, str, str] | None = None  # when, by (slug), reason
    recommender: str | None = None
    approver: str | None = None
    approved: tuple[Week, str] | None = None  # when, the approver's note
    scores: tuple[ScoreSpec, ...] = ()
    positions: tuple[PositionSpec, ...] = ()


# -- delegations --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DelegationCheckIn:
    when: Week
    status: str
    progress: str
    acknowledged: Week | None = None
    note: str = ""


@dataclass(frozen=True)
class Renegotiation:
    when: Week
    reason: str
    boundaries: str


@dataclass(frozen=True)
class DelegationSpec:
    slug: str
    delegator: str
    owner: str
    title: str
    why: str
    desired_result: str
    boundaries: str
    level: str
    cadence_days: int
    delegated: Week
    due: Week
    check_ins: tuple[DelegationCheckIn, ...]
    renegotiated: Renegotiation | None = None
    completed: tuple[Week, str, str] | None = None  # when, feedback, feedforward
    revoked: tuple[Week, str] | None = None  # when, reason


# -- retros -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionSpec:
    """An action item. ``done``/``dropped``: when and why; ``carried``: when, and into which
    later retro; ``done_there``: when it was then finished in that retro, and how."""

    slug: str
    text: str
    owner: str
    due: Week
    done: tuple[Week, str] | None = None
    dropped: tuple[Week, str] | None = None
    carried: tuple[Week, str] | None = None
    done_there: tuple[Week, str] | None = None
    from_item: int = 0  # the retro's item it came from (1 = the first), 0: none


@dataclass(frozen=True)
class RetroSpec:
    slug: str
    team: str
    format: str
    facilitator: str
    held: Week
    items: tuple[tuple[str, str], ...]  # kind, text
    pulse: tuple[tuple[str, str], ...]  # dimension, score 1–5 (5 = best)
    responses: int
    actions: tuple[ActionSpec, ...]
    #: people's own pulse scores, in order: person, dimension, score 1–5
    scores: tuple[tuple[str, str, int], ...] = ()


# -- prompts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PromptSpec:
    slug: str
    to: str
    kind: str
    question: str
    triggered_by: tuple[tuple[str, str], ...]  # kind, slug
    issued: Week
    answered: tuple[Week, str] | None = None
    snoozed: tuple[Week, int] | None = None  # when, until this many days after today
    dismissed: tuple[Week, str] | None = None

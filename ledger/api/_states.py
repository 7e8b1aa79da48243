"""What a GET of one thing answers: its current state (or its state ``as_of`` a moment).

Ids, times, dates and decimal numbers are strings (decimals exact, e.g. ``"0.7"``); enums
their values. These models document the answers (the OpenAPI document); the data is
``ledger.cli._reads.state_of``, the same as ``koers … show --json``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from ledger.domain import (
    ActionState,
    CheckInStatus,
    DecisionStatus,
    DelegationGiven,
    DelegationLevel,
    DelegationStatus,
    Direction,
    ItemKind,
    KpiKind,
    LinkKind,
    MetricKind,
    Position,
    PromptState,
    RetroGiven,
    Reversibility,
    Status,
)

__all__ = ["STATES", "HistoryEntry", "Page", "State"]

Dec = str  # a decimal number as exact text, e.g. "0.7"


class State(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: UUID
    version: int = Field(description="Its version: send it back as If-Match to change it safely.")
    created_on: datetime = Field(description="When it was recorded first.")
    modified_on: datetime = Field(description="When it was changed last.")


class ObjectiveState(State):
    team: str
    title: str
    why: str
    period: str = Field(examples=["2026-Q4"])
    owner: str
    parent_id: UUID | None
    status: Status
    score: Dec | None
    learnings: str


class CheckInState(BaseModel):
    value: Dec
    confidence: int
    as_of: datetime = Field(description="The moment the value describes.")
    note: str
    blockers: list[str]
    corrected: bool


class KeyResultState(State):
    objective_id: UUID
    title: str
    metric: MetricKind
    start: Dec
    target: Dec
    original_target: Dec = Field(description="The target before any retarget.")
    unit: str
    owner: str
    cadence_days: int
    status: Status
    check_ins: dict[UUID, CheckInState] = Field(description="By check-in id.")


class KpiState(State):
    team: str
    name: str
    owner: str
    target: Dec
    unit: str
    direction: Direction
    kind: KpiKind
    next_step: str
    retired: bool
    measurements: list[tuple[datetime, Dec]] = Field(description="[as_of, value] pairs.")


class OptionState(BaseModel):
    key: str
    title: str
    description: str


class CriterionState(BaseModel):
    name: str
    weight: Dec


class RiskState(BaseModel):
    likelihood: int
    impact: int


class LinkState(BaseModel):
    kind: LinkKind
    target_id: UUID
    item_id: UUID | None


class Said(BaseModel):
    """Part of a record: what an event said, when and by whom."""

    model_config = ConfigDict(extra="allow")

    at: datetime = Field(description="When it was recorded.")
    by: str = Field(description="Who recorded it.")


class InformationUpdateState(Said):
    information_level: int
    note: str


class ReviewState(Said):
    outcome_quality: int = Field(description="How good the outcome was, 1–5.")
    process_quality: int = Field(description="How good the way of deciding was, 1–5.")
    as_expected: bool
    what_happened: str
    lessons: str


class ReversalState(Said):
    reason: str


class SupersessionState(Said):
    by_decision_id: UUID
    reason: str


class ScoreCell(BaseModel):
    score: int = Field(description="1 (poorly) – 5 (very well): the scorer's latest.")
    note: str


class PositionState(Said):
    position: Position
    note: str


class ApprovalState(Said):
    note: str


class MatrixState(BaseModel):
    """The weighted totals (docs/metrics.md §9)."""

    out_of: Dec = Field(description="The largest total possible: 5 × the sum of the weights.")
    totals: dict[str, Dec | None] = Field(
        description="Per option: the mean, over the people who scored it on every criterion, "
        "of Σ weight × score; null when nobody did."
    )
    scorers: dict[str, int] = Field(description="Per option: how many people the mean is over.")
    per_person: dict[str, dict[str, Dec | None]] = Field(
        description="Per person and option: Σ weight × score; null unless every criterion "
        "was scored."
    )
    highest: list[str] = Field(description="The options with the largest total.")
    tie: bool = Field(description="Whether several options share the largest total.")
    chosen_was_highest: bool | None = Field(
        description="Whether the chosen option is among the highest (null before the call)."
    )


class DecisionState(State):
    team: str
    question: str
    context: str
    options: list[OptionState]
    criteria: list[CriterionState]
    risk: RiskState
    reversibility: Reversibility
    cost_to_reverse: str
    information_level: int
    decider: str
    consulted: list[str]
    informed: list[str]
    decide_by: date
    status: DecisionStatus
    chosen: str | None
    confidence: Dec | None
    decided_on: date | None
    review_on: date | None
    links: list[LinkState]
    # One decision's read (show) adds what only its events hold; lists leave these out.
    rationale: str | None = Field(None, description="Why the chosen option (once decided).")
    expected_outcome: str | None = Field(None, description="What the decider expected.")
    information_updates: list[InformationUpdateState] | None = None
    review: ReviewState | None = Field(None, description="The review, once reviewed.")
    reversal: ReversalState | None = None
    supersession: SupersessionState | None = None
    recommender: str | None = Field(None, description="Who recommends an option, if anyone.")
    approver: str | None = Field(None, description="Who must approve before the call, if anyone.")
    approved_by: str | None = Field(None, description="The approver, once they approved.")
    scores: dict[str, dict[str, dict[str, ScoreCell]]] | None = Field(
        None, description="Person → option → criterion → their latest score."
    )
    positions: dict[str, PositionState] | None = Field(
        None, description="Each consulted person's latest position."
    )
    approval: ApprovalState | None = Field(None, description="The current approver's approval.")
    matrix: MatrixState | None = None


class AcknowledgementState(Said):
    note: str


class DelegationCheckInState(BaseModel):
    at: datetime
    status: CheckInStatus
    acknowledged: bool
    # One delegation's read (show) adds these; lists leave them out.
    progress: str | None = Field(None, description="What the owner wrote.")
    acknowledgement: AcknowledgementState | None = Field(
        None, description="The delegator's acknowledgement and note, once acknowledged."
    )


class RenegotiationState(Said):
    due: date
    boundaries: str
    level: DelegationLevel
    reason: str


class CompletionState(Said):
    feedback: str
    feedforward: str


class DelegationState(DelegationGiven, State):
    # What it was handed over with, as the domain declares it (DelegationGiven), then since:
    status: DelegationStatus
    check_ins: dict[UUID, DelegationCheckInState] = Field(description="By check-in id.")
    renegotiations: list[RenegotiationState] | None = None
    completion: CompletionState | None = None
    revocation: ReversalState | None = None


class ActionItemState(BaseModel):
    text: str
    owner: str
    due: date
    state: ActionState
    carried_from: UUID | None = Field(description="The retro it was carried over from.")


class RetroState(RetroGiven, State):
    # What it was held with, as the domain declares it (RetroGiven), then what was recorded:
    items: list[tuple[ItemKind, str]] = Field(description="[kind, text] pairs.")
    pulse: dict[str, Dec] = Field(
        description="Score 1–5 by dimension (the last recorded), or 'too few responses to "
        "show' when fewer than 3 people answered."
    )
    pulse_responses: dict[str, int] | None = Field(None, description="Responses by dimension.")
    actions: dict[UUID, ActionItemState] = Field(description="Action items by item id.")


class PromptStateOut(State):
    to: str
    question: str
    kind: str
    triggered_by: list[str]
    state: PromptState
    snoozed_until: datetime | None
    answer: str | None


class HistoryEntry(BaseModel):
    position: int | None = Field(description="The event's stream position.")
    version: int
    type: str = Field(
        description="The event type (the Koers-Type header).", examples=["decision.made"]
    )
    event: str = Field(examples=["Decision.Made"])
    actor: str
    credential: str = Field(
        description="How the actor proved who they were: 'token:<id>', 'oidc:<issuer>#<sub>', "
        "'session:<id>', 'local:<user>', 'service:<name>'; empty when not recorded."
    )
    recorded: datetime = Field(description="When it was recorded.")
    fields: dict[str, Any] = Field(description="The event's own fields.")


class Page(BaseModel):
    total: int = Field(description="How many match the filters.")
    limit: int
    offset: int


#: kind -> the model of its state
STATES: dict[str, type[State]] = {
    "objective": ObjectiveState,
    "key_result": KeyResultState,
    "kpi": KpiState,
    "decision": DecisionState,
    "delegation": DelegationState,
    "retro": RetroState,
    "prompt": PromptStateOut,
}

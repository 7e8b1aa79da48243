"""Commands on decisions."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ledger.api._common import (
    Command,
    Handle,
    Text,
    Versioned,
    WriteContext,
    plain_writer,
    versioned_writer,
)
from ledger.api._schema import CHANGED, CREATED, Number, Reason
from ledger.domain import Criterion, LinkKind, Option, Reversibility, Risk

__all__ = ["router"]

router = APIRouter()
Plain = Annotated[WriteContext, Depends(plain_writer)]
Conditional = Annotated[WriteContext, Depends(versioned_writer)]
Quality = Annotated[int, Field(ge=1, le=5, description="1 (poor) – 5 (excellent).")]


class OptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: Text = Field(min_length=1, max_length=40, description="Short key, e.g. `a`.")
    title: Text = Field(min_length=1, max_length=200, examples=["Yes, this quarter"])
    description: Text = Field("", max_length=2000)

    def domain(self) -> Option:
        return Option(self.key.strip(), self.title.strip(), self.description.strip())


class CriterionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=1, max_length=80, examples=["speed"])
    weight: Number = Field(gt=0, description="Relative weight, above 0.", examples=["3"])


class RiskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    likelihood: int = Field(3, ge=1, le=5, description="1 (rare) – 5 (almost certain).")
    impact: int = Field(3, ge=1, le=5, description="1 (minor) – 5 (severe).")


class OpenDecision(Command):
    team: Text = Field(min_length=1, max_length=80, examples=["platform"])
    question: Text = Field(min_length=1, max_length=500, examples=["Move to a monorepo?"])
    context: Text = Field("", max_length=10_000, description="Background.")
    options: list[OptionIn] = Field(min_length=1, max_length=20, description="At least one.")
    criteria: list[CriterionIn] = Field(default_factory=list, max_length=20)
    risk: RiskIn = RiskIn(likelihood=3, impact=3)
    reversibility: Reversibility = Field(
        description="`two_way` (cheap to undo: decide fast) or `one_way` (hard to undo)."
    )
    cost_to_reverse: Text = Field("", max_length=2000)
    information_level: int = Field(
        ge=0, le=100, description="How much of the information you want you have, 0–100 %."
    )
    decider: Handle = Field(description="The one person who decides.")
    consulted: list[Handle] = Field(default_factory=list, max_length=50)
    informed: list[Handle] = Field(default_factory=list, max_length=50)
    decide_by: date = Field(examples=["2026-12-15"])


class AddOption(Command):
    option: OptionIn


class UpdateInformation(Command):
    information_level: int = Field(ge=0, le=100, description="The information level now, %.")
    note: Text = Field("", max_length=2000, description="What you learned.")


class Decide(Versioned):
    chosen: Text = Field(min_length=1, max_length=40, description="The chosen option's key.")
    rationale: Text = Field(min_length=1, max_length=10_000, examples=["Fastest path"])
    expected_outcome: Text = Field(min_length=1, max_length=10_000, examples=["Weekly releases"])
    confidence: Number = Field(
        ge=0, le=1, description="Probability 0–1 that it turns out as expected.", examples=["0.7"]
    )
    review_on: date = Field(description="When to review it (not before today).")


class Review(Command):
    outcome_quality: Quality
    process_quality: Quality
    as_expected: bool = Field(description="Did it turn out as expected?")
    what_happened: Text = Field(min_length=1, max_length=10_000)
    lessons: Text = Field("", max_length=10_000)


class Reverse(Command):
    reason: Reason


class Supersede(Command):
    by_decision_id: UUID = Field(description="The decision that replaces it.")
    reason: Reason


class LinkIn(Command):
    kind: LinkKind = Field(description="What it links to.")
    target_id: UUID = Field(description="Its id (for an action item: the retro's id).")
    item_id: UUID | None = Field(None, description="The action item's id (action items only).")


@router.post("/decisions", summary="Open a decision", **CREATED)
async def open_decision(body: OpenDecision, w: Plain) -> JSONResponse:
    """Put a question, the options and the criteria on the table."""
    fields = body.fields()
    fields.update(
        options=[o.domain() for o in body.options],
        criteria=[Criterion(c.name.strip(), c.weight) for c in body.criteria],
        risk=Risk(body.risk.likelihood, body.risk.impact),
    )
    return await w.run(
        "decision",
        body,
        lambda k, who: k.open_decision(actor=who.actor, key=who.key, **fields),
        created=True,
        path="/decisions",
    )


@router.post("/decisions/{decision_id}/options", summary="Add an option", **CHANGED)
async def add_option(decision_id: UUID, body: AddOption, w: Plain) -> JSONResponse:
    """Put another option on the table (before deciding)."""
    return await w.run(
        "decision",
        body,
        lambda k, who: k.add_option(
            decision_id, actor=who.actor, key=who.key, option=body.option.domain()
        ),
    )


@router.post("/decisions/{decision_id}/information", summary="Update information", **CHANGED)
async def update_information(decision_id: UUID, body: UpdateInformation, w: Plain) -> JSONResponse:
    """Record that you know more (or less) than before, while the decision is open."""
    return await w.run(
        "decision",
        body,
        lambda k, who: k.update_information(
            decision_id, actor=who.actor, key=who.key, **body.fields()
        ),
    )


@router.post("/decisions/{decision_id}/decide", summary="Decide", **CHANGED)
async def decide(decision_id: UUID, body: Decide, w: Conditional) -> JSONResponse:
    """Make the decision: the chosen option, why, what you expect, and when to review."""
    return await w.run(
        "decision",
        body,
        lambda k, who: k.decide(
            decision_id,
            actor=who.actor,
            key=who.key,
            expected_version=who.expected_version,
            **body.fields(),
        ),
    )


@router.post("/decisions/{decision_id}/review", summary="Review", **CHANGED)
async def review_decision(decision_id: UUID, body: Review, w: Plain) -> JSONResponse:
    """Review a decided decision: rate the outcome and the process apart."""
    return await w.run(
        "decision",
        body,
        lambda k, who: k.review_decision(
            decision_id, actor=who.actor, key=who.key, **body.fields()
        ),
    )


@router.post("/decisions/{decision_id}/reverse", summary="Reverse", **CHANGED)
async def reverse_decision(decision_id: UUID, body: Reverse, w: Plain) -> JSONResponse:
    """Reverse a decision (it stays in the history)."""
    return await w.run(
        "decision",
        body,
        lambda k, who: k.reverse_decision(
            decision_id, actor=who.actor, key=who.key, **body.fields()
        ),
    )


@router.post("/decisions/{decision_id}/supersede", summary="Supersede", **CHANGED)
async def supersede_decision(decision_id: UUID, body: Supersede, w: Plain) -> JSONResponse:
    """Mark a decision superseded by a later one."""
    return await w.run(
        "decision",
        body,
        lambda k, who: k.supersede_decision(
            decision_id, actor=who.actor, key=who.key, **body.fields()
        ),
    )


@router.post("/decisions/{decision_id}/links", summary="Link", **CHANGED)
async def link_decision(decision_id: UUID, body: LinkIn, w: Plain) -> JSONResponse:
    """Link a decision to an objective, key result, delegation or retro action item."""
    return await w.run(
        "decision",
        body,
        lambda k, who: k.link_decision(
            decision_id,
            actor=who.actor,
            key=who.key,
            kind=body.kind.value,
            target_id=body.target_id,
            item_id=body.item_id,
        ),
    )

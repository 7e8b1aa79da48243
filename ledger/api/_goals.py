"""Commands on objectives and key results."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import Field

from ledger.api._common import (
    Command,
    Handle,
    Moment,
    Text,
    Versioned,
    Who,
    WriteContext,
    plain_writer,
    versioned_writer,
)
from ledger.api._schema import CHANGED, CREATED, QUARTER, Number, Reason
from ledger.application import Koers, Receipt
from ledger.domain import KeyResult, MetricKind
from ledger.errors import NotFound

__all__ = ["router"]

router = APIRouter()
Plain = Annotated[WriteContext, Depends(plain_writer)]
Conditional = Annotated[WriteContext, Depends(versioned_writer)]
Score = Annotated[Number, Field(ge=0, le=1, description="0.0–1.0.", examples=["0.7"])]
Confidence = Annotated[
    int, Field(ge=0, le=10, description="0–10: how sure you are to make the target.")
]


def _now_or(moment: datetime | None) -> datetime:
    return moment if moment is not None else datetime.now(UTC)


# -- objectives ------------------------------------------------------------------------------


class SetObjective(Command):
    team: Text = Field(min_length=1, max_length=80, examples=["platform"])
    title: Text = Field(
        min_length=1, max_length=200, description="What to achieve.", examples=["Ship weekly"]
    )
    why: Text = Field(min_length=1, max_length=10_000, examples=["Customers wait too long"])
    period: Text = Field(pattern=QUARTER, description="The quarter.", examples=["2026-Q4"])
    owner: Handle = Field(description="One person accountable.")
    parent_id: UUID | None = Field(None, description="The objective it aligns to.")


class RealignObjective(Versioned):
    parent_id: UUID | None = Field(description="The new parent objective, or null for none.")
    reason: Reason


class ScoreObjective(Versioned):
    score: Score
    learnings: Text = Field(min_length=1, max_length=10_000, examples=["Scope was too wide"])


class DropObjective(Command):
    reason: Reason


@router.post("/objectives", summary="Set an objective", **CREATED)
async def set_objective(body: SetObjective, w: Plain) -> JSONResponse:
    """Set an objective for a team and quarter: what, why, and one owner."""
    return await w.run(
        "objective",
        body,
        lambda k, who: k.set_objective(actor=who.actor, key=who.key, **body.fields()),
        created=True,
        path="/objectives",
    )


@router.post("/objectives/{objective_id}/realign", summary="Realign", **CHANGED)
async def realign_objective(
    objective_id: UUID, body: RealignObjective, w: Conditional
) -> JSONResponse:
    """Align an objective to another parent objective, or to none."""
    return await w.run(
        "objective",
        body,
        lambda k, who: k.realign_objective(
            objective_id,
            actor=who.actor,
            key=who.key,
            expected_version=who.expected_version,
            **body.fields(),
        ),
    )


@router.post("/objectives/{objective_id}/score", summary="Score", **CHANGED)
async def score_objective(objective_id: UUID, body: ScoreObjective, w: Conditional) -> JSONResponse:
    """Score an objective at the end of its period (0.0–1.0) with the learnings."""
    return await w.run(
        "objective",
        body,
        lambda k, who: k.score_objective(
            objective_id,
            actor=who.actor,
            key=who.key,
            expected_version=who.expected_version,
            **body.fields(),
        ),
    )


@router.post("/objectives/{objective_id}/drop", summary="Drop", **CHANGED)
async def drop_objective(objective_id: UUID, body: DropObjective, w: Plain) -> JSONResponse:
    """Drop an objective (it stays in the history)."""
    return await w.run(
        "objective",
        body,
        lambda k, who: k.drop_objective(
            objective_id, actor=who.actor, key=who.key, **body.fields()
        ),
    )


# -- key results -----------------------------------------------------------------------------


class AddKeyResult(Command):
    objective_id: UUID = Field(description="The objective it measures.")
    title: Text = Field(min_length=1, max_length=200, examples=["Lead time to production"])
    metric: MetricKind = Field(description="How progress is measured.", examples=["decrease"])
    start: Number = Field(description="The value at the start.", examples=["10"])
    target: Number = Field(description="The value to reach.", examples=["2"])
    unit: Text = Field("", max_length=40, examples=["days"])
    owner: Handle = Field(description="Exactly one owner.")
    cadence_days: int = Field(7, ge=1, le=92, description="Days between check-ins.")


class CheckIn(Versioned):
    value: Number = Field(description="The measured value.", examples=["7"])
    confidence: Confidence
    as_of: Moment | None = Field(
        None, description="When the value was true (default: now; never in the future)."
    )
    note: Text = Field("", max_length=2000, examples=["CI is faster"])
    blockers: list[Annotated[Text, Field(max_length=500)]] = Field(
        default_factory=list, max_length=20, examples=[["waiting on security review"]]
    )


class CorrectCheckIn(Command):
    value: Number = Field(description="The corrected value.")
    confidence: Confidence
    reason: Reason


class Retarget(Versioned):
    target: Number = Field(description="The new target (the original is kept).")
    reason: Reason


class DropKeyResult(Command):
    reason: Reason


class CloseKeyResult(Command):
    score: Score
    learnings: Text = Field("", max_length=10_000)


@router.post("/key-results", summary="Add a key result", **CREATED)
async def add_key_result(body: AddKeyResult, w: Plain) -> JSONResponse:
    """Add a measurable key result to an open objective."""
    return await w.run(
        "key_result",
        body,
        lambda k, who: k.add_key_result(actor=who.actor, key=who.key, **body.fields()),
        created=True,
        path="/key-results",
    )


@router.post("/key-results/{key_result_id}/check-ins", summary="Check in", **CHANGED)
async def check_in(key_result_id: UUID, body: CheckIn, w: Conditional) -> JSONResponse:
    """Record a check-in: value, confidence 0–10, note and blockers, as of a moment."""
    return await w.run(
        "key_result",
        body,
        lambda k, who: k.check_in(
            key_result_id,
            actor=who.actor,
            key=who.key,
            expected_version=who.expected_version,
            value=body.value,
            confidence=body.confidence,
            as_of=_now_or(body.as_of),
            note=body.note,
            blockers=tuple(body.blockers),
        ),
    )


@router.post(
    "/key-results/{key_result_id}/check-ins/{check_in_id}/corrections",
    summary="Correct a check-in",
    **CHANGED,
)
async def correct_check_in(
    key_result_id: UUID, check_in_id: UUID, body: CorrectCheckIn, w: Plain
) -> JSONResponse:
    """Correct a check-in: a new event; the original stays in the history."""

    def command(k: Koers, who: Who) -> Receipt:
        if check_in_id not in k.load(KeyResult, key_result_id).check_ins:
            raise NotFound("check-in", check_in_id, "GET the key result to see its check-ins")
        return k.correct_check_in(
            key_result_id, actor=who.actor, key=who.key, check_in_id=check_in_id, **body.fields()
        )

    return await w.run("key_result", body, command)


@router.post("/key-results/{key_result_id}/retarget", summary="Retarget", **CHANGED)
async def retarget(key_result_id: UUID, body: Retarget, w: Conditional) -> JSONResponse:
    """Change a key result's target, with a reason (the original target is kept)."""
    return await w.run(
        "key_result",
        body,
        lambda k, who: k.retarget(
            key_result_id,
            actor=who.actor,
            key=who.key,
            expected_version=who.expected_version,
            **body.fields(),
        ),
    )


@router.post("/key-results/{key_result_id}/drop", summary="Drop", **CHANGED)
async def drop_key_result(key_result_id: UUID, body: DropKeyResult, w: Plain) -> JSONResponse:
    """Drop a key result (it takes no more check-ins)."""
    return await w.run(
        "key_result",
        body,
        lambda k, who: k.drop_key_result(
            key_result_id, actor=who.actor, key=who.key, **body.fields()
        ),
    )


@router.post("/key-results/{key_result_id}/close", summary="Close", **CHANGED)
async def close_key_result(key_result_id: UUID, body: CloseKeyResult, w: Plain) -> JSONResponse:
    """Close a key result at the end of the period with a score 0.0–1.0."""
    return await w.run(
        "key_result",
        body,
        lambda k, who: k.close_key_result(
            key_result_id, actor=who.actor, key=who.key, **body.fields()
        ),
    )

"""Commands on delegations."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import Field

from ledger.api._common import Command, Handle, Text, Who, WriteContext, plain_writer
from ledger.api._schema import CHANGED, CREATED, Reason
from ledger.application import Koers, Receipt
from ledger.domain import CheckInStatus, Delegation, DelegationLevel
from ledger.errors import NotFound

__all__ = ["router"]

router = APIRouter()
Plain = Annotated[WriteContext, Depends(plain_writer)]


class Delegate(Command):
    """The actor is the delegator."""

    owner: Handle = Field(description="The one new owner (not the delegator).", examples=["bram"])
    title: Text = Field(min_length=1, max_length=200, examples=["Hiring plan"])
    why: Text = Field(min_length=1, max_length=10_000, examples=["You know the team best"])
    desired_result: Text = Field(min_length=1, max_length=10_000, examples=["A plan for 3 hires"])
    boundaries: Text = Field("", max_length=10_000, description="Budget, time, what not to do.")
    level: DelegationLevel = Field(description="Decision rights, from `tell` to `delegate`.")
    cadence_days: int = Field(7, ge=1, le=92, description="Days between check-ins.")
    due: date = Field(examples=["2026-12-20"])


class DelegationCheckIn(Command):
    """The owner checks in."""

    status: CheckInStatus
    progress: Text = Field(min_length=1, max_length=10_000, description="Where it stands.")


class Acknowledge(Command):
    """The delegator acknowledges a check-in."""

    note: Text = Field("", max_length=10_000, description="A note back.")


class Renegotiate(Command):
    """The delegator or the owner renegotiates; omitted fields stay as they are."""

    reason: Reason
    due: date | None = Field(None, description="A new due date.")
    boundaries: Text | None = Field(None, max_length=10_000, description="New boundaries.")
    level: DelegationLevel | None = Field(None, description="A new decision-rights level.")


class Complete(Command):
    """The delegator completes it."""

    feedback: Text = Field(min_length=1, max_length=10_000, description="What went well, not.")
    feedforward: Text = Field(min_length=1, max_length=10_000, description="Next time.")


class Revoke(Command):
    """The delegator revokes it."""

    reason: Reason


@router.post("/delegations", summary="Delegate", **CREATED)
async def delegate(body: Delegate, w: Plain) -> JSONResponse:
    """Delegate work to one owner; the actor is the delegator."""
    return await w.run(
        "delegation",
        body,
        lambda k, who: k.delegate(actor=who.actor, key=who.key, **body.fields()),
        created=True,
        path="/delegations",
    )


@router.post("/delegations/{delegation_id}/check-ins", summary="Check in", **CHANGED)
async def delegation_check_in(
    delegation_id: UUID, body: DelegationCheckIn, w: Plain
) -> JSONResponse:
    """Check in on a delegation (the owner does)."""
    return await w.run(
        "delegation",
        body,
        lambda k, who: k.delegation_check_in(
            delegation_id,
            actor=who.actor,
            key=who.key,
            status=body.status.value,
            progress=body.progress,
        ),
    )


@router.post(
    "/delegations/{delegation_id}/check-ins/{check_in_id}/acknowledge",
    summary="Acknowledge a check-in",
    **CHANGED,
)
async def acknowledge_check_in(
    delegation_id: UUID, check_in_id: UUID, body: Acknowledge, w: Plain
) -> JSONResponse:
    """Acknowledge an owner's check-in (the delegator does, once)."""

    def command(k: Koers, who: Who) -> Receipt:
        if check_in_id not in k.load(Delegation, delegation_id).check_ins:
            raise NotFound("check-in", check_in_id, "GET the delegation to see its check-ins")
        return k.acknowledge_check_in(
            delegation_id, actor=who.actor, key=who.key, check_in_id=check_in_id, note=body.note
        )

    return await w.run("delegation", body, command)


@router.post("/delegations/{delegation_id}/renegotiate", summary="Renegotiate", **CHANGED)
async def renegotiate(delegation_id: UUID, body: Renegotiate, w: Plain) -> JSONResponse:
    """Renegotiate the due date, the boundaries or the decision-rights level."""
    return await w.run(
        "delegation",
        body,
        lambda k, who: k.renegotiate(
            delegation_id,
            actor=who.actor,
            key=who.key,
            reason=body.reason,
            due=body.due,
            boundaries=body.boundaries,
            level=body.level.value if body.level else None,
        ),
    )


@router.post("/delegations/{delegation_id}/complete", summary="Complete", **CHANGED)
async def complete_delegation(delegation_id: UUID, body: Complete, w: Plain) -> JSONResponse:
    """Complete a delegation with feedback and feedforward (the delegator does)."""
    return await w.run(
        "delegation",
        body,
        lambda k, who: k.complete_delegation(
            delegation_id, actor=who.actor, key=who.key, **body.fields()
        ),
    )


@router.post("/delegations/{delegation_id}/revoke", summary="Revoke", **CHANGED)
async def revoke_delegation(delegation_id: UUID, body: Revoke, w: Plain) -> JSONResponse:
    """Revoke a delegation (the delegator does)."""
    return await w.run(
        "delegation",
        body,
        lambda k, who: k.revoke_delegation(
            delegation_id, actor=who.actor, key=who.key, **body.fields()
        ),
    )

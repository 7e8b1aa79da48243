"""Commands on KPIs: a team's 3–5 key performance indicators."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import Field

from ledger.api._common import Command, Handle, Moment, Text, WriteContext, plain_writer
from ledger.api._schema import CHANGED, CREATED, Number, Reason
from ledger.domain import Direction, KpiKind

__all__ = ["router"]

router = APIRouter()
Plain = Annotated[WriteContext, Depends(plain_writer)]


class DefineKpi(Command):
    team: Text = Field(min_length=1, max_length=80, examples=["platform"])
    name: Text = Field(min_length=1, max_length=120, examples=["Deployment frequency"])
    owner: Handle
    target: Number = Field(examples=["5"])
    unit: Text = Field("", max_length=40, examples=["per week"])
    direction: Direction
    kind: KpiKind = Field(description="Leading (predicts) or lagging (confirms).")
    next_step: Text = Field("", max_length=2000, examples=["Automate the release notes"])


class MeasureKpi(Command):
    value: Number
    as_of: Moment | None = Field(None, description="When it was true (default: now).")
    note: Text = Field("", max_length=2000)


class KpiNextStep(Command):
    next_step: Text = Field(min_length=1, max_length=2000)


class RetireKpi(Command):
    reason: Reason


@router.post("/kpis", summary="Define a KPI", **CREATED)
async def define_kpi(body: DefineKpi, w: Plain) -> JSONResponse:
    """Define one of a team's 3–5 KPIs."""
    return await w.run(
        "kpi",
        body,
        lambda k, who: k.define_kpi(actor=who.actor, key=who.key, **body.fields()),
        created=True,
        path="/kpis",
    )


@router.post("/kpis/{kpi_id}/measurements", summary="Measure", **CHANGED)
async def measure_kpi(kpi_id: UUID, body: MeasureKpi, w: Plain) -> JSONResponse:
    """Record a KPI measurement."""
    return await w.run(
        "kpi",
        body,
        lambda k, who: k.measure_kpi(
            kpi_id,
            actor=who.actor,
            key=who.key,
            value=body.value,
            as_of=body.as_of or datetime.now(UTC),
            note=body.note,
        ),
    )


@router.post("/kpis/{kpi_id}/next-step", summary="Set the next step", **CHANGED)
async def set_kpi_next_step(kpi_id: UUID, body: KpiNextStep, w: Plain) -> JSONResponse:
    """Set the next step that should move a KPI."""
    return await w.run(
        "kpi",
        body,
        lambda k, who: k.set_kpi_next_step(kpi_id, actor=who.actor, key=who.key, **body.fields()),
    )


@router.post("/kpis/{kpi_id}/retire", summary="Retire", **CHANGED)
async def retire_kpi(kpi_id: UUID, body: RetireKpi, w: Plain) -> JSONResponse:
    """Retire a KPI."""
    return await w.run(
        "kpi",
        body,
        lambda k, who: k.retire_kpi(kpi_id, actor=who.actor, key=who.key, **body.fields()),
    )

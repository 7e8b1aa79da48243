"""Commands on retros and reflection prompts."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import Field

from ledger.api._common import Command, Handle, Moment, Text, Who, WriteContext, plain_writer
from ledger.api._schema import CHANGED, CREATED, Number, Reason
from ledger.application import Koers, Receipt
from ledger.domain import ItemKind, Retro
from ledger.errors import NotFound

__all__ = ["router"]

router = APIRouter()
Plain = Annotated[WriteContext, Depends(plain_writer)]


def _open_item(koers: Koers, retro_id: UUID, item_id: UUID) -> None:
    if item_id not in koers.load(Retro, retro_id).actions:
        raise NotFound("action item", item_id, "GET the retro to see its action items")


class HoldRetro(Command):
    team: Text = Field(min_length=1, max_length=80, examples=["platform"])
    period: Text = Field(
        min_length=1, max_length=40, description="What it looks back on.", examples=["Sprint 42"]
    )
    format: Text = Field("start-stop-continue", max_length=80, description="The format used.")
    held_on: date = Field(description="The day it was held.", examples=["2026-11-27"])
    facilitator: Handle | None = Field(None, description="Who facilitated (default: the actor).")


class AddItem(Command):
    kind: ItemKind
    text: Text = Field(min_length=1, max_length=2000, examples=["Releases got calmer"])


class RecordPulse(Command):
    dimension: Text = Field(min_length=1, max_length=60, examples=["psychological_safety"])
    score: Number = Field(ge=1, le=5, description="The average score, 1–5.", examples=["3.8"])
    responses: int = Field(ge=1, le=100_000, description="How many people answered.")


class AddActionItem(Command):
    text: Text = Field(min_length=1, max_length=2000, examples=["Automate the changelog"])
    owner: Handle = Field(description="Exactly one owner.")
    due: date = Field(description="Due date (not before the retro).", examples=["2026-12-11"])


class CompleteAction(Command):
    note: Text = Field("", max_length=2000)


class DropAction(Command):
    reason: Reason


class CarryOver(Command):
    to_retro_id: UUID = Field(description="The later retro it continues in.")


@router.post("/retros", summary="Hold a retro", **CREATED)
async def hold_retro(body: HoldRetro, w: Plain) -> JSONResponse:
    """Record a retro of a team."""
    return await w.run(
        "retro",
        body,
        lambda k, who: k.hold_retro(actor=who.actor, key=who.key, **body.fields()),
        created=True,
        path="/retros",
    )


@router.post("/retros/{retro_id}/items", summary="Add an item", **CHANGED)
async def add_retro_item(retro_id: UUID, body: AddItem, w: Plain) -> JSONResponse:
    """Add an item: what went well, what to improve, or an idea."""
    return await w.run(
        "retro",
        body,
        lambda k, who: k.add_retro_item(
            retro_id, actor=who.actor, key=who.key, kind=body.kind.value, text=body.text
        ),
    )


@router.post("/retros/{retro_id}/pulse", summary="Record a pulse", **CHANGED)
async def record_pulse(retro_id: UUID, body: RecordPulse, w: Plain) -> JSONResponse:
    """Record a team-health pulse score (1–5) for one dimension."""
    return await w.run(
        "retro",
        body,
        lambda k, who: k.record_pulse(retro_id, actor=who.actor, key=who.key, **body.fields()),
    )


@router.post("/retros/{retro_id}/action-items", summary="Add an action item", **CHANGED)
async def add_action_item(retro_id: UUID, body: AddActionItem, w: Plain) -> JSONResponse:
    """Add an action item with one owner and a due date; the receipt has its `item_id`."""
    return await w.run(
        "retro",
        body,
        lambda k, who: k.add_action_item(retro_id, actor=who.actor, key=who.key, **body.fields()),
    )


@router.post(
    "/retros/{retro_id}/action-items/{item_id}/complete", summary="Complete an action", **CHANGED
)
async def complete_action_item(
    retro_id: UUID, item_id: UUID, body: CompleteAction, w: Plain
) -> JSONResponse:
    """Mark an open action item done."""

    def command(k: Koers, who: Who) -> Receipt:
        _open_item(k, retro_id, item_id)
        return k.complete_action_item(
            retro_id, actor=who.actor, key=who.key, item_id=item_id, note=body.note
        )

    return await w.run("retro", body, command)


@router.post("/retros/{retro_id}/action-items/{item_id}/drop", summary="Drop an action", **CHANGED)
async def drop_action_item(
    retro_id: UUID, item_id: UUID, body: DropAction, w: Plain
) -> JSONResponse:
    """Drop an open action item, with a reason."""

    def command(k: Koers, who: Who) -> Receipt:
        _open_item(k, retro_id, item_id)
        return k.drop_action_item(
            retro_id, actor=who.actor, key=who.key, item_id=item_id, reason=body.reason
        )

    return await w.run("retro", body, command)


@router.post(
    "/retros/{retro_id}/action-items/{item_id}/carry-over", summary="Carry over", **CHANGED
)
async def carry_over(retro_id: UUID, item_id: UUID, body: CarryOver, w: Plain) -> JSONResponse:
    """End an open action item here and continue it in a later retro (one atomic write)."""

    def command(k: Koers, who: Who) -> Receipt:
        _open_item(k, retro_id, item_id)
        return k.carry_over(
            retro_id, actor=who.actor, key=who.key, item_id=item_id, to_retro_id=body.to_retro_id
        )

    return await w.run("retro", body, command)


# -- reflection prompts ----------------------------------------------------------------------


class IssuePrompt(Command):
    to: Handle = Field(description="Who the question is for.")
    question: Text = Field(min_length=1, max_length=1000, examples=["Which call would you redo?"])
    kind: Text = Field("manual", min_length=1, max_length=60, examples=["weekly_review"])
    triggered_by: list[Annotated[Text, Field(max_length=200)]] = Field(
        default_factory=list, max_length=20, description="What prompted it (e.g. event ids)."
    )


class AnswerPrompt(Command):
    answer: Text = Field(min_length=1, max_length=10_000, description="Goes into your journal.")


class SnoozePrompt(Command):
    until: Moment = Field(description="Until when (in the future).")


class DismissPrompt(Command):
    reason: Text = Field("", max_length=2000)


@router.post("/prompts", summary="Issue a prompt", **CREATED)
async def issue_prompt(body: IssuePrompt, w: Plain) -> JSONResponse:
    """Put a reflection question to someone."""
    return await w.run(
        "prompt",
        body,
        lambda k, who: k.issue_prompt(
            actor=who.actor,
            key=who.key,
            to=body.to,
            question=body.question,
            kind=body.kind,
            triggered_by=tuple(body.triggered_by),
        ),
        created=True,
        path="/prompts",
    )


@router.post("/prompts/{prompt_id}/answer", summary="Answer", **CHANGED)
async def answer_prompt(prompt_id: UUID, body: AnswerPrompt, w: Plain) -> JSONResponse:
    """Answer a prompt (only the person it is for)."""
    return await w.run(
        "prompt",
        body,
        lambda k, who: k.answer_prompt(prompt_id, actor=who.actor, key=who.key, answer=body.answer),
    )


@router.post("/prompts/{prompt_id}/snooze", summary="Snooze", **CHANGED)
async def snooze_prompt(prompt_id: UUID, body: SnoozePrompt, w: Plain) -> JSONResponse:
    """Snooze a prompt until a moment in the future."""
    return await w.run(
        "prompt",
        body,
        lambda k, who: k.snooze_prompt(prompt_id, actor=who.actor, key=who.key, until=body.until),
    )


@router.post("/prompts/{prompt_id}/dismiss", summary="Dismiss", **CHANGED)
async def dismiss_prompt(prompt_id: UUID, body: DismissPrompt, w: Plain) -> JSONResponse:
    """Dismiss a prompt."""
    return await w.run(
        "prompt",
        body,
        lambda k, who: k.dismiss_prompt(
            prompt_id, actor=who.actor, key=who.key, reason=body.reason
        ),
    )

"""Reflection, private to each person: the prompt inbox (answer, snooze, dismiss), one
prompt's page (what a notification links to) and the journal of answers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ledger.domain import COMMANDS
from ledger.web._forms import Form, form_of
from ledger.web._reads import at_of, read_view
from ledger.web._render import render
from ledger.web._session import Viewer
from projections import prompt_inbox, reflection_journal

__all__ = ["prompt_forms", "router"]

router = APIRouter(include_in_schema=False)


def prompt_forms(prompt_id: str, next_page: str) -> list[Form]:
    """What one can do with a prompt in one's inbox: answer, snooze, dismiss."""
    return [
        form_of(COMMANDS[name], target=prompt_id, next=next_page)
        for name in ("prompt.answer", "prompt.snooze", "prompt.dismiss")
    ]


@router.get("/reflection")
async def reflection(request: Request, me: Viewer) -> Response:
    """My prompt inbox and my journal."""
    at = at_of(request)
    inbox, problem = await read_view(request, lambda v: prompt_inbox(v, me.handle), at)
    journal, later = await read_view(request, lambda v: reflection_journal(v, me.handle), at)
    forms = {}
    if inbox is not None:
        for item in [*inbox.open, *inbox.snoozed]:
            forms[item.prompt_id] = prompt_forms(item.prompt_id, "/reflection")
    return await render(request, me, "reflection.html", title="Reflection", inbox=inbox,
                        journal=journal, forms=forms, banner=problem or later)  # fmt: skip


@router.get("/prompt/{prompt_id}")
async def prompt_page(request: Request, prompt_id: str, me: Viewer) -> Response:
    """One of my prompts: its question, why it was asked, and its answer or the forms."""
    at = at_of(request)
    inbox, problem = await read_view(request, lambda v: prompt_inbox(v, me.handle), at)
    journal, later = await read_view(request, lambda v: reflection_journal(v, me.handle), at)
    waiting = [i for i in ([*inbox.open, *inbox.snoozed] if inbox else [])
               if i.prompt_id == prompt_id]  # fmt: skip
    answered = [e for e in (journal.entries if journal else []) if e.prompt_id == prompt_id]
    found: Any = (waiting or answered or [None])[0]
    if found is None:
        return await render(request, me, "missing.html", title="Not found", status=404,
                            banner=problem or later,
                            what="This prompt is not in your inbox or journal: prompts are "
                                 "private to the person asked.")  # fmt: skip
    forms = prompt_forms(prompt_id, f"/prompt/{prompt_id}") if waiting else []
    return await render(request, me, "prompt.html", title="Prompt", prompt=found,
                        answered=bool(answered), forms=forms)  # fmt: skip

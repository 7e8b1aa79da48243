"""Reading a person's or team's notification channels (setting them is ``person.notify`` and
``team.notify`` of the command table, at the same paths with POST).

Webhook URLs are secrets: shown in full to the person themself (a team's leads) and admins,
masked to others who may see the person or team (:meth:`Koers.notifications`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ledger.api._auth import principal_of
from ledger.api._common import in_thread, koers_of
from ledger.api._schema import READ_ERRORS

__all__ = ["router"]

router = APIRouter()
_SHOWN = (
    "Its channels: email on/off, the Slack and Teams incoming-webhook URLs (in full only to "
    "the {owner} and admins; masked to others; 'off' when none), digest off/daily/weekly, "
    "quiet hours ('off' or HH:MM-HH:MM in the person's time zone) and the kinds of prompts "
    "sent (['all'] for every kind)."
)


@router.get(
    "/people/{handle}/notify",
    summary="Show a person's notification channels",
    description=_SHOWN.format(owner="person themself"),
    responses=READ_ERRORS,
    operation_id="show_person_notify",
    tags=["person"],
)
async def person_channels(request: Request, handle: str) -> dict[str, Any]:
    return await _channels(request, "person", handle)


@router.get(
    "/teams/{slug}/notify",
    summary="Show a team's chat channels",
    description=_SHOWN.format(owner="team's leads"),
    responses=READ_ERRORS,
    operation_id="show_team_notify",
    tags=["team"],
)
async def team_channels(request: Request, slug: str) -> dict[str, Any]:
    return await _channels(request, "team", slug)


async def _channels(request: Request, kind: str, name: str) -> dict[str, Any]:
    koers, principal = koers_of(request), principal_of(request)
    shown: dict[str, Any] = await in_thread(koers.notifications, principal, kind, name)
    return shown

"""Reading a person's or team's notification channels (setting them is ``person.notify`` and
``team.notify`` of the command table, at the same paths with POST).

Webhook URLs are secrets: shown in full to the person themself (a team's leads) and admins,
masked to others who may see the person or team (:meth:`Koers.notifications`).
"""

from __future__ import annotations

import inspect
from typing import Any

from fastapi import APIRouter, Request

from ledger.api._auth import principal_of
from ledger.api._common import PersonName, TeamName, in_thread, koers_of
from ledger.api._schema import READ_ERRORS
from ledger.domain import COMMANDS

__all__ = ["router"]

router = APIRouter()
_SHOWN = (
    "Its channels: email on/off, the Slack and Teams incoming-webhook URLs (in full only to "
    "the {owner} and admins; masked to others; 'off' when none), digest off/daily/weekly, "
    "quiet hours ('off' or HH:MM-HH:MM in the person's time zone) and the kinds of prompts "
    "sent (['all'] for every kind)."
)


def _route(kind: str, path: str, param: str, owner: str) -> None:
    async def show(request: Request, **named: str) -> dict[str, Any]:
        koers, principal = koers_of(request), principal_of(request)
        name = named[param]
        shown: dict[str, Any] = await in_thread(koers.notifications, principal, kind, name)
        return shown

    show.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
        inspect.Parameter("request", inspect.Parameter.KEYWORD_ONLY, annotation=Request),
        inspect.Parameter(param, inspect.Parameter.KEYWORD_ONLY,
                          annotation=TeamName if kind == "team" else PersonName),
    ])  # fmt: skip
    router.add_api_route(
        f"{path}/{{{param}}}/notify",
        show,
        methods=["GET"],
        summary=f"Show a {kind}'s notification channels",
        description=_SHOWN.format(owner=owner),
        responses=READ_ERRORS,
        operation_id=f"show_{kind}_notify",
        tags=[kind],
    )


def _name(kind: str) -> str:
    """The path parameter naming a ``kind`` in the command table's routes (``handle``,
    ``slug``): the read and the command on ``…/notify`` are one resource."""
    return next(c.named_by.name for c in COMMANDS.of_kind(kind) if c.named_by is not None)


_route("person", "/people", _name("person"), "person themself")
_route("team", "/teams", _name("team"), "team's leads")

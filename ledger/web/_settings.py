"""``/me/notifications``: how I am told of my prompts (e-mail, Slack, Teams, digest, quiet
hours, which kinds) — the same settings as ``koers notify show|set`` and
``GET|POST /people/<handle>/notify``, shown and changed through the command table's form."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ledger.api import in_thread, koers_of
from ledger.domain import COMMANDS, Principal
from ledger.errors import KoersError
from ledger.web._forms import form_of
from ledger.web._render import render
from ledger.web._session import viewer

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Principal, Depends(viewer)]


@router.get("/me/notifications")
async def notifications_page(request: Request, me: Viewer) -> Response:
    """My notification settings, and the form to change them."""
    koers = koers_of(request)
    shown: dict[str, Any] = {}
    banner = ""
    try:
        shown = await in_thread(koers.notifications, me, "person", me.handle)
    except KoersError as e:
        banner = str(e)
    form = form_of(COMMANDS["person.notify"], target=me.handle, next="/me/notifications")
    return await render(request, me, "notifications.html", title="Notifications",
                        shown=shown, form=form, banner=banner)  # fmt: skip

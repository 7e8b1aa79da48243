"""``/me/notifications``: how I am told of my prompts (e-mail, Slack, Teams, digest, quiet
hours, which kinds) — the same settings as ``koers notify show|set`` and
``GET|POST /people/<handle>/notify``, shown and changed through the command table's form."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ledger.api import feed_url, in_thread, koers_of
from ledger.domain import COMMANDS, Principal
from ledger.errors import KoersError
from ledger.web._forms import form_of
from ledger.web._render import render
from ledger.web._session import Viewer, check_form_origin

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/me/notifications")
async def notifications_page(request: Request, me: Viewer) -> Response:
    """My notification settings, and the form to change them."""
    return await _page(request, me)


@router.post("/me/calendar-link")
async def calendar_link(request: Request, me: Viewer) -> Response:
    """Make a new link to my calendar feed (shown on this answer only), or end it."""
    posted = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    check_form_origin(request, me, posted.get("csrf", ""))
    revoke = posted.get("action") == "revoke"
    try:
        secret = await in_thread(partial(koers_of(request).calendar_link_for, revoke=revoke),
                                 me, me.handle)  # fmt: skip
    except KoersError as e:
        return await _page(request, me, banner=str(e), status=422)
    if revoke:
        return await _page(request, me, ended=True)
    return await _page(request, me, link=feed_url(request, secret))


async def _page(request: Request, me: Principal, *, banner: str = "", status: int = 200,
                link: str = "", ended: bool = False) -> Response:  # fmt: skip
    koers = koers_of(request)
    shown: dict[str, Any] = {}
    try:
        shown = await in_thread(koers.notifications, me, "person", me.handle)
    except KoersError as e:
        banner = banner or str(e)
    form = form_of(COMMANDS["person.notify"], target=me.handle, next="/me/notifications")
    return await render(request, me, "notifications.html", title="Notifications",
                        status=status, shown=shown, form=form, banner=banner, link=link,
                        ended=ended)  # fmt: skip

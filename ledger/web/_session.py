"""Who is looking at a page: the browser's session, or the sign-in page.

Pages read the session cookie only (a browser has no bearer token). A page load renews the
session (:func:`ledger.api.set_session`). A form post must carry the session's CSRF token in
its ``csrf`` field and, when the browser sends an ``Origin``, come from this origin.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from ledger.api import COOKIE, Sessions, directory_at_min_position
from ledger.domain import Principal
from ledger.errors import Forbidden, Unauthenticated

__all__ = ["SignInNeeded", "Viewer", "check_form_origin", "csrf_of", "viewer"]


class SignInNeeded(Exception):
    """The browser is not signed in (the page answers with how to sign in)."""


def _sessions(request: Request) -> Sessions:
    sessions: Sessions = request.app.state.sessions
    return sessions


async def viewer(request: Request) -> Principal:
    """The dependency of every page: the signed-in person (else :class:`SignInNeeded`)."""
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        raise SignInNeeded("You are not signed in.")
    try:
        principal, _ = _sessions(request).read(cookie)
    except Unauthenticated as e:
        raise SignInNeeded(str(e)) from None
    request.state.principal = principal
    await directory_at_min_position(request)
    return principal


#: A page's parameter for the person looking at it (:func:`viewer`).
Viewer = Annotated[Principal, Depends(viewer)]


def csrf_of(request: Request, principal: Principal) -> str:
    """The CSRF token the session's forms carry."""
    return _sessions(request).csrf(principal)


def check_form_origin(request: Request, principal: Principal, sent: str) -> None:
    """Refuse a form post from another site, or without the session's CSRF token."""
    origin = request.headers.get("origin")
    if origin is not None and origin.split("://", 1)[-1] != request.headers.get("host", ""):
        raise Forbidden("a form from another site was refused: use the page itself", "")
    if not sent or not hmac.compare_digest(sent, csrf_of(request, principal)):
        raise Forbidden(
            "the form's CSRF token is missing or out of date: reload the page and send it again",
            "",
        )

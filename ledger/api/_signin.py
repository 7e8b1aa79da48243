"""Signing in to the web pages: ``/login?token=…`` (a one-time login link) and ``/logout``.

``koers login-link <handle>`` prints a link (``koers serve`` prints one for the local user at
start). Opening it signs the person in once: the link is then used up, and the browser keeps a
session cookie (HttpOnly, SameSite=Strict, Secure under https) that ends after
``KOERS_SESSION_IDLE_MINUTES`` unused; each page load renews it. The pages themselves are
:mod:`ledger.web`; someone not signed in gets :func:`sign_in_page` from them.
"""

from __future__ import annotations

import html

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ledger.api._auth import COOKIE, Sessions
from ledger.api._common import in_thread, koers_of
from ledger.domain import Principal
from ledger.errors import Unauthenticated

__all__ = ["router", "set_session", "sign_in_page"]

router = APIRouter(include_in_schema=False)

_SIGN_IN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in to Koers</title><link rel="stylesheet" href="/static/koers.css">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml"></head>
<body><main id="main"><h1>Sign in to Koers</h1>
<p class="banner" role="alert">{message}</p>
<p>Ask an admin for a login link, or on the machine that runs Koers type
<code>koers login-link &lt;your handle&gt;</code> and open the link it prints.
A link works once, for {minutes:g} minutes.</p></main></body></html>
"""


def sign_in_page(request: Request, message: str, status: int = 200) -> HTMLResponse:
    """How to sign in, with why this browser is not signed in."""
    minutes = request.app.state.access.login_link_minutes
    text = _SIGN_IN_PAGE.format(message=html.escape(message), minutes=minutes)
    return HTMLResponse(text, status)


def set_session(request: Request, response: Response, principal: Principal) -> None:
    """Give (or renew) the browser's session cookie."""
    sessions: Sessions = request.app.state.sessions
    response.set_cookie(
        COOKIE,
        sessions.cookie(principal),
        max_age=int(sessions.idle_seconds),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


@router.get("/login")
async def login(request: Request, token: str | None = Query(None, max_length=200)) -> Response:
    """Sign in with a one-time login link, then go to the pages."""
    if not token:
        return sign_in_page(request, "Open the login link you were given.")
    try:
        principal = await in_thread(koers_of(request).use_login_link, token)
    except Unauthenticated as e:
        return sign_in_page(request, str(e), 401)
    response = RedirectResponse("/", status_code=303)
    set_session(request, response, principal)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the browser's session."""
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response

"""Adding the pages to the API application: the routers, the static files, sign-in."""

from __future__ import annotations

from importlib.resources import files
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import Response

from ledger.api import sign_in_page
from ledger.domain import Principal
from ledger.web import _commands, _goals, _reflection
from ledger.web._reads import at_of, read_view
from ledger.web._render import render
from ledger.web._session import SignInNeeded, viewer
from projections import prompt_inbox

__all__ = ["install_web"]

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Principal, Depends(viewer)]
_STATIC = {"koers.css": "text/css", "koers.js": "text/javascript",
           "favicon.svg": "image/svg+xml"}  # fmt: skip


@router.get("/static/{name}")
async def static(name: str) -> Response:
    """The pages' style sheet and script (kept for an hour)."""
    if name not in _STATIC:
        raise HTTPException(404)
    body = files("ledger.web").joinpath("static", name).read_bytes()
    return Response(body, media_type=_STATIC[name],
                    headers={"Cache-Control": "public, max-age=3600"})  # fmt: skip


@router.get("/favicon.ico")
async def favicon() -> Response:
    """Browsers ask for it whatever the page says."""
    return await static("favicon.svg")


@router.get("/")
async def my_day(request: Request, me: Viewer) -> Response:
    """What is waiting for me."""
    at = at_of(request)
    inbox, problem = await read_view(request, lambda v: prompt_inbox(v, me.handle), at)
    return await render(request, me, "day.html", title="My day", inbox=inbox, banner=problem)


def _sign_in(request: Request, e: Exception) -> Response:
    return sign_in_page(request, str(e), 200 if request.method == "GET" else 401)


def install_web(api: FastAPI) -> None:
    """Serve the pages from ``api`` (the application :func:`ledger.api.create_api` made)."""
    for module_router in (router, _commands.router, _goals.router, _reflection.router):
        api.include_router(module_router)
    api.add_exception_handler(SignInNeeded, _sign_in)

"""Adding the pages to the API application: the routers, the static files, sign-in."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import Response

from ledger.api import sign_in_page
from ledger.web import (
    _commands,
    _day,
    _decisions,
    _delegations,
    _goals,
    _lineage,
    _quality,
    _reflection,
    _retros,
    _settings,
)
from ledger.web._session import SignInNeeded

__all__ = ["install_web"]

router = APIRouter(include_in_schema=False)
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


def _sign_in(request: Request, e: Exception) -> Response:
    return sign_in_page(request, str(e), 200 if request.method == "GET" else 401)


def install_web(api: FastAPI) -> None:
    """Serve the pages from ``api`` (the application :func:`ledger.api.create_api` made)."""
    for module_router in (
        router,
        _commands.router,
        _day.router,
        _goals.router,
        _reflection.router,
        _retros.router,
        _delegations.router,
        _decisions.router,
        _lineage.router,
        _quality.router,
        _settings.router,
    ):
        api.include_router(module_router)
    api.add_exception_handler(SignInNeeded, _sign_in)

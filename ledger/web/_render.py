"""Rendering a page: the templates, what every page knows, the renewed session.

The environment escapes every value (``autoescape``) and fails on a name a template misspells
(``StrictUndefined``) instead of printing nothing. Every page gets ``me`` (the signed-in
handle), ``csrf`` (its forms' token), ``teams`` (the teams it may look at, for the
navigation), ``path`` (to mark where one is) and ``banner`` (a message to show on top).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ledger.api import in_thread, koers_of, set_session
from ledger.application import Koers
from ledger.domain import COMMANDS, Principal
from ledger.web._session import csrf_of

__all__ = ["percent", "render", "visible_teams", "words"]


def percent(value: Any) -> str:
    """``0.823`` → ``82 %``; nothing → ``–``."""
    if value is None or value == "":
        return "–"
    return f"{round(Decimal(str(value)) * 100)} %"


def words(value: Any) -> str:
    """``at_risk`` → ``at risk``; nothing → ``–``."""
    if value is None or value == "":
        return "–"
    return str(getattr(value, "value", value)).replace("_", " ")


def _moment(value: Any) -> str:
    """A recorded time, short and in UTC: ``2026-11-02 09:00 UTC``."""
    if value is None or value == "":
        return "–"
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


ENV = Environment(
    loader=PackageLoader("ledger.web", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters.update(percent=percent, words=words, moment=_moment)


def _notice(handler: str) -> str:
    """What a form just did (``?done=<command>`` after a write), from the command table only:
    a page never repeats text from its address."""
    command = COMMANDS.by_handler(handler) if handler else None
    return f"Done: {command.summary.rstrip('.')}." if command else ""


def visible_teams(koers: Koers, handle: str) -> list[str]:
    """The teams a person may look at: theirs and every team below one of theirs."""
    directory = koers.directory()
    return sorted(t for t in directory.parents if directory.role(handle, t) is not None)


async def render(
    request: Request,
    principal: Principal,
    template: str,
    *,
    title: str,
    status: int = 200,
    banner: str = "",
    **context: Any,
) -> HTMLResponse:
    """The page ``template`` for ``principal`` (its session renewed)."""
    teams = await in_thread(visible_teams, koers_of(request), principal.handle)
    text = ENV.get_template(template).render(
        title=title,
        me=principal.handle,
        csrf=csrf_of(request, principal),
        teams=teams,
        path=request.url.path,
        banner=banner,
        notice=_notice(request.query_params.get("done", "")),
        **context,
    )
    response = HTMLResponse(text, status)
    set_session(request, response, principal)
    return response

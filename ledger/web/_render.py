"""Rendering a page: the templates, what every page knows, the renewed session.

The environment escapes every value (``autoescape``) and fails on a name a template misspells
(``StrictUndefined``) instead of printing nothing. Every page gets ``me`` (the signed-in
handle), ``csrf`` (its forms' token), ``teams`` (the teams it may look at, for the
navigation), ``path`` (to mark where one is) and ``banner`` (a message to show on top).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ledger.api import in_thread, koers_of, set_session
from ledger.application import Koers
from ledger.domain import COMMANDS, Principal
from ledger.web._session import csrf_of

T = TypeVar("T")

__all__ = ["Paging", "paged", "percent", "render", "visible_teams", "words"]


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


@dataclass(frozen=True)
class Paging:
    """Which part of a long list a page shows: page ``number`` of ``pages``, rows ``first`` to
    ``last`` of ``matching``, and the links to the pages before and after (empty at an end)."""

    number: int
    pages: int
    matching: int
    first: int
    last: int
    newer: str
    older: str


def paged(rows: Sequence[T], asked: str, size: int, link: Callable[[int], str]) -> tuple[
    Sequence[T], Paging
]:  # fmt: skip
    """The rows of the page ``asked`` for (the first when it is not a page number from 1 up,
    the last when it is beyond the end), ``size`` to a page; ``link(n)`` is page n's address."""
    pages = max(1, -(-len(rows) // size))
    number = min(int(asked) if asked.isdigit() and 0 < int(asked) < 1_000_000 else 1, pages)
    shown = rows[(number - 1) * size : number * size]
    first = (number - 1) * size + 1 if shown else 0
    return shown, Paging(number, pages, len(rows), first, first + len(shown) - 1 if shown else 0,
                         link(number - 1) if number > 1 else "",
                         link(number + 1) if number < pages else "")  # fmt: skip


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

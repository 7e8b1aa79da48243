"""One thing of the log (a retro, a delegation) for a page, read as the API's show route
reads it: the aggregate now, and not there for whom may not read it (existence is not
revealed). A page about something one may not see answers 404, as the API does."""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

from fastapi import Request
from fastapi.responses import Response

from ledger.api import in_thread, koers_of
from ledger.domain import AGGREGATES, KoersAggregate, Principal
from ledger.errors import KoersError, NotFound
from ledger.web._render import render

__all__ = ["not_found", "readable"]

A = TypeVar("A", bound=KoersAggregate)


async def readable(
    request: Request, me: Principal, kind: str, cls: type[A], text: str
) -> tuple[A | None, str]:
    """The ``kind`` with id ``text`` if ``me`` may read it; else nothing, and a banner when
    the store could not answer (nothing and no banner: not found)."""
    assert AGGREGATES[kind] is cls
    try:
        ident = UUID(text)
    except ValueError:
        return None, ""
    koers = koers_of(request)
    try:
        thing = await in_thread(koers.load, cls, ident)
        allowed = await in_thread(koers.may_read, me, kind, thing)
    except NotFound:
        return None, ""
    except KoersError as e:
        return None, str(e)
    return (thing if allowed else None), ""


async def not_found(request: Request, me: Principal, what: str, banner: str = "") -> Response:
    """The page for a thing that is not there, or not for this person."""
    return await render(request, me, "missing.html", title="Not found", status=404,
                        banner=banner, what=what)  # fmt: skip

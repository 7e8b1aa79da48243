"""Reads of every kind: list, show (now or ``as_of`` a moment) and history.

A list and a show (now) read the state the views keep (:mod:`projections.things`): filtered,
paged and limited to what the reader may see in SQL, so they cost the same however long the
log; like every view read they answer once the views reach ``min_position`` (read your
writes; 422 beyond the log's last event) and may come from the view cache. A show ``as_of``
a moment and a history read the event store.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import create_model

from ledger.api._auth import principal_of
from ledger.api._common import in_thread, koers_of
from ledger.api._kinds import KINDS
from ledger.api._positions import positions_by_version
from ledger.api._problems import ApiProblem
from ledger.api._read_params import (
    MOMENT_HELP,
    MOMENT_SCHEMA,
    MinPosition,
    MinPositionHeader,
    parse_moment,
    within_the_log,
)
from ledger.api._schema import READ_ERRORS
from ledger.api._states import STATES, HistoryEntry, Page
from ledger.api._views import ViewAt, view_result
from ledger.application import Koers
from ledger.application._reads import complete_state, history_row
from ledger.domain import AGGREGATES, KoersAggregate, Principal
from ledger.errors import NotAllowed, NotFound
from ledger.nats._subjects import event_type
from projections import thing_page, thing_state

__all__ = ["history_rows", "router", "visible_states"]

router = APIRouter()


def _load_as_of(
    koers: Koers, cls: type[KoersAggregate], ident: UUID, moment: datetime
) -> KoersAggregate:
    """The thing as it stood at ``moment``; 404 (not 422) if it did not exist yet then."""
    koers.load(cls, ident)  # NotFound unless it exists, and is of this kind
    try:
        return koers.load_as_of(cls, ident, moment)
    except NotAllowed as e:  # it did not exist yet at that moment
        raise ApiProblem("not-found", str(e)) from None


def _kind_of_events(events: list[Any]) -> str:
    return type(events[0]).__qualname__.split(".")[0] if events else ""


def history_rows(koers: Koers, cls: type[KoersAggregate], kind: str, ident: UUID) -> list[Any]:
    """Every event of one thing, oldest first (``GET /<kind>s/<id>/history``): its stream
    position and version, what happened, who (and with which credential), when, its fields."""
    events = koers.event_history(ident)
    if _kind_of_events(events) != cls.__name__:
        raise NotFound(kind.replace("_", " "), ident)
    positions = positions_by_version(koers, ident)
    return [
        {
            "position": positions.get(event.originator_version),
            **history_row(event, event_type(event)),
        }
        for event in events
    ]


async def _may_read(request: Request, kind: str, thing: KoersAggregate) -> None:
    """Who may not see a thing is told it is not there (existence is not revealed)."""
    koers, principal = koers_of(request), principal_of(request)
    if not await in_thread(koers.may_read, principal, kind, thing):
        raise NotFound(kind.replace("_", " "), thing.id)


def _signature(**params: tuple[Any, Any]) -> inspect.Signature:
    request = inspect.Parameter("request", inspect.Parameter.KEYWORD_ONLY, annotation=Request)
    rest = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=d)
        for name, (annotation, d) in params.items()
    ]
    return inspect.Signature([request, *rest])


Endpoint = Callable[..., Coroutine[Any, Any, Response]]


def visible_states(koers: Koers, principal: Principal, kind: str) -> list[dict[str, Any]]:
    """Every thing of ``kind`` the principal may read, as its state, oldest first."""
    cls = AGGREGATES[kind]
    return [state for a, state in koers.all_derived(cls, _complete)
            if koers.may_read(principal, kind, a)]  # fmt: skip


def _complete(thing: KoersAggregate, events: list[Any]) -> dict[str, Any]:
    """The complete state of ``thing``, from the events already read (shared: read-only)."""
    return complete_state(thing, lambda _: events)


def _min_position(query: dict[str, Any]) -> int | None:
    return max(query["min_position"] or 0, query["koers_min_position"] or 0) or None


def _list_endpoint(kind: str, filters: dict[str, str]) -> Endpoint:
    async def endpoint(request: Request, **query: Any) -> Response:
        koers, principal = koers_of(request), principal_of(request)
        scope = await in_thread(koers.read_scope, principal, kind)
        wanted = {k: v for k, v in query.items() if k in filters and v is not None}
        limit, offset = query["limit"], query["offset"]
        key = ("list", kind, scope, tuple(sorted(wanted.items())), limit, offset)
        page = await view_result(
            request,
            lambda views: thing_page(views, kind, scope, wanted, limit=limit, offset=offset),
            ViewAt(None, None, _min_position(query)),
            key,
        )
        headers = {"Koers-Position": str(page.position)}
        return Response(page.json(limit, offset), media_type="application/json", headers=headers)

    params: dict[str, tuple[Any, Any]] = {
        name: (str | None, Query(None, max_length=200, description=text))
        for name, text in filters.items()
    }
    params["limit"] = (int, Query(100, ge=1, le=1000, description="At most this many."))
    params["offset"] = (int, Query(0, ge=0, le=1_000_000, description="Skip this many first."))
    params["min_position"] = (MinPosition, None)
    params["koers_min_position"] = (MinPositionHeader, None)
    endpoint.__signature__ = _signature(**params)  # type: ignore[attr-defined]
    return endpoint


def _show_endpoint(kind: str) -> Endpoint:
    cls = AGGREGATES[kind]

    async def endpoint(request: Request, **query: Any) -> Response:
        ident: UUID = query[f"{kind}_id"]
        moment = parse_moment(query["as_of"])
        koers = koers_of(request)
        if moment is not None:
            await within_the_log(koers, _min_position(query))
            aggregate = await in_thread(_load_as_of, koers, cls, ident, moment)
            await _may_read(request, kind, aggregate)
            state = await in_thread(complete_state, aggregate, koers.event_history)
            return JSONResponse(state, headers={"ETag": f'"{aggregate.version}"'})
        scope = await in_thread(koers.read_scope, principal_of(request), kind)
        found = await view_result(
            request,
            lambda views: thing_state(views, kind, scope, str(ident)),
            ViewAt(None, None, _min_position(query)),
            ("show", kind, scope, ident),
        )
        if found is None:
            raise NotFound(kind.replace("_", " "), ident)
        version, state_json = found
        headers = {"ETag": f'"{version}"'}
        return Response(state_json, media_type="application/json", headers=headers)

    endpoint.__signature__ = _signature(  # type: ignore[attr-defined]
        **{f"{kind}_id": (UUID, inspect.Parameter.empty)},
        as_of=(
            str | None,
            Query(None, max_length=60, description=MOMENT_HELP, json_schema_extra=MOMENT_SCHEMA),
        ),
        min_position=(MinPosition, None),
        koers_min_position=(MinPositionHeader, None),
    )
    return endpoint


def _history_endpoint(kind: str) -> Endpoint:
    cls = AGGREGATES[kind]

    async def endpoint(request: Request, **query: Any) -> JSONResponse:
        ident: UUID = query[f"{kind}_id"]
        koers = koers_of(request)
        await _may_read(request, kind, await in_thread(koers.load, cls, ident))
        return JSONResponse(await in_thread(history_rows, koers, cls, kind, ident))

    endpoint.__signature__ = _signature(  # type: ignore[attr-defined]
        **{f"{kind}_id": (UUID, inspect.Parameter.empty)}
    )
    return endpoint


def _routes(kind: str, path: str, filters: dict[str, str]) -> None:
    """A kind's reads: the list, one thing (now or as of a moment), its history."""
    name, state = kind.replace("_", " "), STATES[kind]
    listed = create_model(f"{state.__name__}List", __base__=Page, items=(list[state], ...))  # type: ignore[valid-type]
    one = f"{path}/{{{kind}_id}}"
    for route, endpoint, model, operation, summary, description in (
        (path, _list_endpoint(kind, filters), listed, f"list_{kind}s", f"List {name}s",
         f"Every {name}, oldest first, filtered and paged."),
        (one, _show_endpoint(kind), state, f"show_{kind}", f"Show a {name}",
         f"One {name} as it is now, or as it stood `as_of` a past moment, with everything "
         f"its events recorded. The ETag is its version (send it as If-Match to change it "
         f"safely)."),
        (f"{one}/history", _history_endpoint(kind), list[HistoryEntry], f"history_{kind}",
         f"History of a {name}",
         f"Every event of one {name}, oldest first: what happened, who, when."),
    ):  # fmt: skip
        router.add_api_route(
            route,
            endpoint,
            methods=["GET"],
            summary=summary,
            description=description,
            response_model=model,
            responses=READ_ERRORS,
            operation_id=operation,
            tags=[name],
        )


for _kind, (_path, _filters) in KINDS.items():
    _routes(_kind, _path, _filters)

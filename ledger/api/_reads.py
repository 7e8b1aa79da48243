"""Reads from the log: list, show (now or ``as_of`` a moment) and history of every kind.

These read the event store itself, so they are always current: ``min_position`` is
accepted (for clients that send it on every read) and always already satisfied, unless it
lies beyond the log's last event (422, naming the last position), as for the views.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import create_model

from ledger.api._auth import principal_of
from ledger.api._common import in_thread, koers_of
from ledger.api._kinds import KINDS
from ledger.api._positions import positions_by_version
from ledger.api._problems import ApiProblem, FieldError
from ledger.api._schema import READ_ERRORS
from ledger.api._states import STATES, HistoryEntry, Page
from ledger.application import Koers
from ledger.application._reads import complete_state, history_row
from ledger.domain import AGGREGATES, KoersAggregate, Principal
from ledger.errors import NotAllowed, NotFound
from ledger.nats._subjects import event_type

__all__ = [
    "MOMENT_SCHEMA",
    "MinPosition",
    "MinPositionHeader",
    "history_rows",
    "parse_moment",
    "router",
    "visible_states",
    "within_the_log",
]

router = APIRouter()

_MOMENT_HELP = (
    "Answer as it stood at this moment (recorded time): e.g. 2026-10-01T12:00:00+02:00, or a "
    "date (its start, UTC). What we knew then. Encode the offset's + as %2B; sent unencoded "
    "(decoded as a space), it is read as + all the same."
)
#: How a moment parameter (``as_of``) is declared beyond its type: an RFC 3339 date-time or a
#: date, in the years the views answer for (1900–2999), so generated requests are valid; or
#: empty, which means now (a form's blank "as of" field sends it).
_YEARS = "^(19|2[0-9])[0-9]{2}-[0-9]{2}-[0-9]{2}"
MOMENT_SCHEMA: dict[str, Any] = {
    "type": "string",
    "maxLength": 60,
    "anyOf": [
        {"format": "date-time", "pattern": _YEARS},
        {"format": "date", "pattern": _YEARS},
        {"maxLength": 0},
    ],
}
MinPosition = Annotated[
    int | None,
    Query(
        ge=0,
        description="Read your writes: answer only once the data includes this stream position "
        "(a receipt's `position`). Reads from the log are always current.",
    ),
]
MinPositionHeader = Annotated[
    int | None,
    Header(alias="Koers-Min-Position", ge=0, description="Same as the `min_position` query."),
]


#: A time with its offset's ``+`` sent unencoded, which a query string decodes as a space:
#: ``2026-11-28T09:03:44 00:00`` (the offset needs the time before it, so ``2026-11-28 09:03``
#: stays a date and a time).
_SPACED_OFFSET = re.compile(r"(.*\d[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?) (\d{2}(?::?\d{2})?)")


def parse_moment(value: str | None, field: str = "as_of") -> datetime | None:
    """An aware UTC moment from ISO text (a date means its start, UTC); ``None`` for none.

    A ``+`` offset that arrived as a space (a browser's or curl's unencoded ``+``) is read
    as the ``+`` it was."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    spaced = _SPACED_OFFSET.fullmatch(text)
    if spaced is not None:
        text = f"{spaced[1]}+{spaced[2]}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        detail = (
            f"{value!r} is not a time: write it as 2026-11-02T09:00:00+01:00 (in a URL, "
            f"encode + as %2B) or 2026-11-02"
        )
    else:
        try:
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
        except (ValueError, OverflowError):
            detail = f"{value!r} is outside the range of times Koers can use"
    raise ApiProblem(
        "invalid-request", f"{field}: {detail}", [FieldError(field=field, detail=detail)]
    )


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


Endpoint = Callable[..., Coroutine[Any, Any, JSONResponse]]


def visible_states(koers: Koers, principal: Principal, kind: str) -> list[dict[str, Any]]:
    """Every thing of ``kind`` the principal may read, as its state, oldest first."""
    cls = AGGREGATES[kind]
    return [state for a, state in koers.all_derived(cls, _complete)
            if koers.may_read(principal, kind, a)]  # fmt: skip


def _complete(thing: KoersAggregate, events: list[Any]) -> dict[str, Any]:
    """The complete state of ``thing``, from the events already read (shared: read-only)."""
    return complete_state(thing, lambda _: events)


async def within_the_log(koers: Koers, wanted: int | None) -> None:
    """Refuse a ``min_position`` beyond the log's last event (a read and a view alike): no
    write answered it, so waiting for it would only end in a timeout."""
    if not wanted:
        return
    last = await in_thread(koers.recorder.max_notification_id) or 0
    if wanted > last:
        detail = (
            f"is {wanted}, beyond the last event in the log (position {last}): send the "
            f"position a write answered"
        )
        raise ApiProblem(
            "invalid-request",
            f"min_position: {detail}",
            [FieldError(field="min_position", detail=detail)],
            headers={"Koers-Position": str(last)},
        )


def _min_position(query: dict[str, Any]) -> int:
    return max(query["min_position"] or 0, query["koers_min_position"] or 0)


def _list_endpoint(kind: str, filters: dict[str, str]) -> Endpoint:
    async def endpoint(request: Request, **query: Any) -> JSONResponse:
        koers, principal = koers_of(request), principal_of(request)
        await within_the_log(koers, _min_position(query))
        states = await in_thread(visible_states, koers, principal, kind)
        wanted = {k: v for k, v in query.items() if k in filters and v is not None}
        rows = [s for s in states if all(str(s.get(k)) == v for k, v in wanted.items())]
        limit, offset = query["limit"], query["offset"]
        page = {"total": len(rows), "limit": limit, "offset": offset}
        return JSONResponse({"items": rows[offset : offset + limit], **page})

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

    async def endpoint(request: Request, **query: Any) -> JSONResponse:
        ident: UUID = query[f"{kind}_id"]
        moment = parse_moment(query["as_of"])
        koers = koers_of(request)
        await within_the_log(koers, _min_position(query))
        if moment is None:
            aggregate = await in_thread(koers.load, cls, ident)
        else:
            aggregate = await in_thread(_load_as_of, koers, cls, ident, moment)
        await _may_read(request, kind, aggregate)
        state = await in_thread(complete_state, aggregate, koers.event_history)
        headers = {"ETag": f'"{aggregate.version}"'}
        return JSONResponse(state, headers=headers)

    endpoint.__signature__ = _signature(  # type: ignore[attr-defined]
        **{f"{kind}_id": (UUID, inspect.Parameter.empty)},
        as_of=(
            str | None,
            Query(None, max_length=60, description=_MOMENT_HELP, json_schema_extra=MOMENT_SCHEMA),
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

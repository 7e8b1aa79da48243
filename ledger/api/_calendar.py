"""``GET /calendar/<link>.ics``: a person's calendar feed (RFC 5545), for calendar apps.

Calendar apps subscribe to an address and fetch it again every so often with no credential of
their own, so the address is the credential: ``koers calendar-link <handle>`` makes it (a
secret kept as its SHA-256, like a token), ``--revoke`` ends it, and a new one replaces it. An
address that is not a current link is 404, like a thing one may not see.

The feed holds what :meth:`~ledger.application.Koers.calendar_of` gathers. Each item keeps its
uid from fetch to fetch and carries its thing's version as ``SEQUENCE``, so an app moves an
item whose date changed; a date is an all-day event (``DTEND`` the day after, exclusive), a
check-in an event at the moment it is due. ``DTSTAMP`` is when the thing last changed, so
fetching twice gives the same bytes while nothing changed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import Response
from icalendar import Calendar, Event, vDuration
from pydantic import BaseModel, Field

from ledger.api._auth import principal_of
from ledger.api._common import PersonName, in_thread, koers_of
from ledger.api._problems import ApiProblem
from ledger.api._schema import WRITE_ERRORS
from ledger.application import Dated, Koers
from ledger.domain.pages import page_path

__all__ = ["feed_url", "links", "router"]

router = APIRouter(include_in_schema=False)
#: Making and ending a link: for the person themself (and admins), with their credential.
links = APIRouter(tags=["person"])


class CalendarLinkMade(BaseModel):
    """A new calendar link: shown this once (the ledger keeps only its SHA-256)."""

    person: str
    url: str = Field(description="The feed's secret address: subscribe to it in a calendar app.")


@links.post(
    "/people/{person}/calendar-link",
    status_code=201,
    response_model=CalendarLinkMade,
    summary="Make a person's calendar link",
    description="A new secret address of the person's calendar feed (iCalendar: review, "
    "decide-by, check-in, retro and action dates), shown once; the one before stops working. "
    "For the person themself, or an admin.",
    responses=WRITE_ERRORS,
    operation_id="make_calendar_link",
)
async def make_calendar_link(request: Request, person: PersonName) -> CalendarLinkMade:
    koers, principal = koers_of(request), principal_of(request)
    secret = await in_thread(koers.calendar_link_for, principal, person)
    return CalendarLinkMade(person=person, url=feed_url(request, secret))


@links.delete(
    "/people/{person}/calendar-link",
    status_code=204,
    summary="End a person's calendar link",
    description="The feed's address stops working (a new link makes another). For the person "
    "themself, or an admin.",
    responses=WRITE_ERRORS,
    operation_id="revoke_calendar_link",
)
async def revoke_calendar_link(request: Request, person: PersonName) -> Response:
    koers, principal = koers_of(request), principal_of(request)
    await in_thread(partial(koers.calendar_link_for, revoke=True), principal, person)
    return Response(status_code=204)


#: Where each kind of thing has its page (the web page's paths).
#: How often a calendar app should fetch the feed again.
_REFRESH = timedelta(hours=1)


@router.get("/calendar/{link}.ics")
async def calendar_feed(request: Request, link: str) -> Response:
    """A person's calendar feed, opened by the secret link in its address."""
    koers = koers_of(request)
    feed = await in_thread(_feed, koers, link, _base(request))
    if feed is None:
        raise ApiProblem(
            "not-found",
            "no calendar feed at this address: the link was revoked or replaced; ask for a new "
            "one (`koers calendar-link <handle>`, POST /people/<handle>/calendar-link, or the "
            "Notifications page)",
        )
    return Response(feed, media_type="text/calendar; charset=utf-8")


def feed_url(request: Request, secret: str) -> str:
    """The address of the feed a link's ``secret`` opens (for the API and the web page)."""
    return f"{_base(request)}/calendar/{secret}.ics"


def _base(request: Request) -> str:
    public: str = getattr(request.app.state, "public_url", "")
    return (public or str(request.base_url)).rstrip("/")


def _feed(koers: Koers, link: str, base: str) -> bytes | None:
    handle = koers.calendar_holder(link)
    if handle is None:
        return None
    calendar = Calendar()
    calendar.add("prodid", "-//Koers//calendar feed//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"Koers: {handle}")
    calendar.add("refresh-interval", _REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(_REFRESH))  # unknown to icalendar: typed here
    for item in koers.calendar_of(handle):
        calendar.add_component(_event(item, base))
    feed: bytes = calendar.to_ical()
    return feed


def _event(item: Dated, base: str) -> Event:
    event = Event()
    event.add("uid", f"{item.uid}@koers")
    event.add("sequence", item.sequence)
    event.add("dtstamp", item.changed.astimezone(UTC))
    if isinstance(item.when, datetime):
        event.add("dtstart", item.when.astimezone(UTC))
    else:
        event.add("dtstart", item.when)
        event.add("dtend", item.when + timedelta(days=1))
        event.add("transp", "TRANSPARENT")  # a whole day's reminder does not make one busy
    event.add("summary", item.summary)
    url = base + page_path(item.kind, item.thing)
    event.add("description", f"{item.description}\n{url}")
    event.add("url", url)
    return event

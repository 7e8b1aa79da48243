"""What every read of the API takes: a moment to read ``as_of`` and a ``min_position`` to
read your writes (refused when it lies beyond the log's last event)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Header, Query

from ledger.api._common import in_thread
from ledger.api._problems import ApiProblem, FieldError
from ledger.application import Koers

__all__ = [
    "MOMENT_HELP",
    "MOMENT_SCHEMA",
    "MinPosition",
    "MinPositionHeader",
    "parse_moment",
    "within_the_log",
]

MOMENT_HELP = (
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
        "(a receipt's `position`). Reads of the log itself (`as_of`, history) never wait.",
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

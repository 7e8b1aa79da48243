"""Shared field types and the documented error responses of every endpoint."""

from __future__ import annotations

from typing import Any

from ledger.api._common import ReceiptOut
from ledger.api._problems import Problem

__all__ = [
    "CHANGED",
    "CREATED",
    "QUARTER",
    "READ_ERRORS",
    "VIEW_ERRORS",
    "WRITE_ERRORS",
]

#: A quarter such as 2026-Q4 (years 1900–2999).
QUARTER = r"^(19|2[0-9])[0-9]{2}-Q[1-4]$"


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description}


_COMMON: dict[int | str, dict[str, Any]] = {
    400: _problem("The body is not JSON, or a header is malformed."),
    401: _problem(
        "No credential, or one that proves nobody: send `Authorization: Bearer <token>`."
    ),
    403: _problem("Signed in, but your roles do not allow this: `detail` says who may."),
    422: _problem(
        "A field is missing, malformed or breaks a rule (the problem's `errors` name the "
        "fields), the command does not fit the current state, or the Idempotency-Key was "
        "used for another command."
    ),
    500: _problem("A bug on our side (never caused by what you sent)."),
    503: _problem("The event store is unreachable: retry after `Retry-After` seconds."),
}

WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **_COMMON,
    404: _problem("The thing addressed in the path does not exist."),
    409: _problem("Someone changed it since the version you sent (If-Match): reload and retry."),
    413: _problem("The event would be too large for the stream."),
    507: _problem(
        "The event store's disk is full: nothing was stored. Retry once space is freed "
        "(`koers serve` then restarts its nats-server by itself)."
    ),
}

READ_ERRORS: dict[int | str, dict[str, Any]] = {
    **_COMMON,
    404: _problem("Nothing of this kind has this id (or it did not exist yet at `as_of`)."),
}

VIEW_ERRORS: dict[int | str, dict[str, Any]] = {
    **_COMMON,
    304: {
        "description": "Not modified: `If-None-Match` named this answer's `ETag` (the same "
        "views' position, parameters and, for a live answer, the same moment it was made)."
    },
    404: _problem(
        "No team you may see by that name (a team's views are for its members and those of "
        "the teams above it); a person's prompts and journal are theirs alone."
    ),
    503: _problem(
        "The event store is unreachable, the views did not reach `min_position` within "
        "2 s, or too many `as_of`/`position` reads are being rebuilt at once: retry after "
        "`Retry-After` seconds."
    ),
}


def _header(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "string"}}


_RECEIPT_HEADERS = {
    "ETag": _header('The version after the command, e.g. `"2"`: send it as If-Match next.'),
    "Koers-Position": _header("The stream position of the command's (last) event."),
    "Idempotent-Replayed": _header("`true` when this answers a retry of a done command."),
}
#: The route options of a change: 200 with the receipt, the write errors documented.
CHANGED: dict[str, Any] = {
    "response_model": ReceiptOut,
    "response_description": "Done: the receipt.",
    "responses": {**WRITE_ERRORS, 200: {"headers": _RECEIPT_HEADERS}},
}
#: The route options of a create: 201 with the receipt and the new thing's Location.
CREATED: dict[str, Any] = {
    "status_code": 201,
    "response_model": ReceiptOut,
    "response_description": "Created: the receipt.",
    "responses": {
        **WRITE_ERRORS,
        201: {"headers": {**_RECEIPT_HEADERS, "Location": _header("Where to GET it.")}},
    },
}

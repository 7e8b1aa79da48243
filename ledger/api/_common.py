"""What every write shares: who acts, idempotency, ``If-Match``, receipts.

- **Who acts**: the person the request's credential proves (:mod:`ledger.api._auth`). A
  service token made to act for others names the person in the ``Koers-Actor`` header or the
  body's ``actor`` field (when both are given they must agree); any other credential may
  only name itself there.
- **Idempotency**: the ``Idempotency-Key`` header is the command's key. The same command
  sent again with the same key takes effect once and answers the first receipt, with
  ``replayed: true`` (and the header ``Idempotent-Replayed: true``).
- **Optimistic concurrency**: every change takes ``If-Match: <version>`` (or the body's
  ``expected_version``) and is refused with 409 if the thing moved past that version. A
  create refuses an ``If-Match`` header (400) rather than ignore it.
- The sync application runs in a worker thread (``anyio.to_thread``): its NATS calls go to
  its own private event loop, never the server's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from functools import partial
from typing import Annotated, Any, TypeVar
from uuid import UUID

import anyio.to_thread
from fastapi import Header, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ledger.api._positions import position_of
from ledger.api._problems import ApiProblem, FieldError
from ledger.application import Koers, Receipt
from ledger.domain import COMMANDS, IDEMPOTENCY_KEY

__all__ = [
    "PersonName",
    "ReceiptOut",
    "TeamName",
    "WriteContext",
    "in_thread",
    "koers_of",
    "named_path",
    "plain_writer",
    "versioned_writer",
]

T = TypeVar("T")


class ReceiptOut(BaseModel):
    """What a command did."""

    kind: str = Field(description="The kind of thing changed.", examples=["decision"])
    id: UUID = Field(description="Its id.")
    version: int = Field(description="Its version after the command.", examples=[2])
    position: int | None = Field(
        description="Stream position of the command's (last) event. Pass it as `min_position` "
        "to read your own write from the views.",
        examples=[42],
    )
    replayed: bool = Field(
        description="True when this answers a retry of a command already done (same "
        "Idempotency-Key): it took effect once, the first time.",
        examples=[False],
    )
    item_id: UUID | None = Field(
        None, description="The id of the part the command added: a check-in, an action item."
    )
    secret: str | None = Field(
        None,
        description="A new token's secret, shown this once (Koers keeps only its hash): send "
        "it as `Authorization: Bearer <secret>`.",
    )


def koers_of(request: Request) -> Koers:
    koers: Koers = request.app.state.koers
    return koers


async def in_thread(function: Callable[..., T], *args: Any) -> T:
    """Run a call of the sync application in a worker thread."""
    return await anyio.to_thread.run_sync(partial(function, *args))


_ETAG = re.compile(r'\s*(?:W/)?"?(\d{1,18})"?\s*')


def _parse_if_match(value: str | None) -> int | None:
    if value is None or value.strip() == "*":
        return None
    match = _ETAG.fullmatch(value)
    if match is None or int(match[1]) < 1:
        raise ApiProblem(
            "bad-request",
            f"If-Match: {value!r} is not a version: send the version you read, e.g. "
            f'If-Match: "3" (the ETag of GET on the thing)',
            [FieldError(field="If-Match", detail="not a version number")],
        )
    return int(match[1])


ActorHeader = Annotated[
    str | None,
    Header(
        alias="Koers-Actor",
        max_length=120,
        description="For a service token that may act for others: whom it acts for.",
        examples=["ann"],
    ),
]
KeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=IDEMPOTENCY_KEY.most,
        description="Makes the command safe to retry: sent again with the same key it takes "
        "effect once and answers the first receipt (`replayed: true`); the same key with another "
        "command or other values is refused (422 `key-reused`). Make a new one per command, "
        "e.g. `3f1c8e0a-retro-2026-11-27-action-1`.",
    ),
]
IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=40,
        json_schema_extra={"pattern": r'^(W/)?"?[1-9][0-9]{0,17}"?$'},
        description='Refuse (409) unless the thing is still at this version, e.g. `"3"` '
        "(the ETag of GET on it).",
        examples=['"3"'],
    ),
]


@dataclass
class WriteContext:
    """The parts of a write request that are not the body."""

    request: Request
    actor: str | None
    key: str
    if_match: int | None

    def actor_of(self, body_actor: Any) -> Any:
        """Who the caller says acts, if anyone: the ``Koers-Actor`` header or the body's
        ``actor`` (they must agree). The application decides whether the caller's
        credential may act for them (only a service token made to)."""
        if body_actor is not None and self.actor is not None and body_actor != self.actor:
            raise _invalid("actor", "the body's actor and the Koers-Actor header differ")
        return body_actor if body_actor is not None else self.actor

    def expected_of(self, body_expected: Any) -> Any:
        """The expected version: the body's ``expected_version`` or ``If-Match`` (agreeing)."""
        if None not in (body_expected, self.if_match) and body_expected != self.if_match:
            raise ApiProblem(  # at most one of them is the current version: a version conflict
                "conflict",
                f"expected_version {body_expected} and If-Match {self.if_match} differ: at "
                f"most one of them is the current version; send one (the ETag of GET on it)",
            )
        return body_expected if body_expected is not None else self.if_match

    async def answer(self, kind: str, receipt: Receipt, *, created: bool) -> JSONResponse:
        """The receipt: 201 with ``Location`` for a create, else 200; ETag and position."""
        koers = koers_of(self.request)
        if receipt.replayed and receipt.position is None:
            found = await in_thread(position_of, koers, receipt.id, receipt.version)
            receipt = replace(receipt, position=found)
        out = ReceiptOut(kind=kind, **asdict(receipt))
        headers = {"ETag": f'"{receipt.version}"'}
        if receipt.position is not None:
            headers["Koers-Position"] = str(receipt.position)
        if receipt.replayed:
            headers["Idempotent-Replayed"] = "true"
        if created:
            headers["Location"] = f"{self.request.url.path.rstrip('/')}/{receipt.id}"
        return JSONResponse(
            out.model_dump(mode="json", exclude_none=True), 201 if created else 200, headers
        )


def _invalid(field: str, detail: str) -> ApiProblem:
    return ApiProblem(
        "invalid-request", f"{field}: {detail}", [FieldError(field=field, detail=detail)]
    )


def plain_writer(
    request: Request, actor: ActorHeader = None, idempotency_key: KeyHeader = None
) -> WriteContext:
    """Dependency of a command that takes no expected version (it refuses If-Match)."""
    if "if-match" in request.headers:
        raise ApiProblem(
            "bad-request",
            "this command does not take If-Match (it cannot be made conditional yet): "
            "send it without the header",
            [FieldError(field="If-Match", detail="not supported by this command")],
        )
    return WriteContext(request, actor, idempotency_key or "", None)


def versioned_writer(
    request: Request,
    actor: ActorHeader = None,
    idempotency_key: KeyHeader = None,
    if_match: IfMatchHeader = None,
) -> WriteContext:
    """Dependency of a command that takes an expected version (If-Match)."""
    return WriteContext(request, actor, idempotency_key or "", _parse_if_match(if_match))


def named_path(kind: str, description: str) -> Any:
    """A path parameter naming a thing of ``kind`` as the command table names it (a team by
    its slug, a person by their handle): declared with the pattern the domain checks, so a
    client (or a fuzzer) generating from the OpenAPI document sends names of that form."""
    field = next(c.named_by for c in COMMANDS.of_kind(kind) if c.named_by is not None)
    schema = field.schema()
    return Path(pattern=schema["pattern"], max_length=schema.get("maxLength"),
                description=description, examples=[field.example])  # fmt: skip


#: A team in a path (its slug), a person in a path (their handle).
TeamName = Annotated[str, named_path("team", "The team (its slug).")]
PersonName = Annotated[str, named_path("person", "A person's handle.")]

"""What every endpoint shares: field types, who acts, idempotency, ``If-Match``, receipts.

- **Who acts**: the ``Koers-Actor`` header or the body's ``actor`` field (a person's handle);
  one of them is required on every write, and when both are given they must agree.
- **Idempotency**: the ``Idempotency-Key`` header is the command's key. The same command
  sent again with the same key takes effect once and answers the first receipt, with
  ``replayed: true`` (and the header ``Idempotent-Replayed: true``).
- **Optimistic concurrency**: on the commands that support it, ``If-Match: <version>`` (or
  the body's ``expected_version``) refuses the command with 409 if the thing moved past that
  version. Other commands refuse an ``If-Match`` header (400) rather than ignore it.
- The sync application runs in a worker thread (``anyio.to_thread``): its NATS calls go to
  its own private event loop, never the server's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Any, TypeVar
from uuid import UUID

import anyio.to_thread
from fastapi import Header, Request
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from ledger.api._positions import position_of
from ledger.api._problems import ApiProblem, FieldError
from ledger.application import Koers, Receipt
from ledger.domain import IDEMPOTENCY_KEY
from ledger.domain._base import one_person

__all__ = [
    "Command",
    "Handle",
    "Moment",
    "ReceiptOut",
    "Text",
    "Versioned",
    "Who",
    "WriteContext",
    "in_thread",
    "koers_of",
    "plain_writer",
    "versioned_writer",
]

T = TypeVar("T")


def _valid_unicode(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("contains characters that are not valid Unicode text") from None
    return value


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError("is outside the range of times Koers can record") from None


#: Any text (valid Unicode); lengths are set per field.
Text = Annotated[str, AfterValidator(_valid_unicode)]
#: One person's handle, e.g. ``ann`` or ``ann@example.org``.
Handle = Annotated[str, Field(min_length=1, max_length=120, examples=["ann"])]
#: A moment with a time zone, e.g. ``2026-11-02T09:00:00+01:00`` (stored in UTC).
Moment = Annotated[AwareDatetime, AfterValidator(_utc)]


class Command(BaseModel):
    """Base of every command body."""

    model_config = ConfigDict(extra="forbid")

    actor: Handle | None = Field(
        None,
        description="Who does this (a person's handle). Alternatively the `Koers-Actor` "
        "header; when both are given they must agree.",
    )

    def fields(self, *exclude: str) -> dict[str, Any]:
        """The command's own fields (not ``actor``/``expected_version``), as Python values."""
        skip = {"actor", "expected_version", *exclude}
        return {name: getattr(self, name) for name in type(self).model_fields if name not in skip}


class Versioned(Command):
    """A command that takes an expected version (optimistic concurrency)."""

    expected_version: int | None = Field(
        None,
        ge=1,
        description="Refuse (409) if the thing is no longer at this version. Same as the "
        "`If-Match` header.",
        examples=[3],
    )


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
    item_id: UUID | None = Field(None, description="The new action item's id (action items).")


@dataclass(frozen=True)
class Who:
    """Who acts, the command's idempotency key and expected version, resolved."""

    actor: str
    key: str
    expected_version: int | None


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
        description="Who does this (a person's handle), unless the body's `actor` says it.",
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
        "effect once and answers the first receipt (`replayed: true`).",
        examples=["3f1c8e0a-retro-2026-11-27-action-1"],
    ),
]
IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=40,
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
    versioned: bool

    def who(self, body: Command) -> Who:
        self.request.state.body = body  # to name the field of an unknown referenced id
        actor = body.actor or self.actor
        if body.actor and self.actor and body.actor != self.actor:
            raise _invalid("actor", "the body's actor and the Koers-Actor header differ")
        if not actor:
            raise _invalid(
                "actor", "say who does this: the Koers-Actor header or the body's actor field"
            )
        expected = getattr(body, "expected_version", None)
        if expected is not None and self.if_match is not None and expected != self.if_match:
            raise _invalid("expected_version", "expected_version and If-Match differ")
        return Who(one_person("actor", actor), self.key, expected or self.if_match)

    def actor_of(self, body_actor: Any) -> Any:
        """Who acts: the ``Koers-Actor`` header or the body's ``actor`` (they must agree).
        The application checks it is one person's handle."""
        if body_actor is not None and self.actor is not None and body_actor != self.actor:
            raise _invalid("actor", "the body's actor and the Koers-Actor header differ")
        actor = body_actor if body_actor is not None else self.actor
        if actor is None:
            raise _invalid(
                "actor", "say who does this: the Koers-Actor header or the body's actor field"
            )
        return actor

    def expected_of(self, body_expected: Any) -> Any:
        """The expected version: the body's ``expected_version`` or ``If-Match`` (agreeing)."""
        if None not in (body_expected, self.if_match) and body_expected != self.if_match:
            raise _invalid("expected_version", "expected_version and If-Match differ")
        return body_expected if body_expected is not None else self.if_match

    async def answer(self, kind: str, receipt: Receipt, *, created: bool) -> JSONResponse:
        """The receipt: 201 with ``Location`` for a create, else 200; ETag and position."""
        koers = koers_of(self.request)
        if receipt.replayed and receipt.position is None:
            found = await in_thread(position_of, koers, receipt.id, receipt.version)
            receipt = replace(receipt, position=found)
        out = ReceiptOut(
            kind=kind,
            id=receipt.id,
            version=receipt.version,
            position=receipt.position,
            replayed=receipt.replayed,
            item_id=receipt.item_id,
        )
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

    async def run(
        self,
        kind: str,
        body: Command,
        command: Callable[[Koers, Who], Receipt | tuple[Receipt, UUID]],
        *,
        created: bool = False,
        path: str = "",
    ) -> JSONResponse:
        """Run ``command`` in a worker thread; answer its receipt (201 for a create)."""
        who = self.who(body)
        koers = koers_of(self.request)
        result = await in_thread(command, koers, who)
        receipt, item_id = result if isinstance(result, tuple) else (result, None)
        if receipt.replayed and receipt.position is None:
            found = await in_thread(position_of, koers, receipt.id, receipt.version)
            receipt = Receipt(receipt.id, receipt.version, found, replayed=True)
        out = ReceiptOut(
            kind=kind,
            id=receipt.id,
            version=receipt.version,
            position=receipt.position,
            replayed=receipt.replayed,
            item_id=item_id,
        )
        headers = {"ETag": f'"{receipt.version}"'}
        if receipt.position is not None:
            headers["Koers-Position"] = str(receipt.position)
        if receipt.replayed:
            headers["Idempotent-Replayed"] = "true"
        if created:
            headers["Location"] = f"{path}/{receipt.id}"
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
    return WriteContext(request, actor, idempotency_key or "", None, False)


def versioned_writer(
    request: Request,
    actor: ActorHeader = None,
    idempotency_key: KeyHeader = None,
    if_match: IfMatchHeader = None,
) -> WriteContext:
    """Dependency of a command that takes an expected version (If-Match)."""
    return WriteContext(request, actor, idempotency_key or "", _parse_if_match(if_match), True)

"""Credentials: API tokens and one-time login links, recorded without their secrets.

A **token** belongs to one person of the directory. The ledger records that it was made (for
whom, its label, when it expires, whether it is read-only or may act for others) and the
SHA-256 of its secret, never the secret itself: the secret is shown once, to whoever made it.
A token ends when it expires or is revoked.

A **login link** signs one person in to the web page once, within minutes: the ledger records
that it was issued (with the SHA-256 of its secret) and that it was used; a second use finds
it used already (optimistic concurrency makes that true across processes).

A **calendar link** is the secret address of one person's calendar feed, which calendar apps
fetch with no other credential. A person has at most one: its id derives from the handle, a new
link replaces the SHA-256 the ledger keeps (so the old address finds nothing), and a revoked
link finds nothing until a new one is made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID, uuid5

from ledger.domain import _clock
from ledger.domain._base import NAMESPACE, Given, KoersAggregate, changes, still_open
from ledger.domain._commands import Command
from ledger.domain._fields import Boolean, Field, Handle, Text
from ledger.domain.access import ADMIN, SELF
from ledger.errors import NotAllowed

__all__ = [
    "CREATE_TOKEN",
    "CREDENTIAL_COMMANDS",
    "REVOKE_TOKEN",
    "CalendarLink",
    "Lifetime",
    "LoginLink",
    "Token",
    "calendar_link_id",
]

_LIFETIME = re.compile(r"(\d{1,6})\s*([dh]?)")
_MOST = timedelta(days=3650)


@dataclass(frozen=True, kw_only=True)
class Lifetime(Field):
    """How long a credential lasts: days (``90d``, or a whole number) or hours (``12h``),
    from an hour to ten years."""

    metavar: ClassVar[str] = "DURATION"
    json_types: ClassVar[tuple[type, ...]] = (str, int)
    json_name: ClassVar[str] = "a duration such as '90d' or '12h'"

    def check(self, value: Any) -> timedelta:
        if isinstance(value, timedelta):
            span = value
        else:
            match = _LIFETIME.fullmatch(str(value).strip().lower())
            if match is None or isinstance(value, bool):
                raise self.fail(f"{value!r} is not a duration: write e.g. 90d (days) or 12h")
            count, unit = int(match[1]), match[2] or "d"
            span = timedelta(hours=count) if unit == "h" else timedelta(days=count)
        if not timedelta(hours=1) <= span <= _MOST:
            raise self.fail("must be between 1h and 3650d")
        return span

    def canonical(self, value: Any) -> Any:
        return int(value.total_seconds()) if isinstance(value, timedelta) else value

    def _schema(self) -> dict[str, Any]:
        return {"anyOf": [{"type": "string", "pattern": r"^\s*\d{1,6}\s*[dhDH]?\s*$"},
                          {"type": "integer", "minimum": 1, "maximum": 3650}]}  # fmt: skip


_HOLDER = Handle(name="handle", help="Whose token it is (a person's handle).", example="ann")
CREATE_TOKEN = Command(
    "token.create",
    "Make an API token for a person; its secret is shown once.",
    (
        _HOLDER,
        Text(
            name="label",
            help="What it is for.",
            most=120,
            line=True,
            default="",
            example="laptop CLI",
        ),
        Lifetime(
            name="expires", help="How long it works (e.g. 90d, 12h).", default="90d", example="90d"
        ),
        Boolean(name="read_only", help="It may read, never write.", default=False, example=False),
        Boolean(
            name="on_behalf",
            option="act-for-others",
            default=False,
            example=False,
            help="A service's token: it may act for another person (Koers-Actor), "
            "who must be allowed the command; only an admin may make one.",
        ),
    ),
    creates=True,
    event="Issued",
    arguments=("handle",),
    example="ann --label 'laptop CLI' --expires 90d",
    may=(ADMIN, SELF),
)
REVOKE_TOKEN = Command(
    "token.revoke",
    "Revoke an API token: it stops working at once.",
    (
        Text(
            name="reason",
            help="Why, in a few words.",
            default="revoked",
            most=300,
            example="laptop lost",
        ),
    ),
    event="Revoked",
    example="<id> --reason 'laptop lost'",
    may=(ADMIN, SELF),
)

CREDENTIAL_COMMANDS = (CREATE_TOKEN, REVOKE_TOKEN)


class _TokenGiven(Given):
    """What a token starts with: its Issued event's fields, its first attributes."""

    handle: str
    label: str
    expires_at: datetime
    read_only: bool
    on_behalf: bool
    secret_sha256: str


class Token(_TokenGiven, KoersAggregate):
    """An API token of one person (its secret is not recorded, only its SHA-256)."""

    if TYPE_CHECKING:  # attributes, not dataclass fields (the events carry the data)
        created_at: datetime
        revoked: bool

    class Issued(_TokenGiven, KoersAggregate.Created):
        class_version: ClassVar[int] = 1  # new with ``credential``: no older shape

        def apply(self, token: Token) -> None:
            self.adopt(token)
            token.created_at = self.timestamp
            token.revoked = False

    class Revoked(KoersAggregate.Event):
        class_version: ClassVar[int] = 1  # new with ``credential``: no older shape

        reason: str

        def apply(self, token: Token) -> None:
            token.revoked = True

    @classmethod
    def create(
        cls, *, id: UUID, actor: str, secret_sha256: str, command_id: str = "", **values: Any
    ) -> Token:
        checked = CREATE_TOKEN.check(values)
        lifetime = CREATE_TOKEN.field("expires").check(checked.pop("expires"))  # default: text
        expires_at = _clock.now() + lifetime
        return cls._create(cls.Issued, id=id, actor=actor, command_id=command_id,
                           expires_at=expires_at, secret_sha256=secret_sha256,
                           **checked)  # fmt: skip

    revoke = changes(
        REVOKE_TOKEN,
        lambda token, *_: still_open(not token.revoked, "the token is revoked already"),
    )

    def works(self, at: datetime) -> bool:
        """Not revoked and not expired at ``at``."""
        return not self.revoked and at < self.expires_at


class _LoginLinkGiven(Given):
    """What a login link starts with: its Issued event's fields, its first attributes."""

    handle: str
    expires_at: datetime
    secret_sha256: str


class LoginLink(_LoginLinkGiven, KoersAggregate):
    """A one-time link that signs a person in to the web page."""

    if TYPE_CHECKING:
        used: bool

    class Issued(_LoginLinkGiven, KoersAggregate.Created):
        class_version: ClassVar[int] = 1  # new with ``credential``: no older shape

        def apply(self, link: LoginLink) -> None:
            self.adopt(link)
            link.used = False

    class Used(KoersAggregate.Event):
        class_version: ClassVar[int] = 1  # new with ``credential``: no older shape

        def apply(self, link: LoginLink) -> None:
            link.used = True

    @classmethod
    def issue(
        cls, *, id: UUID, actor: str, handle: str, lifetime: timedelta, secret_sha256: str
    ) -> LoginLink:
        return cls._create(cls.Issued, id=id, actor=actor, command_id="", handle=handle,
                           expires_at=_clock.now() + lifetime,
                           secret_sha256=secret_sha256)  # fmt: skip

    def use(self) -> None:
        """Sign in with the link: once, before it expires."""
        if self.used:
            raise NotAllowed("this login link was used already: ask for a new one")
        if _clock.now() >= self.expires_at:
            raise NotAllowed("this login link has expired: ask for a new one")
        self.trigger_event(self.Used, actor=self.handle, command_id="")


def calendar_link_id(handle: str) -> UUID:
    """The id of a person's calendar link (one per person)."""
    return uuid5(NAMESPACE, f"calendar-link/{handle.strip()}")


class _CalendarLinkGiven(Given):
    """What a calendar link starts with: its Issued event's fields, its first attributes."""

    handle: str
    secret_sha256: str


class CalendarLink(_CalendarLinkGiven, KoersAggregate):
    """The secret address of one person's calendar feed (only its SHA-256 is recorded)."""

    if TYPE_CHECKING:
        revoked: bool

    class Issued(_CalendarLinkGiven, KoersAggregate.Created):
        class_version: ClassVar[int] = 1  # new with ``calendar_link``: no older shape

        def apply(self, link: CalendarLink) -> None:
            self.adopt(link)
            link.revoked = False

    class Replaced(KoersAggregate.Event):
        class_version: ClassVar[int] = 1  # new with ``calendar_link``: no older shape

        secret_sha256: str

        def apply(self, link: CalendarLink) -> None:
            link.secret_sha256, link.revoked = self.secret_sha256, False

    class Revoked(KoersAggregate.Event):
        class_version: ClassVar[int] = 1  # new with ``calendar_link``: no older shape

        def apply(self, link: CalendarLink) -> None:
            link.revoked = True

    @classmethod
    def issue(cls, *, actor: str, handle: str, secret_sha256: str) -> CalendarLink:
        return cls._create(cls.Issued, id=calendar_link_id(handle), actor=actor, command_id="",
                           handle=handle, secret_sha256=secret_sha256)  # fmt: skip

    def replace(self, *, actor: str, secret_sha256: str) -> None:
        """A new secret address: the one before stops working."""
        self.trigger_event(self.Replaced, actor=actor, command_id="", secret_sha256=secret_sha256)

    def revoke(self, *, actor: str) -> None:
        still_open(not self.revoked, "the calendar link is revoked already")
        self.trigger_event(self.Revoked, actor=actor, command_id="")

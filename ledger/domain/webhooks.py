"""Outgoing webhooks: a person asks for the events they may read to be sent to a URL.

A webhook belongs to the person who registered it (its ``owner``, the proven actor), and is
sent only what that person may read, now (the access rules at delivery time); ``team``
narrows it to the things of one team (and the teams below it), ``events`` to the event types
matching one of its globs (``decision.*``, ``prompt.issued``).

The webhook's signing secret (Standard Webhooks ``whsec_…``) is shown once, to whoever made
it. The ledger is immutable and readable by auditors, so it records the secret only sealed
(AES-GCM under a key kept outside the ledger, :mod:`ledger.application._sealing`); the
workers unseal it to sign deliveries.

Invariants: a webhook's URL is ``http`` or ``https`` with a host; its globs are event-type
patterns (letters, digits, ``_``, ``.`` and ``*``); a removed webhook is sent nothing more
and cannot be removed twice.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit
from uuid import UUID

from ledger.domain._base import Given, KoersAggregate, changes, still_open
from ledger.domain._commands import Command
from ledger.domain._fields import Field
from ledger.domain.access import ADMIN, ITS_OWNER
from ledger.domain.credentials import CREATE_TOKEN, REVOKE_TOKEN
from ledger.domain.directory import Slug

__all__ = [
    "ADD_WEBHOOK",
    "REMOVE_WEBHOOK",
    "WEBHOOK_COMMANDS",
    "EventGlobs",
    "Webhook",
    "WebhookUrl",
    "matches",
]

_GLOB = re.compile(r"[a-z_*]+(\.[a-z_*]+)?|\*")


def matches(globs: tuple[str, ...], event_type: str) -> bool:
    """Whether an event type (``decision.made``) matches one of the globs."""
    return any(fnmatch.fnmatchcase(event_type, g) for g in globs)


@dataclass(frozen=True, kw_only=True)
class WebhookUrl(Field):
    """Where deliveries are POSTed: an ``http`` or ``https`` URL with a host."""

    metavar: ClassVar[str] = "URL"

    def check(self, value: Any) -> str:
        text = value.strip() if isinstance(value, str) else ""
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname or len(text) > 2000:
            raise self.fail(
                f"{value!r} is not a webhook URL: give http(s)://host/path, "
                f"e.g. https://retro.example.org/hooks/koers"
            )
        if parts.username or parts.password:
            raise self.fail("must not hold a user or password: the signature authenticates")
        return text

    def _schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "uri", "pattern": "^https?://", "maxLength": 2000}


@dataclass(frozen=True, kw_only=True)
class EventGlobs(Field):
    """Event types as globs, comma-separated (``decision.*,prompt.issued``; ``*``: all)."""

    metavar: ClassVar[str] = "GLOBS"

    def check(self, value: Any) -> tuple[str, ...]:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list | tuple):
            raise self.fail(f"{value!r} is not a list of event types")
        globs = tuple(dict.fromkeys(str(g).strip().lower() for g in items if str(g).strip()))
        bad = [g for g in globs if not _GLOB.fullmatch(g)]
        if bad or not globs or len(globs) > 50:
            raise self.fail(
                f"{', '.join(bad) or value!r}: give event types or globs such as "
                f"'decision.*,prompt.issued' (kind.type; '*' matches any part)"
            )
        return globs

    def from_json(self, value: Any) -> Any:
        if not isinstance(value, str | list):
            raise self.fail(f"{value!r} is not a glob list such as 'decision.*,prompt.*'")
        return self.check(value)

    def canonical(self, value: Any) -> Any:
        return ",".join(value) if isinstance(value, tuple) else value

    def _schema(self) -> dict[str, Any]:
        item = {"type": "string", "pattern": f"^(?:{_GLOB.pattern})$"}
        return {"anyOf": [{"type": "string"}, {"type": "array", "items": item, "maxItems": 50}]}


ADD_WEBHOOK = Command(
    "webhook.add",
    "Register a webhook: the events you may read, POSTed to a URL, signed; the signing "
    "secret is shown once.",
    (
        WebhookUrl(name="url", help="Where to POST each event.", example="https://example.org/h"),
        EventGlobs(
            name="events",
            help="Which event types, as globs (e.g. 'decision.*,prompt.*'; '*': all).",
            default="*",
            example="decision.*,prompt.*",
        ),
        Slug(
            name="team",
            help="Only the things of this team (and the teams below it).",
            default=None,
            example="platform",
        ),
        replace(CREATE_TOKEN.field("label"), example="retro tool"),
    ),
    creates=True,
    event="Added",
    arguments=("url",),
    example="https://retro.example.org/hooks/koers --events 'decision.*,prompt.*' --team platform",
    description=(
        "Register a webhook for yourself. Each event you may read (now, by the access rules) "
        "whose type matches one of the globs is POSTed to the URL following the Standard "
        "Webhooks specification (headers webhook-id, webhook-timestamp, webhook-signature), "
        "retried with exponential backoff for 24 h, then listed in the failures. The answer "
        "carries the signing secret (whsec_…) this once."
    ),
    may=(ITS_OWNER,),
)
REMOVE_WEBHOOK = Command(
    "webhook.remove",
    "Remove a webhook: nothing more is sent to it.",
    (replace(REVOKE_TOKEN.field("reason"), default="removed", example="tool retired"),),
    event="Removed",
    example="<id> --reason 'tool retired'",
    may=(ITS_OWNER, ADMIN),
)

WEBHOOK_COMMANDS = (ADD_WEBHOOK, REMOVE_WEBHOOK)


class _WebhookGiven(Given):
    """What a webhook starts with: its Added event's fields, its first attributes."""

    owner: str
    url: str
    events: tuple[str, ...]
    team: str | None
    label: str
    sealed_secret: str


class Webhook(_WebhookGiven, KoersAggregate):
    """One person's webhook (its secret recorded sealed, see the module docstring)."""

    if TYPE_CHECKING:  # attributes, not dataclass fields (the events carry the data)
        removed: bool

    class Added(_WebhookGiven, KoersAggregate.Created):
        class_version: ClassVar[int] = 1  # new with ``credential``: no older shape

        def apply(self, hook: Webhook) -> None:
            self.adopt(hook)
            hook.events = tuple(self.events)
            hook.removed = False

    class Removed(KoersAggregate.Event):
        class_version: ClassVar[int] = 1  # new with ``credential``: no older shape

        reason: str

        def apply(self, hook: Webhook) -> None:
            hook.removed = True

    @classmethod
    def add(
        cls, *, id: UUID, actor: str, sealed_secret: str, command_id: str = "", **values: Any
    ) -> Webhook:
        checked = ADD_WEBHOOK.check(values)
        checked["events"] = ADD_WEBHOOK.field("events").check(checked["events"])  # default: text
        return cls._create(cls.Added, id=id, actor=actor, command_id=command_id, owner=actor,
                           sealed_secret=sealed_secret, **checked)  # fmt: skip

    remove = changes(
        REMOVE_WEBHOOK,
        lambda hook, *_: still_open(not hook.removed, "the webhook is removed already"),
    )

    def wants(self, event_type: str) -> bool:
        """Whether an event of this type (``decision.made``) matches one of the globs."""
        return not self.removed and matches(self.events, event_type)

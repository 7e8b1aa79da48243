"""Which webhooks an event goes to: the registry the fan-out and the senders share.

An event at stream position ``p`` goes to each webhook that

- was added before it (``since < p``) and is not removed,
- has a glob matching its type (``decision.*``),
- belongs to someone who may read it *now*, by the same rules as the API
  (:meth:`~ledger.application._access.AccessCommands.may_see` on the facts of the thing the
  event belongs to: its team, its owner, a prompt's recipient), and
- names no team, or the thing's team or a team above it is the webhook's team.

Events of the idempotency-key records (``command_key``) go nowhere: they are bookkeeping.
The registry is read again from the ledger when a ``webhook`` event was stored since it was
last read (the fan-out asks before each batch), and when a sender meets a webhook it does
not know. This runs in threads (the application
is synchronous).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

import anyio
from cryptography.exceptions import InvalidTag
from eventsourcing.utils import get_topic
from nats.aio.client import Client
from nats.js import JetStreamContext

from ledger.application import Facts, Koers
from ledger.domain import AGGREGATES, Principal, Webhook
from ledger.domain.retros import PRIVATE_FIELDS
from ledger.domain.webhooks import matches
from ledger.errors import NotFound
from ledger.settings import WebhookSettings
from ledger.webhooks import HookNames
from workers._decode import Event
from workers._metrics import Metrics

__all__ = ["Hook", "HookContext", "Registry"]

log = logging.getLogger("workers")
#: How long the facts of a thing (its team, its people) are reused, as the directory is.
FACTS_SECONDS = 2.0
_MOST_FACTS = 10_000
_NOT_SENT = frozenset({"command_key"})
#: Events holding one person's own answer (a pulse score): never sent (docs/security.md).
_PRIVATE = frozenset(get_topic(cls) for cls in PRIVATE_FIELDS)


@dataclass(frozen=True)
class Hook:
    """A live webhook as the workers use it (with its secret opened)."""

    id: UUID
    owner: str
    url: str
    globs: tuple[str, ...]
    team: str | None
    since: int
    secret: str

    def wants(self, event: Event) -> bool:
        return self.wants_type(event.name, event.seq)

    def wants_type(self, name: str, seq: int) -> bool:
        """Whether it wants an event of this type (``<kind>.<type>``) at this position."""
        return self.since < seq and matches(self.globs, name)


@dataclass(frozen=True)
class HookContext:
    """What the fan-out and the senders of one worker share."""

    registry: Registry
    nc: Client
    js: JetStreamContext
    names: HookNames
    settings: WebhookSettings
    metrics: Metrics
    #: threads for the synchronous application (the registry's reads)
    limiter: anyio.CapacityLimiter


class Registry:
    def __init__(self, app: Koers) -> None:
        self.app = app
        self._hooks: dict[UUID, Hook] = {}
        self._facts: dict[UUID, tuple[float, Facts | None]] = {}
        self._lock = threading.Lock()
        #: the position of the last ``webhook`` event when the webhooks were last read
        self.as_of = 0

    @property
    def empty(self) -> bool:
        return not self._hooks

    def get(self, webhook: UUID) -> Hook | None:
        return self._hooks.get(webhook)

    def wanted(self, name: str, seq: int) -> bool:
        """Whether some webhook wants an event of this type at this position (told from
        its subject, before the event is decoded and its signature checked)."""
        return any(h.wants_type(name, seq) for h in self._hooks.values())

    def reload(self) -> None:
        """Read every live webhook again from the ledger."""
        hooks: dict[UUID, Hook] = {}
        for ident, since in self.app.webhooks_since().items():
            try:
                hook = self.app.load(Webhook, ident)
            except NotFound:
                continue
            if hook.removed:
                continue
            try:
                secret = self.app.webhook_secret(hook)
            except (InvalidTag, ValueError):
                why = "its secret does not open with this data directory's webhook-secrets.key"
                log.error("webhook %s: %s; it is sent nothing", ident, why)  # noqa: TRY400
                continue
            hooks[ident] = Hook(ident, hook.owner, hook.url, hook.events, hook.team, since, secret)
        with self._lock:
            self._hooks = hooks

    def recipients(self, events: Iterable[Event]) -> dict[int, list[Hook]]:
        """For each event (by position), the webhooks it goes to (see the module docs)."""
        out: dict[int, list[Hook]] = {}
        hooks = list(self._hooks.values())
        for event in events:
            wanted = [h for h in hooks if h.wants(event)]
            if not wanted or event.kind in _NOT_SENT or event.topic in _PRIVATE:
                continue
            facts = self._facts_of(event)
            if facts is None:
                continue
            sent = [h for h in wanted if self._visible(h, facts)]
            if sent:
                out[event.seq] = sent
        return out

    def _visible(self, hook: Hook, facts: Facts) -> bool:
        if not self.app.may_see(Principal(hook.owner, f"webhook:{hook.id}"), facts):
            return False
        if hook.team is None:
            return True
        directory = self.app.directory()
        return any(hook.team in directory.above(team) for team in facts.teams)

    def to_read(self, events: Iterable[Event]) -> list[Event]:
        """The events some webhook may want whose things' facts must be read from the store
        (not the events that create a thing, not those read in the last seconds)."""
        hooks = list(self._hooks.values())
        now = time.monotonic()
        return [
            e
            for e in events
            if e.version > 1
            and e.kind not in _NOT_SENT
            and now - self._facts.get(e.aggregate_id, (-FACTS_SECONDS, None))[0] >= FACTS_SECONDS
            and any(h.wants(e) for h in hooks)
        ]

    def _facts_of(self, event: Event) -> Facts | None:
        """The access facts of the thing the event belongs to (``None``: not a thing of
        Koers, or gone): from the event itself when it created the thing (its payload holds
        the values the facts are made of), else from the thing as it is now."""
        cached = self._facts.get(event.aggregate_id)
        if cached is not None and time.monotonic() - cached[0] < FACTS_SECONDS:
            return cached[1]
        cls = AGGREGATES.get(event.kind)
        facts = None
        if cls is not None and event.version == 1:
            facts = self.app.facts(event.kind, None, event.payload)
        elif cls is not None:
            try:
                facts = self.app.facts(event.kind, self.app.load(cls, event.aggregate_id), {})
            except NotFound:
                facts = None
        if len(self._facts) >= _MOST_FACTS:
            self._facts.clear()
        self._facts[event.aggregate_id] = (time.monotonic(), facts)
        return facts

    def prefetch(self, event: Event) -> None:
        """Read the facts of the event's thing into the cache (several at once, in threads)."""
        self._facts_of(event)

"""What every Koers aggregate and event shares.

- Every event records **who** (``actor``), **how they proved it** (``credential``: the token,
  sign-on or session the command came with, set by :func:`proved_by` around the command; empty
  on events recorded before sign-in existed, which the schema's version 1 describes) and
  **when** (``timestamp``, from the domain clock); events are frozen dataclasses named in
  the past tense, nested in their aggregate.
- Every event may carry the **idempotency key** of the command that caused it
  (``command_id``, empty when none was given). The aggregate remembers which version each key
  produced, so a retried command (a timeout, a crash, a double click) is recognised and
  answered with its first result instead of taking effect twice.
- History is never edited: a correction, a retarget or a reversal is a new event.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, ClassVar, Self
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from ledger.domain import _clock
from ledger.errors import CommandKeyReused, NotAllowed

__all__ = [
    "NAMESPACE",
    "KoersAggregate",
    "command_key_id",
    "proved_by",
    "still_open",
    "without_credential",
]

NAMESPACE = uuid5(NAMESPACE_URL, "https://koers.invalid/ids")


_CREDENTIAL: ContextVar[str] = ContextVar("koers_credential", default="")


@contextmanager
def proved_by(credential: str) -> Iterator[None]:
    """Record ``credential`` (how the actor proved who they are, e.g. ``token:<id>``) on
    every event triggered inside the block."""
    reset = _CREDENTIAL.set(credential)
    try:
        yield
    finally:
        _CREDENTIAL.reset(reset)


def without_credential(state: dict[str, Any]) -> None:
    """Upcast an event recorded before ``credential`` existed: it was not recorded."""
    state["credential"] = ""


def command_key_id(kind: str, key: str) -> UUID:
    """The id of the aggregate a creating command with idempotency key ``key`` makes."""
    return uuid5(NAMESPACE, f"{kind}/{key}")


class KoersAggregate(Aggregate):
    """Base of every Koers aggregate (UUID ids)."""

    if TYPE_CHECKING:  # attributes, not dataclass fields
        #: idempotency key -> "<EventName>@<version>" of the event the command produced
        commands: dict[str, str]

    class Event(Aggregate.Event):
        """Something that happened to an aggregate, recorded by ``actor``."""

        actor: str
        command_id: str
        credential: str

        #: Version 2 added ``credential``; a version 1 event is read with an empty one.
        class_version: ClassVar[int] = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            without_credential(state)

        create_timestamp: ClassVar[Any] = staticmethod(_clock.now)

        def mutate(self, aggregate: Any) -> Any:
            result: Any = super().mutate(aggregate)
            if self.command_id:
                result.commands[self.command_id] = self.receipt()
            return result

        def receipt(self) -> str:
            return f"{type(self).__name__}@{self.originator_version}"

    class Created(Event, Aggregate.Created):
        """The first event of an aggregate."""

        def mutate(self, aggregate: Any) -> Any:
            agg = Aggregate.Created.mutate(self, aggregate)
            assert agg is not None
            agg.commands = {}
            if self.command_id:
                agg.commands[self.command_id] = self.receipt()
            return agg

    @classmethod
    def _create(cls, event_class: Any, *, id: Any = None, **kwargs: Any) -> Self:
        kwargs.setdefault("credential", _CREDENTIAL.get())
        created: Self = super()._create(event_class, id=id, **kwargs)
        return created

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        kwargs.setdefault("credential", _CREDENTIAL.get())
        super().trigger_event(event_class, **kwargs)

    def done_already(self, command_id: str, event_name: str) -> int | None:
        """The version the command with this idempotency key produced, if it ran already.

        Raises :class:`~ledger.errors.CommandKeyReused` when the key produced a different
        kind of event (the same key reused for another command).
        """
        receipt = self.commands.get(command_id) if command_id else None
        if receipt is None:
            return None
        name, _, version = receipt.partition("@")
        if name != event_name:
            raise CommandKeyReused(command_id)
        return int(version)


def still_open(is_open: bool, message: str) -> None:
    if not is_open:
        raise NotAllowed(message)

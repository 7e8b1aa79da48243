"""What every Koers aggregate and event shares.

- Every event records **who** (``actor``) and **when** (``timestamp``, from the domain clock);
  events are frozen dataclasses named in the past tense, nested in their aggregate.
- Every event may carry the **idempotency key** of the command that caused it
  (``command_id``, empty when none was given). The aggregate remembers which version each key
  produced, so a retried command (a timeout, a crash, a double click) is recognised and
  answered with its first result instead of taking effect twice.
- History is never edited: a correction, a retarget or a reversal is a new event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from ledger.domain import _clock
from ledger.errors import CommandKeyReused, NotAllowed

__all__ = ["NAMESPACE", "KoersAggregate", "command_key_id", "still_open"]

NAMESPACE = uuid5(NAMESPACE_URL, "https://koers.invalid/ids")


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

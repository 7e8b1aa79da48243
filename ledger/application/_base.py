"""The command handler template and the reads every part of Koers shares.

Every command runs the same way (:meth:`KoersBase.change`):

1. load the aggregate (``NotFound`` if it does not exist);
2. if the command's idempotency key already produced an event on it, return that first
   result: the command does not take effect twice;
3. if the caller said which version it based its command on (``expected_version``) and the
   aggregate moved on, raise ``ConcurrencyConflict``;
4. apply the command (the domain checks its rules) and save with the loaded version as the
   expectation; if someone else saved first, start again from 1 (a retry re-checks every
   rule against the new state, and finds an earlier attempt of the same command in step 2).

Creating commands derive the new aggregate's id from their idempotency key, so a retried
create finds what the first attempt made.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, JSONTranscoder
from eventsourcing.utils import get_topic

from ledger.application._transcodings import snapshot_transcodings
from ledger.domain import (
    AGGREGATES,
    Delegation,
    KeyResult,
    KoersAggregate,
    Kpi,
    Retro,
    command_key_id,
)
from ledger.errors import ConcurrencyConflict, NotAllowed, NotFound

__all__ = ["KoersBase", "Receipt"]

A = TypeVar("A", bound=KoersAggregate)
RETRIES = 5


@dataclass(frozen=True)
class Receipt:
    """What a command did: the aggregate, its version after the command, and the stream
    position of the command's last event (``None`` when it had been done already)."""

    id: UUID
    version: int
    position: int | None
    replayed: bool = False


class KoersBase(Application[UUID]):
    """Application service: command handling, loading, history and "as of" reads."""

    name = "Koers"
    #: A snapshot every 50 events of the aggregates that grow with time (check-ins, items),
    #: so a short-lived process (one CLI command) loads them without replaying everything.
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {
        KeyResult: 50,
        Kpi: 50,
        Delegation: 50,
        Retro: 50,
    }

    env: ClassVar[dict[str, str]] = {
        "PERSISTENCE_MODULE": "ledger.nats",
        "MAPPER_TOPIC": "ledger.transcoder:TypedMapper",
        "AGGREGATE_CACHE_MAXSIZE": "1000",
    }

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        """The library's own, plus the domain's enums and value objects (for snapshots)."""
        super().register_transcodings(transcoder)
        for transcoding in snapshot_transcodings():
            transcoder.register(transcoding)

    # -- writing ---------------------------------------------------------------------------

    def create(
        self, cls: type[A], key: str, make: Callable[[UUID], A], event: type[Any]
    ) -> Receipt:
        """Create an aggregate; with an idempotency ``key``, at most once."""
        new_id = command_key_id(cls.__name__, key) if key else uuid.uuid4()
        if key:
            earlier = self._find(cls, new_id)
            if earlier is not None:
                version = earlier.done_already(key, event.__name__)
                return Receipt(new_id, version or earlier.version, None, replayed=True)
        aggregate = make(new_id)
        try:
            recordings = self.save(aggregate)
        except IntegrityError:
            if key:  # a concurrent attempt of the same command won the race
                return self.create(cls, key, make, event)
            raise
        return Receipt(new_id, aggregate.version, recordings[-1].notification.id)

    def change(
        self,
        cls: type[A],
        aggregate_id: UUID,
        key: str,
        event: type[Any],
        command: Callable[[A], Any],
        /,
        *,
        expected_version: int | None = None,
        also: Callable[[A], list[KoersAggregate]] | None = None,
    ) -> Receipt:
        """Run ``command`` on an aggregate following the template in the module docstring.

        ``also`` names other aggregates the command changed, saved in the same atomic write.
        """
        for _ in range(RETRIES):
            aggregate = self.load(cls, aggregate_id)
            done = aggregate.done_already(key, event.__name__)
            if done is not None:
                return Receipt(aggregate_id, done, None, replayed=True)
            if expected_version is not None and aggregate.version != expected_version:
                raise ConcurrencyConflict(
                    str(aggregate_id), expected_version, aggregate.version, unit="version"
                )
            command(aggregate)
            others = also(aggregate) if also else []
            try:
                recordings = self.save(aggregate, *others)
            except IntegrityError:
                continue  # the next pass finds our own earlier attempt, or the conflict
            return Receipt(aggregate_id, aggregate.version, recordings[-1].notification.id)
        raise ConcurrencyConflict(str(aggregate_id), None, None, "it kept changing; retried")

    # -- reading ---------------------------------------------------------------------------

    def _find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        try:
            aggregate: KoersAggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        if not isinstance(aggregate, cls):
            return None
        return aggregate

    def load(self, cls: type[A], aggregate_id: UUID, version: int | None = None) -> A:
        """The aggregate (at ``version``), or ``NotFound`` naming the kind that was wanted
        (each entry point adds where its users find the ids)."""
        try:
            aggregate: KoersAggregate = self.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            raise NotFound(kind_of(cls), aggregate_id) from None
        if not isinstance(aggregate, cls):
            raise NotFound(kind_of(cls), aggregate_id)
        return aggregate

    def event_history(self, aggregate_id: UUID) -> list[Any]:
        """Every event of one aggregate, oldest first (``NotFound`` when there are none)."""
        events = list(self.repository.event_store.get(aggregate_id))
        if not events:
            raise NotFound("aggregate", aggregate_id)
        return events

    def load_as_of(self, cls: type[A], aggregate_id: UUID, moment: datetime) -> A:
        """The aggregate as it stood at ``moment`` (recorded time): what we knew then."""
        history = self.event_history(aggregate_id)
        versions = [e.originator_version for e in history if e.timestamp <= moment]
        if not versions:
            raise NotAllowed(
                f"{kind_of(cls)} {aggregate_id} did not exist yet at {moment.isoformat()}: "
                f"it was first recorded at {history[0].timestamp.isoformat()}"
            )
        return self.load(cls, aggregate_id, version=versions[-1])

    def ids_of(self, cls: type[KoersAggregate]) -> Iterator[UUID]:
        """The ids of every aggregate of a kind, in the order they were created."""
        created = _created_event(cls)
        topic = get_topic(created)
        start = 0
        while True:
            page = self.recorder.select_notifications(
                start, 500, topics=[topic], inclusive_of_start=False
            )
            for notification in page:
                yield UUID(str(notification.originator_id))
            if len(page) < 500:
                return
            start = page[-1].id

    def all_of(self, cls: type[A]) -> list[A]:
        return [self.load(cls, i) for i in self.ids_of(cls)]


def kind_of(cls: type[KoersAggregate]) -> str:
    for kind, known in AGGREGATES.items():
        if known is cls:
            return kind.replace("_", " ")
    return cls.__name__.lower()


def _created_event(cls: type[KoersAggregate]) -> type[Any]:
    for value in vars(cls).values():
        if isinstance(value, type) and issubclass(value, KoersAggregate.Created):
            return value
    raise TypeError(f"{cls.__name__} declares no created event")

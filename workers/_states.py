"""Aggregates as the workers last saw them, fast-forwarded by the stream itself.

Triggers judge an event against its aggregate *as it stood just before it* (version - 1).
Reading that from the store for every event costs a round trip; instead, the workers apply
each event of the kinds they judge (decisions, key results, delegations) to an in-memory
copy, decoded by the application's own mapper. An event finds its aggregate here when the
one before it was applied by this worker (the usual case: the stream is read in order); if
not (a restart, a redelivery, another replica took the event before), the aggregate is read
from the store at that version. Events never change, so a cached "version N" is never stale.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from ledger.application import Koers
from ledger.domain import AGGREGATES, KoersAggregate
from workers._decode import BadMessage, Event

__all__ = ["TRACKED_KINDS", "States"]

#: the kinds whose state triggers need
TRACKED_KINDS = frozenset({"decision", "key_result", "delegation"})


class States:
    def __init__(self, app: Koers, size: int = 10_000) -> None:
        self.app = app
        self.size = size
        self._cache: OrderedDict[UUID, KoersAggregate] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def cached_before(self, event: Event) -> KoersAggregate | None:
        """The aggregate at ``event.version - 1`` if this worker holds it, else ``None``."""
        with self._lock:
            aggregate = self._cache.get(event.aggregate_id)
        if aggregate is not None and aggregate.version == event.version - 1:
            self.hits += 1
            return aggregate
        return None

    def load_before(self, event: Event) -> KoersAggregate:
        """The aggregate at ``event.version - 1``, read from the store (call from a thread)."""
        self.misses += 1
        cls = AGGREGATES[event.kind]
        return self.app.load(cls, event.aggregate_id, version=event.version - 1)

    def advance(self, event: Event, before: KoersAggregate | None, data: bytes) -> None:
        """Apply ``event`` to ``before`` (its aggregate at the previous version, or ``None``
        for a created event) and keep the result."""
        if before is None and event.version != 1:
            return
        try:
            domain_event: Any = self.app.mapper.to_domain_event(
                StoredEvent(event.aggregate_id, event.version, event.topic, data)
            )
        except Exception as e:  # the payload fits its schema but not the class: a bad message
            raise BadMessage(f"cannot decode {event.name}: {type(e).__name__}: {e}") from None
        try:
            after: Any = domain_event.mutate(before)
        except Exception as e:  # the event does not fit the state it follows
            self.forget(event.aggregate_id)
            raise BadMessage(f"cannot apply {event.name}: {type(e).__name__}: {e}") from None
        with self._lock:
            self._cache[event.aggregate_id] = after
            self._cache.move_to_end(event.aggregate_id)
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)

    def forget(self, aggregate_id: UUID) -> None:
        with self._lock:
            self._cache.pop(aggregate_id, None)

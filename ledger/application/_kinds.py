"""Every aggregate of a kind, kept in memory and brought up to date from the log's tail.

A list (``GET /decisions``, the decision log, the directory behind every access check) used
to load each aggregate of its kind from the store, one read per aggregate, on every request:
on a 20k-event log a page waited seconds for it. A :class:`KindCache` reads the events of
its kind once, in log order (a subject filter on NATS), and after that only the events
recorded since its last position: one small read per call when nothing changed, so every
call still sees every write made before it (read-your-writes, as a load would).

The cache keeps each aggregate's domain events too, for the reads that need what only the
events hold (a decision's rationale and review). An aggregate that takes a new event is
copied before the event is applied, so a list handed out earlier never changes under its
reader. Aggregates handed out are shared: treat them as read-only (commands load their own).
An event that cannot be decoded or applied leaves its aggregate out, logged, as
``all_of`` always did (docs/store.md, "Quarantine"); the store's own errors still raise.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar
from uuid import UUID

from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import ApplicationRecorder, Mapper
from eventsourcing.utils import get_topic

from ledger.domain import KoersAggregate
from ledger.errors import StoreError

__all__ = ["KindCache", "event_classes", "event_topics"]

log = logging.getLogger(__name__)

A = TypeVar("A", bound=KoersAggregate)
T = TypeVar("T")
PAGE = 1000


def event_classes(cls: type[KoersAggregate]) -> tuple[type[DomainEvent], ...]:
    """The events declared on an aggregate class (they share its kind)."""
    return tuple(
        value
        for value in vars(cls).values()
        if isinstance(value, type) and issubclass(value, DomainEvent)
    )


def event_topics(cls: type[KoersAggregate]) -> tuple[str, ...]:
    """The topics of the events declared on an aggregate class."""
    return tuple(get_topic(event) for event in event_classes(cls))


class KindCache(Generic[A]):
    """The aggregates of one kind, in the order they were created, with their events."""

    def __init__(self, cls: type[A], describe: Callable[[type[A]], str]) -> None:
        self._cls = cls
        self._topics = event_topics(cls)
        self._kind = describe(cls)
        self._lock = threading.Lock()
        self._position = 0
        self._things: dict[UUID, A] = {}
        self._events: dict[UUID, list[Any]] = {}
        self._left_out: set[UUID] = set()
        #: what :meth:`derived` made of each aggregate, with the version it was made from
        self._made: dict[tuple[Any, UUID], tuple[int, Any]] = {}

    def current(
        self, recorder: ApplicationRecorder, mapper: Mapper[UUID]
    ) -> list[tuple[A, list[Any]]]:
        """Every aggregate of the kind with its events, as of the log's last event now."""
        with self._lock:
            self._follow(recorder, mapper)
            return [(thing, self._events[ident]) for ident, thing in self._things.items()]

    def derived(
        self, recorder: ApplicationRecorder, mapper: Mapper[UUID], make: Callable[[A, list[Any]], T]
    ) -> list[tuple[A, T]]:
        """Every aggregate with ``make(aggregate, events)``, made again only for an aggregate
        that changed since the last call with the same ``make`` (a list read many times,
        such as the decision log, costs its work once per change). Treat what ``make``
        gave as read-only: later calls hand out the same objects."""
        with self._lock:
            self._follow(recorder, mapper)
            out = []
            for ident, thing in self._things.items():
                kept = self._made.get((make, ident))
                if kept is None or kept[0] != thing.version:
                    kept = self._made[(make, ident)] = (
                        thing.version,
                        make(thing, self._events[ident]),
                    )
                out.append((thing, kept[1]))
            return out

    def _follow(self, recorder: ApplicationRecorder, mapper: Mapper[UUID]) -> None:
        copied: set[UUID] = set()  # nothing is handed out while this runs (the lock)
        while True:
            page: Sequence[Any] = recorder.select_notifications(
                self._position, PAGE, topics=self._topics, inclusive_of_start=False
            )
            for notification in page:
                self._apply(notification, mapper, copied)
            if page:
                self._position = page[-1].id
            if len(page) < PAGE:
                return

    def _apply(self, notification: Any, mapper: Mapper[UUID], copied: set[UUID]) -> None:
        ident = UUID(str(notification.originator_id))
        if ident in self._left_out:
            return
        mine = ident in copied  # already copied in this read: change it in place
        try:
            event: Any = mapper.to_domain_event(notification)
            thing = self._things.get(ident)
            if thing is not None and not mine:
                thing = copy.deepcopy(thing)  # a list handed out earlier keeps its copy
            changed = event.mutate(thing)
        except StoreError:
            raise
        except Exception as e:
            changed = e
        if not isinstance(changed, self._cls):
            log.warning("%s %s cannot be read, left out: %r", self._kind, ident, changed)
            self._left_out.add(ident)
            self._things.pop(ident, None)
            self._events.pop(ident, None)
            for key in [key for key in self._made if key[1] == ident]:
                del self._made[key]
            return
        self._things[ident] = changed
        if mine:
            self._events[ident].append(event)
        else:
            self._events[ident] = [*self._events.get(ident, ()), event]
            copied.add(ident)

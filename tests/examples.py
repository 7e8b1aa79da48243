"""A tiny aggregate and application for store tests (the real domain lives in ``ledger.domain``)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, DomainEvent, event
from eventsourcing.utils import register_topic


class HandWritten(DomainEvent):
    """The event class of stored events that store tests write by hand."""


def register_topics(*topics: str) -> None:
    """Make hand-written topics (the library's ``"topic1"``…) name an event class, as every
    topic the NATS store returns must (``ledger.nats._foreign``)."""
    for topic in topics:
        register_topic(topic, HandWritten)


class Tally(Aggregate):
    """Counts commands; each increment records who made it."""

    @event("Started")
    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0
        self.by: list[str] = []

    @event("Incremented")
    def increment(self, by: str) -> None:
        self.count += 1
        self.by.append(by)


class Tallies(Application[UUID]):
    name = "Tallies"

    def start(self, name: str) -> UUID:
        tally = Tally(name)
        self.save(tally)
        return tally.id

    def increment(self, tally_id: UUID, by: str) -> int:
        """One command: load, change, save. Returns the notification id of the change."""
        tally: Tally = self.repository.get(tally_id)
        tally.increment(by)
        recordings = self.save(tally)
        return recordings[-1].notification.id

    @classmethod
    def example(cls, env: dict[str, Any]) -> Tallies:
        return cls(env=env)

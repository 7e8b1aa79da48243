"""Shared types of the projection's event handlers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from projections._sql import Tx, ident, moment

__all__ = ["Handler", "Handlers", "chained", "stamped"]

#: ``handler(tx, domain_event, position)``: write what the event means to the facts tables.
Handler = Callable[[Tx, Any, int], None]
Handlers = dict[type[Any], Handler]


def stamped(sql: str) -> Handler:
    """The handler of an event that only records when its aggregate changed state: ``sql``
    run with the event's moment and its aggregate's id, in that order."""

    def handle(tx: Tx, e: Any, position: int) -> None:
        tx.run(sql, moment(e.timestamp), ident(e.originator_id))

    return handle


def chained(*tables: Handlers) -> Handlers:
    """One table of handlers from several: an event handled in more than one runs each of its
    handlers in the order the tables are given (the facts tables first, then those that read
    them, such as the lineage's)."""
    per_event: dict[type[Any], list[Handler]] = {}
    for table in tables:
        for event, handler in table.items():
            per_event.setdefault(event, []).append(handler)
    return {event: _in_turn(handlers) for event, handlers in per_event.items()}


def _in_turn(handlers: list[Handler]) -> Handler:
    if len(handlers) == 1:
        return handlers[0]

    def handle(tx: Tx, e: Any, position: int) -> None:
        for handler in handlers:
            handler(tx, e, position)

    return handle

"""Shared types of the projection's event handlers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from projections._sql import Tx, ident, moment

__all__ = ["Handler", "Handlers", "stamped"]

#: ``handler(tx, domain_event, position)``: write what the event means to the facts tables.
Handler = Callable[[Tx, Any, int], None]
Handlers = dict[type[Any], Handler]


def stamped(sql: str) -> Handler:
    """The handler of an event that only records when its aggregate changed state: ``sql``
    run with the event's moment and its aggregate's id, in that order."""

    def handle(tx: Tx, e: Any, position: int) -> None:
        tx.run(sql, moment(e.timestamp), ident(e.originator_id))

    return handle

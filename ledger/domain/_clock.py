"""The domain's clock: what "now" is when an event is recorded or a rule is checked.

Real time by default. :func:`frozen_at` pins it (a context manager, per thread and task
through a context variable) so tests and the demo data are deterministic. Always aware, UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

__all__ = ["advance", "frozen_at", "now"]

_override: ContextVar[list[datetime] | None] = ContextVar("koers_clock", default=None)


def now() -> datetime:
    pinned = _override.get()
    return pinned[0] if pinned else datetime.now(UTC)


@contextmanager
def frozen_at(moment: datetime) -> Iterator[Callable[[timedelta], datetime]]:
    """Pin the clock at ``moment``; yields a function that moves the pinned time on."""
    if moment.tzinfo is None:
        raise ValueError("the clock needs an aware datetime")
    cell = [moment.astimezone(UTC)]
    token = _override.set(cell)

    def step(delta: timedelta) -> datetime:
        cell[0] = cell[0] + delta
        return cell[0]

    try:
        yield step
    finally:
        _override.reset(token)


def advance(delta: timedelta) -> datetime:
    """Move a pinned clock on (an error when the clock is not pinned)."""
    pinned = _override.get()
    if not pinned:
        raise RuntimeError("the clock is not pinned (use frozen_at)")
    pinned[0] = pinned[0] + delta
    return pinned[0]

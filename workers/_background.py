"""Work on fetched batches that goes on in the background while the next batch is fetched.

A consumer judges a batch in the foreground, then hands what is left (storing, sending,
settling) to :class:`Background` and fetches again. At most ``places`` batches are in the
background at once: the next one waits for a place, so a slow store or receiver slows the
fetching down instead of piling work up. At shutdown, after the last fetch,
:meth:`Background.drain` waits for every batch still in the background.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

__all__ = ["Background"]


class Background:
    """Up to ``places`` pieces of work running in the background at once."""

    def __init__(self, places: int) -> None:
        self._places = asyncio.Semaphore(places)
        self._running: set[asyncio.Task[None]] = set()

    async def place(self) -> None:
        """Wait for a free place; :meth:`run` must follow, which gives it back when done."""
        await self._places.acquire()

    def run(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` in the place taken by :meth:`place`; the place is free again once it
        ends, whether it succeeded or failed."""
        task = asyncio.create_task(self._in_place(work))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _in_place(self, work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        finally:
            self._places.release()

    async def drain(self) -> None:
        """Wait for every piece of work still running (those started meanwhile too)."""
        while self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

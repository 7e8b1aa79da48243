"""The sync/async bridge: one private asyncio loop in a daemon thread.

The ``eventsourcing`` library is synchronous and thread-based; nats-py is asyncio-only.
Every recorder call is a coroutine submitted to this loop with
:meth:`Bridge.run`, which waits at most ``timeout`` seconds and then cancels the coroutine,
so a synchronous caller never hangs. Invariants:

- exactly one loop thread per bridge, started in ``__init__`` and stopped by :meth:`close`;
- :meth:`run` must never be called from the loop thread itself (it would deadlock): doing so
  raises ``RuntimeError`` at once;
- after :meth:`close`, :meth:`run` raises ``RuntimeError`` instead of waiting.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["Bridge", "BridgeTimeout"]


class BridgeTimeout(TimeoutError):
    """A coroutine did not finish within its timeout; it has been cancelled."""


class Bridge:
    """Runs coroutines on a private event loop from any number of threads."""

    def __init__(self, name: str = "koers-nats") -> None:
        self.loop = asyncio.new_event_loop()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run_loop, name=name, daemon=True)
        self._thread.start()
        self._started.wait()
        self._closed = False

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._started.set)
        try:
            self.loop.run_forever()
        finally:
            self.loop.close()

    @property
    def in_loop_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        """Run ``coro`` on the loop and return its result, or raise ``BridgeTimeout``."""
        if self._closed:
            coro.close()
            raise RuntimeError("the NATS connection of this recorder has been closed")
        if self.in_loop_thread:
            coro.close()
            raise RuntimeError("Bridge.run() called from its own event loop thread")
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise BridgeTimeout(f"no answer within {timeout:g} s") from None

    def spawn(self, coro: Coroutine[Any, Any, T], name: str | None = None) -> asyncio.Task[T]:
        """Start a background task on the loop (from the loop thread), kept until it ends.

        asyncio holds tasks only weakly: a task waiting on a queue that nothing else
        references would be garbage-collected mid-flight ("Task was destroyed but it is
        pending"). The bridge keeps a strong reference instead.
        """
        task = self.loop.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def close(self, cleanup: Coroutine[Any, Any, Any] | None = None, timeout: float = 5.0) -> None:
        """Run ``cleanup`` (if given), cancel every task, stop the loop and wait for it."""
        if self.close_nowait(cleanup, timeout) and not self.in_loop_thread:
            self._thread.join(timeout + 1)

    def close_nowait(
        self, cleanup: Coroutine[Any, Any, Any] | None = None, timeout: float = 5.0
    ) -> bool:
        """Like :meth:`close` but without waiting; safe from any thread and finalizers."""
        if self._closed:
            if cleanup is not None:
                cleanup.close()
            return False
        self._closed = True
        try:
            asyncio.run_coroutine_threadsafe(self._shutdown(cleanup, timeout), self.loop)
        except RuntimeError:  # the loop is already closed
            if cleanup is not None:
                cleanup.close()
            return False
        return True

    async def _shutdown(self, cleanup: Coroutine[Any, Any, Any] | None, timeout: float) -> None:
        """Run ``cleanup``, cancel every other task and let it finish, then stop the loop."""
        try:
            if cleanup is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(cleanup, timeout)
            me = asyncio.current_task()
            for _ in range(10):  # cancelled tasks may have started others
                tasks = [t for t in asyncio.all_tasks(self.loop) if t is not me]
                if not tasks:
                    break
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            self.loop.stop()

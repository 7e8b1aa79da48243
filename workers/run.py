"""Running the workers: in a thread of any process (``koers serve``), or alone (``koers worker``).

::

    handle = start_workers(settings.workers)      # returns once consuming; raises if it cannot
    ...
    handle.stop()                                 # finishes in-flight work, then closes

The workers run on their own event loop in a daemon thread, so a synchronous caller (the
serve command, a test) needs nothing asynchronous. :func:`run_until_stopped` is the body of
``koers worker``: start, wait for SIGINT or SIGTERM, stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Callable
from typing import Self

from ledger.settings import WorkerSettings
from workers._metrics import Metrics
from workers._runtime import Worker

__all__ = ["WorkerHandle", "run_until_stopped", "start_workers"]

STARTUP_TIMEOUT = 60.0


class WorkerHandle:
    """Workers running in a background thread; :meth:`stop` ends them."""

    def __init__(self, settings: WorkerSettings) -> None:
        self.settings = settings
        self.metrics = Metrics()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="koers-workers", daemon=True)

    def start(self, timeout: float = STARTUP_TIMEOUT) -> Self:
        self._thread.start()
        if not self._ready.wait(timeout):
            self.stop()
            raise TimeoutError(f"the workers did not start within {timeout:g} s")
        if self._error is not None:
            self._thread.join(timeout)
            raise self._error
        return self

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and self._error is None

    def metrics_text(self) -> str:
        """The Prometheus exposition of this worker's metrics."""
        return self.metrics.text()

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        worker = Worker(self.settings, self.metrics)
        try:
            await worker.start()
        except BaseException as e:
            self._error = e
            self._ready.set()
            return
        self._ready.set()
        try:
            await self._stopping.wait()
        finally:
            await worker.stop()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop consuming, let in-flight messages finish (or be redelivered), close."""
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(stopping.set)
        if self._thread.is_alive():
            self._thread.join(timeout)


def start_workers(settings: WorkerSettings, timeout: float = STARTUP_TIMEOUT) -> WorkerHandle:
    """Start the reflection workers in this process; returns once they consume."""
    return WorkerHandle(settings).start(timeout)


def run_until_stopped(
    settings: WorkerSettings, started: Callable[[WorkerHandle], None] | None = None
) -> None:
    """Run the workers until SIGINT or SIGTERM (``koers worker``)."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    handle = start_workers(settings)
    try:
        if started is not None:
            started(handle)
        while not stop.wait(0.5):
            if not handle.running:
                raise RuntimeError("the workers stopped unexpectedly")
    finally:
        handle.stop()

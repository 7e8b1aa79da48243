"""``koers serve`` keeps its nats-server alive: restart on death, and after a full disk.

A :class:`Supervisor` thread watches the server of one data directory (the one ``koers
serve`` started, or the one it found running there) and:

* **restarts it when it dies**, on the same port (so every client, nats-py reconnecting by
  itself, finds it at the same URL), after a backoff (:class:`Pacing`) that starts at
  ``first_delay`` and doubles up to ``max_delay``, and is reset once a server has run for
  ``stable_after`` seconds. Each death is logged with its exit status, each failed start
  with its cause. It never gives up; only :meth:`Supervisor.stop` ends it. "The server
  lives" is "someone holds ``store.lock``" (see :mod:`ledger.embedded`), so it also notices
  a server it did not start.
* **restarts it once disk space is back after the disk filled up.** A JetStream file store
  that failed a write with "no space left on device" keeps that error (measured with
  nats-server 2.15: every later publish to the stream goes unanswered, even after space is
  freed, until the server restarts). So the supervisor marks the store *out of space* when
  the disk has less than ``LOW_SPACE`` bytes free or the server's log reports the failed
  write, and restarts the server when at least :func:`room_enough` is free again.

Its :attr:`Supervisor.condition` is what the store's errors tell users while it lasts
("restarting", "out-of-space"); ``koers serve`` registers it with ``ledger.nats``.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ledger.embedded._constants import DEFAULT_STARTUP_TIMEOUT
from ledger.embedded._diagnosis import file_size
from ledger.embedded._handle import ServerHandle, ensure_server
from ledger.embedded._locks import lock_is_held
from ledger.embedded._paths import ServerPaths, signal_server
from ledger.errors import EmbeddedServerError

__all__ = ["LOW_SPACE", "Pacing", "Supervisor", "room_enough"]

_log = logging.getLogger(__name__)

LOW_SPACE = 1 << 20
"""Bytes: with less free on the store's disk, JetStream's next write may fail."""

_NO_SPACE = b"no space left on device"


def room_enough(total: int) -> int:
    """Free bytes after which a server that ran out of space is restarted: 64 MiB, or a
    quarter of a smaller disk."""
    return min(64 << 20, total // 4)


@dataclass(frozen=True)
class Pacing:
    """How often a :class:`Supervisor` looks (``poll``, seconds), how long it waits before
    restarting a dead server (``first_delay``, doubled on each death up to ``max_delay``, and
    back to ``first_delay`` once a server has run ``stable_after``), and how long a start may
    take (``startup_timeout``)."""

    poll: float = 0.1
    first_delay: float = 0.2
    max_delay: float = 10.0
    stable_after: float = 60.0
    startup_timeout: float = DEFAULT_STARTUP_TIMEOUT


class Supervisor:
    """Watches the nats-server of ``handle``'s data directory until :meth:`stop`.

    ``adopt`` receives the handle of each server it starts (it owns it: the receiver stops
    it at the end, as it would have stopped the first one).
    """

    def __init__(
        self,
        handle: ServerHandle,
        adopt: Callable[[ServerHandle], None],
        pacing: Pacing = Pacing(),
    ) -> None:
        self._handle = handle
        self._adopt = adopt
        self._paths = ServerPaths(handle.data_dir)
        self._pacing = pacing
        self._delay = pacing.first_delay
        self._started_at = time.monotonic()
        self._alive = True
        self._full = False
        self._terminated = False  # asked the server to stop, to restart it with room
        self._log_offset = file_size(self._paths.log_file)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="koers-supervisor", daemon=True)
        self.restarts = 0

    @property
    def url(self) -> str:
        return self._handle.url

    @property
    def condition(self) -> Literal["running", "restarting", "out-of-space"]:
        """What the store's errors tell users; the free space is looked at now (a write may
        be refused before the next check)."""
        if self._full or _free_space(self._paths.store_dir)[0] < LOW_SPACE:
            return "out-of-space"
        return "running" if self._alive else "restarting"

    def start(self) -> Supervisor:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching (before the server is stopped on purpose); idempotent."""
        self._stopping.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join()

    def _run(self) -> None:
        while not self._stopping.wait(self._pacing.poll):
            try:
                self._check()
            except Exception:  # a bug here must not end the supervision
                _log.exception("supervising the nats-server of %s failed", self._paths.data_dir)

    def _check(self) -> None:
        if not lock_is_held(self._paths.store_lock):
            self._alive = False
            self._revive()
            return
        if time.monotonic() - self._started_at >= self._pacing.stable_after:
            self._delay = self._pacing.first_delay
        self._watch_space()

    def _revive(self) -> None:
        """Start the dead server again after the current backoff (doubling it)."""
        dead = self._handle
        status = dead.exit_status
        delay, self._delay = self._delay, min(self._delay * 2, self._pacing.max_delay)
        _log.warning(
            "the nats-server of %s (pid %d) stopped (%s): restarting it in %.1f s",
            self._paths.data_dir, dead.pid, _describe_exit(status), delay,
        )  # fmt: skip
        dead.stop()  # reaps it, if it was ours
        if self._stopping.wait(delay):
            return
        state = dead.state
        try:
            handle = ensure_server(
                self._paths.data_dir,
                port=state.port,
                sync_always=state.sync_always,
                max_batch_msgs=state.max_batch_msgs,
                max_payload=state.max_payload,
                startup_timeout=self._pacing.startup_timeout,
            )
        except EmbeddedServerError as e:
            _log.error("could not restart the nats-server of %s: %s", self._paths.data_dir, e)
            return
        self._handle = handle
        self._started_at = time.monotonic()
        self._log_offset = file_size(self._paths.log_file)
        self._full = self._terminated = False
        self._alive = True
        self.restarts += 1
        if handle.owned:
            self._adopt(handle)
        _log.warning("the nats-server of %s runs again (pid %d) at %s",
                     self._paths.data_dir, handle.pid, handle.url)  # fmt: skip

    def _watch_space(self) -> None:
        """Mark the store out of space, and restart the server once there is room again."""
        free, total = _free_space(self._paths.store_dir)
        if not self._full and (free < LOW_SPACE or self._log_reports_no_space()):
            self._full = True
            _log.error("the disk of %s is full (%d bytes free): writes fail until there is room",
                       self._paths.store_dir, free)  # fmt: skip
        room = room_enough(total)
        if self._full and not self._terminated and free >= room:
            _log.warning("the disk of %s has room again (%d bytes free): restarting the "
                         "nats-server so that JetStream writes again", self._paths.store_dir,
                         free)  # fmt: skip
            self._delay = self._pacing.first_delay
            self._terminated = True
            # a later check restarts it
            signal_server(self._paths, self._handle.pid, signal.SIGTERM)

    def _log_reports_no_space(self) -> bool:
        """Whether the server's log got a "no space left" line since the last look."""
        path = self._paths.log_file
        size = file_size(path)
        if size < self._log_offset:  # rotated
            self._log_offset = 0
        if size == self._log_offset:
            return False
        with path.open("rb") as log:
            log.seek(self._log_offset)
            added = log.read(size - self._log_offset)
        self._log_offset = size
        return _NO_SPACE in added.lower()


def _free_space(path: Path) -> tuple[int, int]:
    """Bytes free (for unprivileged users) and in all on the disk of ``path``."""
    disk = os.statvfs(path)
    return disk.f_bavail * disk.f_frsize, disk.f_blocks * disk.f_frsize


def _describe_exit(status: int | None) -> str:
    if status is None:
        return "exit status unknown: not started by this process"
    if status < 0:
        try:
            return f"killed by {signal.Signals(-status).name}"
        except ValueError:
            return f"killed by signal {-status}"
    return f"exit status {status}"

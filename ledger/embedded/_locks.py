"""flock helpers: ``store.lock`` marks a live server, ``server.lock`` guards check-and-start."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from ledger.embedded._constants import POLL_INTERVAL
from ledger.errors import EmbeddedServerError

__all__ = ["acquire", "exclusive", "lock_is_held", "try_lock"]


def try_lock(path: Path) -> int | None:
    """Take an exclusive flock on ``path`` without waiting: the locked descriptor, or ``None``.

    The lock lasts until every copy of the descriptor is closed (also in child processes).
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def lock_is_held(path: Path) -> bool:
    """Whether another descriptor (any process, this one too) holds the flock on ``path``."""
    fd = try_lock(path)
    if fd is None:
        return True
    os.close(fd)
    return False


def acquire(path: Path, timeout: float) -> int | None:
    """Wait up to ``timeout`` seconds for the flock on ``path``: the descriptor, or ``None``."""
    deadline = time.monotonic() + timeout
    while (fd := try_lock(path)) is None:
        if time.monotonic() >= deadline:
            return None
        time.sleep(POLL_INTERVAL)
    return fd


@contextlib.contextmanager
def exclusive(path: Path, timeout: float) -> Iterator[None]:
    """Hold the flock on ``path`` for the ``with`` block, or raise if it stays taken."""
    fd = acquire(path, timeout)
    if fd is None:
        raise EmbeddedServerError(
            f"another process kept {path} locked for {timeout:g} s while starting or stopping "
            f"the nats-server there. Wait for it to finish, or stop that process, and try again."
        )
    try:
        yield
    finally:
        os.close(fd)

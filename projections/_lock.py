"""One writer per view file: an exclusive ``flock`` on ``<views file>.lock``.

The kernel drops the lock when its process ends, however it ends (SIGKILL too), so a
crashed runner never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from ledger.settings import private_dir

__all__ = ["ViewsBusy", "WriterLock"]


class ViewsBusy(RuntimeError):
    """Another process maintains these views (a running ``koers serve`` or
    ``koers projections run``): stop it first, or ask it to rebuild."""

    def __init__(self, path: Path, holder: str) -> None:
        self.path, self.holder = path, holder
        who = f" (process {holder})" if holder else ""
        super().__init__(
            f"the views {path} are being maintained by another process{who}: stop it, or "
            f"rebuild through it"
        )


class WriterLock:
    """Held from :meth:`acquire` to :meth:`release`; ``ViewsBusy`` if someone else holds it."""

    def __init__(self, views_path: Path) -> None:
        self.views_path = views_path
        self.path = views_path.with_name(views_path.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        if not self.path.parent.exists():
            private_dir(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            os.close(fd)
            raise ViewsBusy(self.views_path, holder) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd

    def regain(self) -> None:
        """Nothing to do: the kernel keeps a ``flock`` for as long as this process lives
        (a database lock may be lost with its connection, ``projections._postgres``)."""

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

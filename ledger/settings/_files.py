"""Files Koers keeps in its data directory are its owner's alone, whatever the umask.

Every directory Koers makes there is mode 0700 and every file 0600: the directory holds the
NATS credentials, the views (every team's content), the session and signing keys. A
permissive umask (``umask 000``) must not widen that, so modes are set explicitly, not left
to the umask.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["PRIVATE_DIR", "PRIVATE_FILE", "private_dir", "private_file", "write_private"]

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path) -> Path:
    """Make ``path`` a directory only its owner can enter (0700), and the parents this
    makes too; an existing ``path`` is narrowed to 0700, its existing parents are left."""
    made = [p for p in path.parents if not p.exists()]
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    for directory in (*made, path):
        os.chmod(directory, PRIVATE_DIR)
    return path


def private_file(path: Path) -> Path:
    """Make sure ``path`` exists with mode 0600 (created empty if missing), before a library
    (sqlite, nats-server) opens it with its own default mode."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, PRIVATE_FILE)
    os.close(fd)
    os.chmod(path, PRIVATE_FILE)
    return path


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` atomically with ``text``, mode 0600 from its first byte."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, PRIVATE_FILE)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, PRIVATE_FILE)
    tmp.replace(path)

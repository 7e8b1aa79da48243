"""The key that signs browser sessions: ``<data dir>/session.key``, made on first use.

Readable by its owner only (0600); anyone who can read it can forge a session, as anyone who
can read the data directory can read the ledger. Delete it to end every session.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

__all__ = ["session_key"]

NAME = "session.key"


def session_key(data_dir: Path) -> bytes:
    """The session key kept in ``data_dir``, made (32 random bytes, mode 0600) if missing."""
    path = data_dir / NAME
    try:
        return bytes.fromhex(path.read_text("ascii").strip())
    except (FileNotFoundError, ValueError):
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(key.hex() + "\n")
    os.chmod(path, 0o600)
    return key

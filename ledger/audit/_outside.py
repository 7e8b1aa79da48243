"""Checkpoints kept outside NATS: a JSON-lines file the checkpointer appends to, and reads.

One checkpoint per line (``Checkpoint.to_json``), appended and fsynced, never rewritten: by
default in the data directory (``audit/checkpoints/``, mode 0600 in a 0700 folder), or a
file on another disk, or in a git work tree whose history is pushed elsewhere. An attacker
who can rewrite the ledger and its checkpoint stream, and even holds the signing key, cannot
change what was copied here before, so ``koers audit verify`` compares the log with it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ledger.audit._checkpoint import Checkpoint, CheckpointError

__all__ = ["TORN", "Kept", "append_kept", "read_kept"]

#: The problem of a last line cut short (a crash while appending): not a sign of tampering.
TORN = "the last line is incomplete (cut short while it was written)"


@dataclass(frozen=True)
class Kept:
    """One line of a kept file: where it is, and the checkpoint (or why it is not one)."""

    where: str
    checkpoint: Checkpoint | None
    problem: str = ""


def append_kept(path: Path, checkpoints: Iterable[Checkpoint]) -> None:
    """Append ``checkpoints`` to ``path`` (created with its folders), one line each, fsynced."""
    lines = "".join(c.to_json() + "\n" for c in checkpoints)
    if not lines:
        return
    if not path.parent.is_dir():
        path.parent.mkdir(parents=True)
        path.parent.chmod(0o700)  # whatever the umask
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)
        data = lines.encode("utf-8")
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":  # a torn last line stays alone
            data = b"\n" + data
        while data:
            data = data[os.write(fd, data) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def read_kept(path: Path) -> list[Kept]:
    """Every line of ``path`` (a missing file has none); a bad line is kept with its problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    out = []
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            out.append(Kept(where, Checkpoint.from_json(line)))
        except CheckpointError as e:
            torn = number == len(lines) and not text.endswith("\n")
            out.append(Kept(where, None, TORN if torn else e.reason))
    return out

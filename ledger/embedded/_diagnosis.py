"""Why a start failed, in words: the server's last lines, the likely cause and its fix."""

from __future__ import annotations

import os
from pathlib import Path

from ledger.embedded._paths import ServerPaths, read_state

__all__ = ["busy_message", "explain", "file_size", "tail"]

_LOG_TAIL_LINES = 12


_KNOWN_CAUSES = (
    (
        "address already in use",
        "port {port} on 127.0.0.1 is already in use by another program",
        "Choose another port (or leave it unset so a free one is picked), or stop the program "
        "listening on 127.0.0.1:{port}.",
    ),
    (
        "permission denied",
        "the server may not write its files",
        "Make {nats_dir} writable by this user.",
    ),
    (
        "no space left",
        "the disk is full",
        "Free disk space where {nats_dir} lives.",
    ),
)


def tail(path: Path, offset: int = 0, lines: int = _LOG_TAIL_LINES) -> list[str]:
    """The last ``lines`` lines of ``path`` written after byte ``offset`` (all, if rotated)."""
    try:
        with path.open("rb") as f:
            size = f.seek(0, os.SEEK_END)
            f.seek(max(offset if offset <= size else 0, size - 64 * 1024))
            data = f.read()
    except FileNotFoundError:
        return []
    return [line for line in data.decode("utf-8", "replace").splitlines() if line][-lines:]


def file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def explain(lines: list[str], port: int, paths: ServerPaths) -> tuple[str, str]:
    """A (cause, fix) pair in words, from the last lines the server wrote."""
    text = "\n".join(lines).lower()
    for needle, cause, fix in _KNOWN_CAUSES:
        if needle in text:
            return cause.format(port=port), fix.format(port=port, nats_dir=paths.nats_dir)
    return (
        "see the server's last lines below",
        f"Fix the cause named in {paths.log_file} or {paths.output_file}, then start again.",
    )


def busy_message(paths: ServerPaths) -> str:
    """Why a start was refused: another server already holds the data directory."""
    state = read_state(paths)
    where = f" (pid {state.pid}, {state.url})" if state is not None else ""
    return (
        f"another nats-server is already running for {paths.data_dir}{where}. Connect to it "
        f"(ensure_server reuses it), or stop it first: one store may have only one server."
    )

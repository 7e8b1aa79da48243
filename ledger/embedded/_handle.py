"""One server per data directory: :func:`ensure_server` reuses the running one or starts it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Self

from ledger.embedded._constants import (
    DEFAULT_LOCK_TIMEOUT,
    DEFAULT_MAX_BATCH_MSGS,
    DEFAULT_MAX_PAYLOAD,
    DEFAULT_STARTUP_TIMEOUT,
    DEFAULT_STOP_TIMEOUT,
)
from ledger.embedded._locks import acquire, exclusive, lock_is_held
from ledger.embedded._paths import ServerPaths, ServerState, read_state
from ledger.embedded._probe import probe_problem
from ledger.embedded._server import EmbeddedServer
from ledger.errors import EmbeddedServerError

__all__ = ["ServerHandle", "ensure_server"]


class ServerHandle:
    """A running server for a data directory, as :func:`ensure_server` found or started it.

    ``owned`` is true when this handle started the server; only then does :meth:`stop` stop
    it. A reused server (``owned`` false) belongs to the process that started it.
    """

    def __init__(
        self, state: ServerState, data_dir: Path, server: EmbeddedServer | None, lock_timeout: float
    ) -> None:
        self.state = state
        self.data_dir = data_dir
        self._server = server
        self._lock_timeout = lock_timeout
        self.owned = server is not None

    @property
    def url(self) -> str:
        return self.state.url

    @property
    def pid(self) -> int:
        return self.state.pid

    @property
    def exit_status(self) -> int | None:
        """How the server this handle started ended (see :attr:`EmbeddedServer.exit_status`);
        ``None`` while it runs, and always for a reused server (not our child)."""
        return None if self._server is None else self._server.exit_status

    def stop(self, timeout: float = DEFAULT_STOP_TIMEOUT) -> None:
        """Stop the server if this handle owns it; idempotent; a no-op for a reused server.

        Stops under ``server.lock`` so a concurrent :func:`ensure_server` does not pick up a
        server that is going away; if that lock stays taken the server is stopped anyway.
        """
        server, self._server = self._server, None
        if server is None:
            return
        fd = acquire(server.paths.server_lock, self._lock_timeout)
        try:
            server.stop(timeout)
        finally:
            if fd is not None:
                os.close(fd)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"ServerHandle(url={self.url!r}, pid={self.pid}, owned={self.owned})"


def ensure_server(
    data_dir: Path,
    *,
    port: int | None = None,
    sync_always: bool = True,
    max_batch_msgs: int = DEFAULT_MAX_BATCH_MSGS,
    max_payload: int = DEFAULT_MAX_PAYLOAD,
    startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    binary: Path | None = None,
) -> ServerHandle:
    """Reuse the server already running for ``data_dir``, or start one; never two.

    The check-and-start runs under an exclusive flock on ``server.lock``, so processes that
    call this at the same moment end with one server: the first starts it (``owned``), the
    others wait for the lock, then reuse it. A ``server.json`` left by a dead server is stale
    (nobody holds ``store.lock``) and is replaced. A reused server must have been started
    with the same durability and size settings (and ``port``, when given).
    """
    server = EmbeddedServer(
        data_dir,
        port=port,
        sync_always=sync_always,
        max_batch_msgs=max_batch_msgs,
        max_payload=max_payload,
        startup_timeout=startup_timeout,
        binary=binary,
    )
    paths = server.paths
    paths.nats_dir.mkdir(parents=True, exist_ok=True)
    with exclusive(paths.server_lock, lock_timeout):
        running = _running_state(paths, startup_timeout)
        if running is not None:
            _check_compatible(running, server, port)
            return ServerHandle(running, paths.data_dir, None, lock_timeout)
        paths.state_file.unlink(missing_ok=True)  # stale: its server is gone
        server.start()
    assert server.state is not None  # start() returned, so the server runs
    return ServerHandle(server.state, paths.data_dir, server, lock_timeout)


def _running_state(paths: ServerPaths, timeout: float) -> ServerState | None:
    """The state of the live server for ``paths``, ``None`` if none runs; raise if it is sick."""
    if not lock_is_held(paths.store_lock):
        return None
    state = read_state(paths)
    if state is None:
        raise EmbeddedServerError(
            f"a nats-server is running for {paths.data_dir} (it holds {paths.store_lock.name}) "
            f"but {paths.state_file} is missing or unreadable, so its address is unknown. Stop "
            f"that server (its pid is in {paths.pid_file}) and try again."
        )
    problem = probe_problem(state.port, state.server_name, timeout)
    if problem is not None:
        raise EmbeddedServerError(
            f"the nats-server for {paths.data_dir} (pid {state.pid}) runs but does not answer "
            f"at {state.url} ({problem}). Stop it with 'kill {state.pid}' and try again."
        )
    return state


def _check_compatible(state: ServerState, wanted: EmbeddedServer, port: int | None) -> None:
    """Refuse to reuse a server whose settings differ from the ones asked for."""
    names = ("sync_always", "max_batch_msgs", "max_payload")
    diffs = [
        f"{name} is {getattr(state, name)}, asked {getattr(wanted, name)}"
        for name in names
        if getattr(state, name) != getattr(wanted, name)
    ]
    if port is not None and port != state.port:
        diffs.append(f"port is {state.port}, asked {port}")
    if diffs:
        raise EmbeddedServerError(
            f"the nats-server already running for {wanted.data_dir} (pid {state.pid}) has other "
            f"settings ({'; '.join(diffs)}). Use the same settings, or stop it "
            f"('kill {state.pid}') so the next start uses the new ones."
        )

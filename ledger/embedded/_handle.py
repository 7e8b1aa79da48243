"""One server per data directory: :func:`ensure_server` reuses the running one or starts it."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Self, TypedDict, Unpack

from ledger.embedded._config import render_config
from ledger.embedded._constants import (
    DEFAULT_LOCK_TIMEOUT,
    DEFAULT_STARTUP_TIMEOUT,
    DEFAULT_STOP_TIMEOUT,
    POLL_INTERVAL,
)
from ledger.embedded._diagnosis import file_size, tail
from ledger.embedded._locks import acquire, exclusive, lock_is_held
from ledger.embedded._paths import ServerPaths, ServerState, read_state, signal_server
from ledger.embedded._permissions import Ledger
from ledger.embedded._probe import probe_problem
from ledger.embedded._server import EmbeddedServer
from ledger.embedded._users import (
    Credential,
    authorization,
    ensure_credentials,
    probe_login,
    read_credential,
    remember_ledger,
)
from ledger.errors import EmbeddedServerError
from ledger.settings import private_dir, write_private

__all__ = ["ServerHandle", "ServerOptions", "ensure_server", "reload_users", "running_state"]

_RELOADED = "reloaded server configuration"
_RELOAD_FAILED = "failed to reload"


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

    def credential(self, name: str) -> Credential:
        """The credentials user ``name`` (a role, or a read-only user) connects with."""
        return read_credential(ServerPaths(self.data_dir), name)

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


class ServerOptions(TypedDict, total=False):
    """How an embedded server runs: the keyword arguments :func:`ensure_server` passes on to
    :class:`EmbeddedServer` (one left out takes that class's default)."""

    port: int | None
    sync_always: bool
    max_batch_msgs: int
    max_payload: int
    startup_timeout: float
    binary: Path | None


def ensure_server(
    data_dir: Path,
    *,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ledger: Ledger | None = None,
    **options: Unpack[ServerOptions],
) -> ServerHandle:
    """Reuse the server already running for ``data_dir``, or start one; never two.

    The check-and-start runs under an exclusive flock on ``server.lock``, so processes that
    call this at the same moment end with one server: the first starts it (``owned``), the
    others wait for the lock, then reuse it. A ``server.json`` left by a dead server is stale
    (nobody holds ``store.lock``) and is replaced. A reused server must have been started
    with the same durability and size settings (and ``port``, when given).

    The server admits only the users of the data directory (made here on first use). Its
    permissions cover ``ledger`` (default ``LEDGER``): a ledger it did not cover yet is added,
    and a running server reloads its config before this returns.
    """
    server = EmbeddedServer(data_dir, **options)
    startup_timeout = options.get("startup_timeout", DEFAULT_STARTUP_TIMEOUT)
    paths = server.paths
    private_dir(paths.data_dir)
    private_dir(paths.nats_dir)
    with exclusive(paths.server_lock, lock_timeout):
        ensure_credentials(paths)
        new_ledger = remember_ledger(paths, ledger or Ledger())
        running = _running_state(paths, startup_timeout)
        if running is not None:
            _check_compatible(running, server, options.get("port"))
            if new_ledger:
                _reload(paths, running, startup_timeout)
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
    problem = probe_problem(state.port, state.server_name, timeout, probe_login(paths))
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


def running_state(data_dir: Path) -> ServerState | None:
    """What ``server.json`` says of the server running for ``data_dir``; ``None`` if none runs."""
    paths = ServerPaths(Path(data_dir).absolute())
    return read_state(paths) if lock_is_held(paths.store_lock) else None


def reload_users(data_dir: Path, timeout: float = DEFAULT_STARTUP_TIMEOUT) -> ServerState | None:
    """Make the server running for ``data_dir`` admit exactly the users (and cover the
    ledgers) its files list now: rewrite its config and reload it. ``None``: none runs (the
    next start reads the files)."""
    paths = ServerPaths(Path(data_dir).absolute())
    with exclusive(paths.server_lock, DEFAULT_LOCK_TIMEOUT):
        if not lock_is_held(paths.store_lock):
            return None
        state = read_state(paths)
        if state is None:
            return None
        _reload(paths, state, timeout)
        return state


def _reload(paths: ServerPaths, state: ServerState, timeout: float) -> None:
    """Rewrite the config of the running server ``state`` and wait until it reloaded it
    (SIGHUP; nats-server logs the outcome), so the caller's next connection sees it."""
    text = render_config(
        paths,
        port=state.port,
        server_name=state.server_name,
        sync_always=state.sync_always,
        max_batch_msgs=state.max_batch_msgs,
        max_payload=state.max_payload,
        authorization=authorization(paths),
    )
    write_private(paths.config, text)
    offset = file_size(paths.log_file)
    if not signal_server(paths, state.pid, signal.SIGHUP):
        raise EmbeddedServerError(
            f"the nats-server for {paths.data_dir} (pid {state.pid} in {paths.state_file}) is "
            "gone or that pid is now another program's, so its config was not reloaded. Start "
            "Koers again: it starts the server afresh."
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = [line.lower() for line in tail(paths.log_file, offset, lines=50)]
        if any(_RELOADED in line for line in lines):
            return
        failed = [line for line in lines if _RELOAD_FAILED in line]
        if failed:
            raise EmbeddedServerError(
                f"the nats-server for {paths.data_dir} (pid {state.pid}) refused its new "
                f"config: {failed[-1]}. See {paths.log_file}."
            )
        time.sleep(POLL_INTERVAL)
    raise EmbeddedServerError(
        f"the nats-server for {paths.data_dir} (pid {state.pid}) did not reload its config "
        f"within {timeout:g} s. Restart it ('koers serve' again) to apply the change."
    )

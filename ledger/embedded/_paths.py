"""The files of one data directory's server, and ``server.json``, the record of a running one."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from ledger.embedded._constants import LOOPBACK
from ledger.settings import write_private

__all__ = [
    "ServerPaths",
    "ServerState",
    "read_state",
    "remove_state",
    "runs_our_server",
    "signal_server",
    "write_state",
]


@dataclass(frozen=True)
class ServerPaths:
    """Where the files of the server for one data directory live (see :mod:`ledger.embedded`)."""

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

    @property
    def credentials_dir(self) -> Path:
        return self.nats_dir / "credentials"

    @property
    def ledgers_file(self) -> Path:
        return self.nats_dir / "ledgers.json"


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


# --- the state file --------------------------------------------------------------------------


def read_state(paths: ServerPaths) -> ServerState | None:
    try:
        return ServerState.from_json(paths.state_file.read_text(encoding="utf-8"))
    except (FileNotFoundError, UnicodeDecodeError):
        return None


def write_state(paths: ServerPaths, state: ServerState) -> None:
    """Replace ``server.json`` atomically (mode 0600), so a reader never sees half a file.

    It holds no secret (the URL has no credentials), but says where the server listens."""
    write_private(paths.state_file, state.to_json())


def remove_state(paths: ServerPaths, pid: int) -> None:
    """Remove ``server.json`` if it still describes the server with ``pid``."""
    state = read_state(paths)
    if state is not None and state.pid == pid:
        paths.state_file.unlink(missing_ok=True)


# --- signalling a server known only by its pid -----------------------------------------------


def runs_our_server(paths: ServerPaths, pid: int) -> bool:
    """Whether ``pid`` is a live process started with this data directory's config.

    A pid read from a file may belong to a process that has since died; Linux hands pids
    out again (up to ``pid_max``, often 32,768), and ``kill`` on a thread id reaches that
    thread's whole process. So a pid is signalled only when ``/proc`` shows it is the
    leader of a process whose command line names our config file. Where there is no
    ``/proc``, a live pid is taken at its word."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.kill(pid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True
    try:
        status = (proc / str(pid) / "status").read_text(encoding="utf-8", errors="replace")
        argv = (proc / str(pid) / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    tgid = next((line.split()[1] for line in status.splitlines() if line.startswith("Tgid:")), "")
    return tgid == str(pid) and os.fsencode(str(paths.config)) in argv


def signal_server(paths: ServerPaths, pid: int, signum: int) -> bool:
    """Send ``signum`` to the server with ``pid`` if it is still ours; whether it was sent."""
    if not runs_our_server(paths, pid):
        return False
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        return False
    return True

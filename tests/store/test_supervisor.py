"""The supervisor of ``koers serve`` restarts the nats-server of its data directory: the one
it found running and the one it started itself, on the same URL, keeping the data."""

from __future__ import annotations

import logging
import os
import signal
from pathlib import Path

import pytest

from ledger.embedded import EmbeddedServer, ServerHandle, Supervisor, ensure_server
from ledger.nats.watch import Condition, condition, unavailable, watch
from tests.store.test_embedded import alive, publish, read_all, wait_until


def test_a_killed_server_is_restarted_on_its_url_with_its_data_and_adopted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="ledger.embedded")
    found = EmbeddedServer(tmp_path).start()  # started by "another process": not ours
    handle = ensure_server(tmp_path)
    assert not handle.owned
    adopted: list[ServerHandle] = []
    supervisor = Supervisor(handle, adopted.append).start()
    forget = watch(supervisor.url, lambda: supervisor.condition)
    try:
        assert condition(handle.url) == "running"
        publish(handle.url, "KEPT", [b"one"])
        found.kill()
        wait_until(lambda: len(adopted) == 1, "the server found running is restarted")
        first = adopted[0]
        assert (first.url, first.owned) == (handle.url, True)
        assert read_all(first.url, "KEPT") == [b"one"]
        os.kill(first.pid, signal.SIGKILL)
        wait_until(lambda: len(adopted) == 2, "the server it started is restarted")
        assert adopted[1].url == handle.url
        assert not alive(first.pid)  # the dead child was reaped
        assert supervisor.restarts == 2
    finally:
        supervisor.stop()
        forget()
        for started in adopted:
            started.stop()
        found.stop()
    assert condition(handle.url) is None  # unwatched again
    logged = [r.getMessage() for r in caplog.records]
    assert any("exit status unknown: not started by this process" in m for m in logged), logged
    assert any("killed by SIGKILL" in m for m in logged), logged


def test_the_advice_says_what_the_supervisor_does() -> None:
    url = "nats://127.0.0.1:9"
    assert "Start it with 'koers serve'" in str(unavailable(url, "TimeoutError"))
    state: Condition = "restarting"
    forget = watch(url, lambda: state)
    try:
        assert "koers serve is restarting it" in str(unavailable(url, "TimeoutError"))
        state = "out-of-space"
        full = unavailable(url, "TimeoutError")
        assert type(full).__name__ == "StoreOutOfSpace"
        assert "out of disk space" in str(full)
    finally:
        forget()

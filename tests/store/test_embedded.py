"""The embedded nats-server: start, stop, restart, crash, and one server per data directory.

Every test runs real nats-server processes in its own ``tmp_path``, waits on conditions with
deadlines, and checks that no server process is left behind.
"""

from __future__ import annotations

import asyncio
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

import nats
import pytest
from nats.js.api import Header, StorageType, StreamConfig

from ledger.embedded import (
    EmbeddedServer,
    ServerPaths,
    ServerState,
    ensure_server,
    find_binary,
    read_credential,
    runs_our_server,
    signal_server,
)
from ledger.errors import EmbeddedServerError

REPO = Path(__file__).resolve().parents[2]
DEADLINE = 15.0


# --- helpers ---------------------------------------------------------------------------------


def alive(pid: int) -> bool:
    """Whether a process with this pid exists (a zombie counts: it has not been reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_until(condition: Callable[[], bool], what: str, timeout: float = DEADLINE) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting until {what}")
        time.sleep(0.02)


class Served(Protocol):
    """An EmbeddedServer or a ServerHandle: where it listens, whose data it serves."""

    @property
    def url(self) -> str: ...

    @property
    def data_dir(self) -> Path: ...


def signed_in(server: Served) -> str:
    """The server's URL with the ``admin`` user's credentials (no anonymous clients)."""
    return read_credential(ServerPaths(server.data_dir), "admin").url(server.url)


async def _publish(url: str, stream: str, bodies: list[bytes]) -> list[int]:
    nc = await nats.connect(url, connect_timeout=5, max_reconnect_attempts=1)
    try:
        js = nc.jetstream()
        config = StreamConfig(name=stream, subjects=[f"{stream}.>"], storage=StorageType.FILE)
        await js.add_stream(config)
        return [(await js.publish(f"{stream}.x", body)).seq for body in bodies]
    finally:
        await nc.close()


async def _read_all(url: str, stream: str) -> list[bytes]:
    nc = await nats.connect(url, connect_timeout=5, max_reconnect_attempts=1)
    try:
        js = nc.jetstream()
        info = await js.stream_info(stream)
        return [
            (await js.get_msg(stream, seq)).data or b"" for seq in range(1, info.state.last_seq + 1)
        ]
    finally:
        await nc.close()


def publish(server: Served, stream: str, bodies: list[bytes]) -> list[int]:
    return asyncio.run(_publish(signed_in(server), stream, bodies))


def read_all(server: Served, stream: str) -> list[bytes]:
    return asyncio.run(_read_all(signed_in(server), stream))


def python_child(script: str, *args: str, new_session: bool = False) -> subprocess.Popen[str]:
    """Run ``script`` in a fresh Python that imports this checkout's ``ledger``."""
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=new_session,
    )


def read_line(proc: subprocess.Popen[str], timeout: float = DEADLINE) -> str:
    """One line from the child's stdout, or fail the test after ``timeout`` seconds."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    if not ready:
        pytest.fail(f"child {proc.pid} wrote nothing within {timeout} s")
    return proc.stdout.readline().strip()


def finish(proc: subprocess.Popen[str], timeout: float = DEADLINE) -> int:
    """Close the child's stdin (its cue to finish) and wait; kill it if it hangs."""
    if proc.stdin is not None:
        proc.stdin.close()
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise
    finally:
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmbeddedServer]:
    srv = EmbeddedServer(tmp_path / "data")
    srv.start()
    yield srv
    srv.stop()


# --- one server ------------------------------------------------------------------------------


def test_start_gives_usable_jetstream_and_stop_leaves_no_process(tmp_path: Path) -> None:
    srv = EmbeddedServer(tmp_path)
    srv.start()
    pid = srv.pid
    assert pid is not None
    assert alive(pid)
    assert srv.url == f"nats://127.0.0.1:{srv.port}"
    assert srv.data_dir == tmp_path.absolute()

    assert publish(srv, "START", [b"one", b"two"]) == [1, 2]

    state = json.loads((tmp_path / "nats" / "server.json").read_text())
    assert (state["pid"], state["url"], state["owner_pid"]) == (pid, srv.url, os.getpid())

    srv.stop()
    assert not alive(pid)
    assert srv.pid is None
    assert not (tmp_path / "nats" / "server.json").exists()
    srv.stop()  # idempotent
    log = (tmp_path / "nats" / "nats-server.log").read_text()
    assert "JetStream Shutdown" in log
    assert "Server Exiting" in log


def test_context_manager_starts_and_stops(tmp_path: Path) -> None:
    with EmbeddedServer(tmp_path) as srv:
        pid = srv.pid
        assert pid is not None
        assert srv.running
        assert publish(srv, "CTX", [b"x"]) == [1]
    assert not alive(pid)


def test_config_is_loopback_durable_and_accepted_by_nats_server(tmp_path: Path) -> None:
    with EmbeddedServer(tmp_path, max_batch_msgs=5000, max_payload=2 * 1024 * 1024) as srv:
        text = srv.paths.config.read_text()
    assert f"listen: 127.0.0.1:{srv.port}\n" in text
    assert "sync_interval: always" in text
    assert "limits { batch { max_msgs: 5000 } }" in text
    assert "max_payload: 2097152" in text
    assert f'store_dir: "{tmp_path.absolute() / "nats" / "jetstream"}"' in text
    assert "http" not in text  # no monitoring port
    checked = subprocess.run(
        [str(find_binary()), "-c", str(srv.paths.config), "-t"],
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr

    lazy = EmbeddedServer(tmp_path / "lazy", sync_always=False).config_text()
    assert "sync_interval" not in lazy


def test_data_survives_a_clean_restart(server: EmbeddedServer) -> None:
    url, first_pid = server.url, server.pid
    publish(server, "KEEP", [b"a", b"b", b"c"])

    server.restart()

    assert server.url == url
    assert server.pid != first_pid
    assert read_all(server, "KEEP") == [b"a", b"b", b"c"]


def test_data_survives_a_new_server_object_on_the_same_directory(tmp_path: Path) -> None:
    with EmbeddedServer(tmp_path) as first:
        publish(first, "AGAIN", [b"1", b"2"])
    with EmbeddedServer(tmp_path) as second:
        assert read_all(second, "AGAIN") == [b"1", b"2"]


def test_kill_then_restart_keeps_acknowledged_data(server: EmbeddedServer) -> None:
    bodies = [f"event-{i}".encode() for i in range(50)]
    assert publish(server, "CRASH", bodies) == list(range(1, 51))  # each one acknowledged
    pid = server.pid
    assert pid is not None

    server.kill()

    assert not alive(pid)
    assert server.pid is None
    assert (server.paths.state_file).exists()  # a crash leaves its state file behind
    server.restart()
    assert read_all(server, "CRASH") == bodies


def test_a_second_server_for_the_same_directory_is_refused(server: EmbeddedServer) -> None:
    other = EmbeddedServer(server.data_dir)
    with pytest.raises(EmbeddedServerError, match="already running") as caught:
        other.start()
    assert str(server.pid) in str(caught.value)
    assert other.pid is None
    assert publish(server, "STILL", [b"ok"]) == [1]


def test_port_in_use_gives_a_clear_error_and_no_process(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        srv = EmbeddedServer(tmp_path, port=port, startup_timeout=5)

        with pytest.raises(EmbeddedServerError) as caught:
            srv.start()

    message = str(caught.value)
    assert f"port {port} on 127.0.0.1 is already in use" in message
    assert "Choose another port" in message
    assert "address already in use" in message  # the server's own log line is quoted
    assert srv.pid is None
    child_pid = int((tmp_path / "nats" / "nats-server.pid").read_text())
    assert not alive(child_pid)
    assert not (tmp_path / "nats" / "server.json").exists()


def test_bad_settings_and_missing_binary_are_explained(tmp_path: Path) -> None:
    with pytest.raises(EmbeddedServerError, match="max_batch_msgs 0 is below 1"):
        EmbeddedServer(tmp_path, max_batch_msgs=0)
    with pytest.raises(EmbeddedServerError, match="port 70000 is not between"):
        EmbeddedServer(tmp_path, port=70000)
    missing = EmbeddedServer(tmp_path, binary=tmp_path / "no-such-nats-server")
    with pytest.raises(EmbeddedServerError, match="missing or not executable"):
        missing.start()


# --- one server per data directory ------------------------------------------------------------


def test_ensure_server_twice_reuses_and_does_not_stop_the_server(tmp_path: Path) -> None:
    with ensure_server(tmp_path) as first:
        assert first.owned
        with ensure_server(tmp_path) as second:
            assert not second.owned
            assert (second.pid, second.url) == (first.pid, first.url)
        assert alive(first.pid)  # leaving the reuser's block did not stop it
        assert publish(first, "REUSE", [b"still here"]) == [1]
    assert not alive(first.pid)
    assert not (tmp_path / "nats" / "server.json").exists()


def test_ensure_server_refuses_a_server_with_other_settings(tmp_path: Path) -> None:
    with ensure_server(tmp_path) as handle:
        with pytest.raises(EmbeddedServerError, match="sync_always is True, asked False"):
            ensure_server(tmp_path, sync_always=False)
        assert alive(handle.pid)


_RACER = """
import json, sys, time
from pathlib import Path
from ledger.embedded import ensure_server

data_dir, go = Path(sys.argv[1]), Path(sys.argv[2])
print("ready", flush=True)
deadline = time.monotonic() + 15
while not go.exists() and time.monotonic() < deadline:
    time.sleep(0.001)
handle = ensure_server(data_dir)
print(json.dumps({"pid": handle.pid, "url": handle.url, "owned": handle.owned}), flush=True)
sys.stdin.read()
handle.stop()
"""


def test_two_processes_racing_ensure_server_get_one_server(tmp_path: Path) -> None:
    go = tmp_path / "go"
    racers = [python_child(_RACER, str(tmp_path / "data"), str(go)) for _ in range(2)]
    server_pid: int | None = None
    try:
        assert [read_line(r) for r in racers] == ["ready", "ready"]
        go.touch()
        results = [json.loads(read_line(r)) for r in racers]

        assert results[0]["pid"] == results[1]["pid"]
        assert results[0]["url"] == results[1]["url"]
        assert sorted(r["owned"] for r in results) == [False, True]
        server_pid = results[0]["pid"]
        owner, reuser = (racers[0], racers[1]) if results[0]["owned"] else (racers[1], racers[0])

        assert finish(reuser) == 0
        assert alive(server_pid)
        assert finish(owner) == 0
        wait_until(lambda: not alive(server_pid), "the owner's server is gone")
    finally:
        for racer in racers:
            if racer.poll() is None:
                racer.kill()
                finish(racer)
        if server_pid is not None:  # only if that pid is still our server's
            signal_server(ServerPaths((tmp_path / "data").absolute()), server_pid, signal.SIGKILL)


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(DEADLINE)
    return child.pid


def test_a_pid_is_signalled_only_while_it_is_our_server(server: EmbeddedServer) -> None:
    # Seen in CI: a test killed a pid from a stale server.json after Linux had handed it to
    # a thread of a pytest worker, and SIGKILL took that whole worker down.
    paths = ServerPaths(server.data_dir)
    assert server.pid is not None
    assert runs_our_server(paths, server.pid)
    assert not runs_our_server(ServerPaths(server.data_dir / "elsewhere"), server.pid)
    assert not runs_our_server(paths, os.getpid())  # a live process, not a server
    threads = [int(t.name) for t in Path(f"/proc/{server.pid}/task").iterdir()]
    others = [tid for tid in threads if tid != server.pid]
    assert others, threads  # nats-server (Go) runs several threads
    assert not any(runs_our_server(paths, tid) for tid in others)  # same command line
    assert not runs_our_server(paths, _dead_pid())
    assert not signal_server(paths, os.getpid(), signal.SIGKILL)  # we are still here
    assert signal_server(paths, server.pid, 0)


@pytest.mark.parametrize("stale_pid", ["dead", "alive but not a server"])
def test_a_stale_state_file_is_replaced(tmp_path: Path, stale_pid: str) -> None:
    pid = _dead_pid() if stale_pid == "dead" else os.getpid()
    nats_dir = tmp_path / "nats"
    nats_dir.mkdir()
    stale = ServerState(
        pid=pid,
        port=1,
        server_name="koers-gone",
        owner_pid=pid,
        owner_host="elsewhere",
        started_at=0.0,
        sync_always=True,
        max_batch_msgs=1000,
        max_payload=1024 * 1024,
    )
    (nats_dir / "server.json").write_text(stale.to_json())

    with ensure_server(tmp_path) as handle:
        assert handle.owned
        assert handle.pid != pid
        assert alive(handle.pid)
        assert json.loads((nats_dir / "server.json").read_text())["pid"] == handle.pid
        assert publish(handle, "FRESH", [b"new"]) == [1]
    assert not alive(handle.pid)


# --- no orphans when the Python process ends -----------------------------------------------------

_EXIT_WITHOUT_STOP = """
import sys
from pathlib import Path
from ledger.embedded import EmbeddedServer

server = EmbeddedServer(Path(sys.argv[1])).start()
print(server.pid, flush=True)
sys.stdin.read()
"""

_WAIT_IN_WITH_BLOCK = """
import sys, time
from pathlib import Path
from ledger.embedded import EmbeddedServer

with EmbeddedServer(Path(sys.argv[1])) as server:
    print(server.pid, flush=True)
    time.sleep(60)
"""


def test_interpreter_exit_stops_a_server_left_running(tmp_path: Path) -> None:
    child = python_child(_EXIT_WITHOUT_STOP, str(tmp_path))
    pid = int(read_line(child))
    assert alive(pid)

    assert finish(child) == 0

    wait_until(lambda: not alive(pid), "atexit stopped the server")
    assert "Server Exiting" in (tmp_path / "nats" / "nats-server.log").read_text()


def test_ctrl_c_reaches_python_which_stops_the_server_cleanly(tmp_path: Path) -> None:
    child = python_child(_WAIT_IN_WITH_BLOCK, str(tmp_path), new_session=True)
    pid = int(read_line(child))
    assert os.getpgid(pid) != child.pid  # the server is outside the terminal's process group

    os.killpg(child.pid, signal.SIGINT)  # what Ctrl-C in a terminal does

    finish(child, timeout=60)  # a clean stop flushes the store: slow on a loaded machine
    wait_until(lambda: not alive(pid), "the server is stopped")
    log = (tmp_path / "nats" / "nats-server.log").read_text()
    assert 'Trapped "terminated" signal' in log  # our SIGTERM, not the terminal's SIGINT
    assert 'Trapped "interrupt" signal' not in log


async def _atomic_batch(url: str, size: int) -> dict[str, object]:
    """Publish one ADR-50 atomic batch of ``size`` messages; the server's commit reply."""
    nc = await nats.connect(url, connect_timeout=5, max_reconnect_attempts=1)
    try:
        config = StreamConfig(
            name="BATCH", subjects=["batch.>"], storage=StorageType.FILE, allow_atomic=True
        )
        await nc.jetstream().add_stream(config)
        batch_id = uuid.uuid4().hex
        for seq in range(1, size + 1):
            headers: dict[str, str] = {Header.BATCH_ID: batch_id, Header.BATCH_SEQUENCE: str(seq)}
            if seq == size:
                headers[Header.BATCH_COMMIT] = "1"
            if seq in (1, size):
                reply = await nc.request(f"batch.{seq}", b"x", headers=headers, timeout=5)
                if seq == size or reply.data:
                    answer: dict[str, object] = json.loads(reply.data)
                    return answer
            else:
                await nc.publish(f"batch.{seq}", b"x", headers=headers)
        raise AssertionError("unreachable: the last message returns")
    finally:
        await nc.close()


def test_the_configured_batch_limit_is_what_the_server_enforces(tmp_path: Path) -> None:
    with EmbeddedServer(tmp_path, max_batch_msgs=3) as srv:
        assert asyncio.run(_atomic_batch(signed_in(srv), 3))["count"] == 3
        refused = asyncio.run(_atomic_batch(signed_in(srv), 4))
    assert refused["error"] == {
        "code": 400,
        "err_code": 10199,
        "description": "atomic publish batch is too large: 3",
    }


def test_ensure_server_explains_a_running_server_without_its_state_file(
    server: EmbeddedServer,
) -> None:
    server.paths.state_file.unlink()
    with pytest.raises(EmbeddedServerError, match="missing or unreadable"):
        ensure_server(server.data_dir, lock_timeout=5)
    assert server.running

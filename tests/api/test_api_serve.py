"""`koers serve` as a user runs it: one log line, the API answers, Ctrl-C stops everything."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.commandline import run_koers, serving


def _status(env: dict[str, str]) -> dict[str, object]:
    result = run_koers("status", "--json", env=env)
    assert result.returncode == 0, result.stderr
    status: dict[str, object] = json.loads(result.stdout)
    return status


def _token(env: dict[str, str], handle: str) -> str:
    """A new person (lead of platform) and their token, made with the command line (it
    finds the running server's nats-server); the secret is the output's last line."""
    full = {**os.environ, **env}
    for args in (["people", "add", handle, "--name", handle.title()],
                 ["teams", "add", "platform", "--name", "Platform"],
                 ["teams", "member", "platform", handle, "--role", "lead"]):  # fmt: skip
        subprocess.run([sys.executable, "-m", "ledger.cli", *args], env=full, check=True,
                       capture_output=True, timeout=60)  # fmt: skip
    made = subprocess.run(
        [sys.executable, "-m", "ledger.cli", "token", "create", handle],
        env=full, check=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return made.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("stop_with", [signal.SIGINT, signal.SIGTERM])
def test_koers_serve_logs_one_line_serves_http_and_stops_cleanly(
    tmp_path: Path, stop_with: signal.Signals
) -> None:
    env = {"KOERS_DATA_DIR": str(tmp_path), "NATS_URL": "", "KOERS_USER": "ann"}
    with serving("--port", "0", env=env) as serve:
        assert serve.stderr is not None
        line = serve.stderr.readline()
        assert line.startswith("koers: serving LEDGER (0 events) at nats://127.0.0.1:"), line
        match = re.search(r"API and web page at (http://127\.0\.0\.1:\d+) ", line)
        assert match, line
        hint = serve.stderr.readline()  # no person 'ann' yet: how to become one
        assert hint.startswith("koers: to sign in to the web page, add yourself"), hint
        assert "koers people add ann" in hint
        url = match[1]
        pid = _status(env)["server_pid"]
        secret = _token(env, "ann")
        with httpx.Client(base_url=url, timeout=30,
                          headers={"Authorization": f"Bearer {secret}"}) as client:  # fmt: skip
            body = {"team": "platform", "title": "Ship weekly", "why": "Customers wait",
                    "period": "2026-Q4", "owner": "ann"}  # fmt: skip
            created = client.post("/objectives", json=body)
            assert created.status_code == 201, created.text
            position = created.json()["position"]
            progress = client.get(
                "/teams/platform/okr-progress",
                params={"period": "2026-Q4", "min_position": position},
            )
            assert progress.status_code == 200, progress.text
            assert progress.json()["objectives"][0]["title"] == "Ship weekly"
            assert client.get("/").status_code == 200
        serve.send_signal(stop_with)
        assert serve.wait(timeout=30) == 0
        rest = serve.stderr.read()
        assert rest == "koers: stopping\n", rest
        with pytest.raises(ProcessLookupError):
            os.kill(int(str(pid)), 0)  # the nats-server it started is gone
        assert _status(env)["events"] == 5  # nothing lost: 4 of the directory and token, 1 goal
        assert (tmp_path / "views.sqlite3").exists()


def test_koers_serve_refuses_a_port_in_use_in_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        env = {"KOERS_DATA_DIR": str(tmp_path), "NATS_URL": ""}
        result = run_koers("serve", "--port", str(port), env=env)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"koers: cannot listen on 127.0.0.1:{port}"), result.stderr
    assert "Traceback" not in result.stderr


def test_koers_serve_finishes_a_request_in_flight_before_it_stops(tmp_path: Path) -> None:
    import threading
    import time

    env = {"KOERS_DATA_DIR": str(tmp_path), "NATS_URL": ""}
    with serving("--port", "0", env=env) as serve:
        assert serve.stderr is not None
        match = re.search(r"API and web page at (http://[0-9.:]+) ", serve.stderr.readline())
        assert match
        answers: list[httpx.Response] = []
        auth = {"Authorization": f"Bearer {_token(env, 'ann')}"}

        body = json.dumps({"team": "platform", "title": "Ship weekly", "why": "Customers",
                           "period": "2026-Q4", "owner": "ann"}).encode()  # fmt: skip

        def slowly() -> Iterator[bytes]:  # the body arrives over a second
            for i in range(0, len(body), 16):
                time.sleep(1 / (len(body) / 16))
                yield body[i : i + 16]

        def slow_write() -> None:
            headers = {**auth, "Content-Type": "application/json"}
            with httpx.Client(base_url=match[1], timeout=30, headers=headers) as client:
                answers.append(client.post("/objectives", content=slowly()))

        writer = threading.Thread(target=slow_write)
        writer.start()
        time.sleep(0.5)
        serve.send_signal(signal.SIGINT)
        writer.join(30)
        assert serve.wait(timeout=30) == 0
        assert [a.status_code for a in answers] == [201], answers[0].text  # done, then stopped
    assert _status(env)["events"] == 5  # 4 of the directory and the token, and the objective


def _ann_at_home(data: Path) -> dict[str, str]:
    """The settings of a data directory whose directory knows ann, the local user."""
    env = {"KOERS_DATA_DIR": str(data), "NATS_URL": "", "KOERS_USER": "ann"}
    added = run_koers("people", "add", "ann", "--name", "Ann", env=env)
    assert added.returncode == 0, added.stderr
    return env


def test_koers_serve_prints_a_login_link_for_the_local_user(tmp_path: Path) -> None:
    env = _ann_at_home(tmp_path)
    with serving("--port", "0", env=env) as serve:
        assert serve.stderr is not None
        assert serve.stderr.readline().startswith("koers: serving LEDGER")
        line = serve.stderr.readline()
        match = re.search(r"sign in as ann at (http://127\.0\.0\.1:\d+/login\?token=\S+) ", line)
        assert match, line
        with httpx.Client(timeout=30) as client:
            first = client.get(match[1], follow_redirects=False)
            assert first.status_code == 303, first.text
            assert "koers_session=" in first.headers["set-cookie"]
            assert client.get(match[1], follow_redirects=False).status_code == 401  # once
        serve.send_signal(signal.SIGINT)
        assert serve.wait(timeout=30) == 0


def test_koers_login_link_names_the_port_koers_serve_listens_on(tmp_path: Path) -> None:
    env = _ann_at_home(tmp_path)
    with serving("--port", "0", env=env) as serve:
        assert serve.stderr is not None
        port = re.search(r"web page at http://127\.0\.0\.1:(\d+) ", serve.stderr.readline())
        assert port, "koers serve did not say where it listens"
        made = run_koers("login-link", "ann", env=env)
        assert made.returncode == 0, made.stderr
        link = made.stdout.strip().splitlines()[-1]
        assert link.startswith(f"http://127.0.0.1:{port[1]}/login?token="), link
        with httpx.Client(timeout=30) as client:
            assert client.get(link, follow_redirects=False).status_code == 303
        serve.send_signal(signal.SIGINT)
        assert serve.wait(timeout=30) == 0
    later = run_koers("login-link", "ann", env=env)  # nothing serves: the default, and why
    assert later.returncode == 0, later.stderr
    assert later.stdout.strip().startswith("http://127.0.0.1:8000/login?token="), later.stdout
    assert "KOERS_PUBLIC_URL" in later.stderr

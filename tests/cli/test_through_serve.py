"""A one-shot command on a data directory where a ``koers serve`` runs goes through that
serve's API with its local secret: it starts nothing and imports nothing heavy.

The serve here is a stand-in (the standard library's HTTP server answering as the API
does), so the test sees exactly what the command line sends; ``tests/api/test_contract.py``
holds the real API to taking the secret.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli_help import HEAVY, probe

SECRET = "the-serves-secret"
OBJECTIVE = {"id": "9cbcb420-e2c2-536e-9ddd-dae285732d54", "team": "platform",
             "period": "2026-Q4", "title": "Release weekly", "owner": "ann",
             "status": "open"}  # fmt: skip
#: What a read through a serve must not import: what ``koers --help`` leaves out, but for
#: the error tree, the settings and the JSON library, which every command uses, and
#: pydantic, with which typer converts a running command's option values.
_EVERY_COMMAND = ("ledger.errors", "ledger.settings", "eventsourcing", "orjson", "pydantic")
THROUGH_SERVE = tuple(m for m in HEAVY if m not in _EVERY_COMMAND)


class _Api(BaseHTTPRequestHandler):
    seen: list[tuple[str, str, str]] = []

    def do_GET(self) -> None:
        self.seen.append((self.command, self.path, self.headers.get("Authorization", "")))
        body = json.dumps({"items": [OBJECTIVE], "total": 1}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Path]:
    """A data directory whose serve answers (its address and secret kept as serve keeps them)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    (tmp_path / "serve.url").write_text(f"http://127.0.0.1:{server.server_port}\n")
    (tmp_path / "serve.secret").write_text(SECRET + "\n")
    _Api.seen.clear()
    try:
        yield tmp_path
    finally:
        server.shutdown()
        server.server_close()


def _run(data_dir: Path, *args: str) -> dict[str, Any]:
    env = {"KOERS_DATA_DIR": str(data_dir), "KOERS_USER": "ann", "PATH": "/usr/bin:/bin"}
    return probe(*args, env=env)


def test_a_list_goes_through_the_running_serve_and_imports_nothing_heavy(serve: Path) -> None:
    found = _run(serve, "objective", "list", "--team", "platform", "--json")
    assert found["code"] == 0
    assert json.loads(found["out"]) == [OBJECTIVE]
    ((method, path, credential),) = _Api.seen
    assert method == "GET"
    assert path.startswith("/objectives?")
    assert "team=platform" in path
    assert credential == f"Bearer koers-local_{SECRET}"
    heavy = [m for m in found["modules"] if m in THROUGH_SERVE
             or any(m.startswith(f"{h}.") for h in THROUGH_SERVE)]  # fmt: skip
    assert heavy == [], heavy


def test_a_serve_that_no_longer_answers_is_not_used(serve: Path, tmp_path: Path) -> None:
    """A serve killed without cleaning up left its files: the command runs on the local data
    (here: none, so it says what is missing) instead of failing on a dead address."""
    (serve / "serve.url").write_text("http://127.0.0.1:9\n")  # nothing listens there
    from ledger.cli._remote import remote_for

    assert remote_for(serve) is None

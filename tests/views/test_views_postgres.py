"""Views in PostgreSQL (``KOERS_VIEWS_URL``): the typed columns, the settings' errors, one
writer per schema, and several ``koers serve`` processes reading one set of views, with
read-your-writes across them through the write's position.

The view tests of the other modules run on both backends too (``tests/views/conftest.py``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import psycopg
import pytest

from ledger.application import Koers
from ledger.errors import ConfigurationError
from ledger.settings import Settings
from projections import ViewRunner, ViewsUnavailable, open_views
from projections._lock import ViewsBusy
from tests.api.test_api_support import objective
from tests.commandline import run_koers, serving
from tests.conftest import fresh_env, postgres_url, postgres_views


def test_the_view_columns_have_their_types_in_postgresql() -> None:
    settings = postgres_views()
    views = open_views(settings)
    views.close()
    with psycopg.connect(postgres_url()) as connection:
        found = dict(
            connection.execute(  # type: ignore[arg-type]
                "SELECT table_name || '.' || column_name, data_type FROM "
                "information_schema.columns WHERE table_schema = %s",
                (settings["KOERS_VIEWS_SCHEMA"],),
            ).fetchall()
        )
    assert found["kr_check_ins.value"] == "numeric"
    assert found["kr_check_ins.as_of"] == "timestamp with time zone"
    assert found["decisions.review_on"] == "date"
    assert found["decisions.confidence"] == "numeric"
    assert found["key_results.cadence_days"] == "bigint"
    assert found["objectives.title"] == "text"
    assert found["tracking.notification_id"] == "bigint"
    assert {"quarantine.reason", "view_batches.earliest"} <= set(found)


@pytest.mark.parametrize(
    ("setting", "says"),
    [
        ({"KOERS_VIEWS_URL": "mysql://x/y"}, "KOERS_VIEWS_URL starts with 'mysql'"),
        ({"KOERS_VIEWS_URL": "postgresql://h:99999/k"}, "a port that is not a number"),
        ({"KOERS_VIEWS_URL": "postgresql://h/k", "KOERS_VIEWS_SCHEMA": "Views; drop"},
         "KOERS_VIEWS_SCHEMA is 'Views; drop'"),
    ],
)  # fmt: skip
def test_a_wrong_views_setting_says_what_to_set(setting: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(says)):
        Settings.from_env(setting)


def test_views_a_server_does_not_answer_for_are_unavailable_with_where_and_what_to_do() -> None:
    port = postgres_url().rsplit(":", 1)[1].split("/")[0]
    down = {"KOERS_VIEWS_URL": f"postgresql://koers:secret@127.0.0.1:{int(port) + 1}/koers"}
    with pytest.raises(ViewsUnavailable) as raised:
        open_views(down)
    message = str(raised.value)
    assert message.startswith(f"the view database postgresql://127.0.0.1:{int(port) + 1}/koers")
    assert message.endswith("retry in a moment")
    assert "secret" not in message  # no password in a message


def test_one_runner_keeps_a_schema_another_is_refused(tmp_path: Path) -> None:
    env = {**fresh_env(), **postgres_views()}
    app = Koers(env=env)
    try:
        with ViewRunner(env, app=app) as runner:
            with pytest.raises(ViewsBusy, match="being maintained by another process"):
                ViewRunner(env, app=app)
            receipt = app.issue_prompt(actor="k", to="ann", question="Q?", kind="k")
            runner.wait_for(receipt.position)
            assert runner.where.endswith(f"(schema {env['KOERS_VIEWS_SCHEMA']})")
        with ViewRunner(env, app=app) as again:  # the lock went with the first
            assert again.position == receipt.position
    finally:
        app.close()


PERIOD = "2026-Q4"


def _listening(serve: subprocess.Popen[str]) -> str:
    """Where ``koers serve`` listens (a note on the audit may come first)."""
    assert serve.stderr is not None
    lines: list[str] = []
    while len(lines) < 5:
        lines.append(serve.stderr.readline())
        match = re.search(r"API and web page at (http://127\.0\.0\.1:\d+) ", lines[-1])
        if match:
            return match[1]
    raise AssertionError(lines)


def _token(env: dict[str, str], handle: str) -> str:
    full = {**os.environ, **env}
    for args in (["people", "add", handle, "--name", handle.title()],
                 ["teams", "add", "platform", "--name", "Platform"],
                 ["teams", "member", "platform", handle, "--role", "lead"],
                 ["token", "create", handle]):  # fmt: skip
        made = subprocess.run([sys.executable, "-m", "ledger.cli", *args], env=full,
                              check=True, capture_output=True, text=True, timeout=60)  # fmt: skip
    return made.stdout.strip().splitlines()[-1]


@pytest.mark.timeout(300)
def test_two_api_processes_share_the_views_and_read_each_others_writes(tmp_path: Path) -> None:
    """One ``koers serve`` keeps the views in PostgreSQL, a second (``--no-views``) reads
    them: a write through either, then a read through the other with the write's position,
    sees it at once (no 503, no older state)."""
    base = {**fresh_env(), **postgres_views(), "KOERS_USER": "ann"}
    keeper = {**base, "KOERS_DATA_DIR": str(tmp_path / "a")}
    reader = {**base, "KOERS_DATA_DIR": str(tmp_path / "b"), "KOERS_AUDIT": "no"}
    auth = {"Authorization": f"Bearer {_token(keeper, 'ann')}"}
    with (
        serving("--port", "0", "--no-workers", env=keeper) as one,
        serving("--port", "0", "--no-workers", "--no-views", env=reader) as two,
    ):
        urls = [_listening(one), _listening(two)]
        clients = [httpx.Client(base_url=u, timeout=30, headers=auth) for u in urls]
        try:
            for n in range(6):  # write through one, read through the other, in turn
                write, read = clients[n % 2], clients[1 - n % 2]
                made = write.post("/objectives", json=objective(title=f"Goal {n}", period=PERIOD))
                assert made.status_code == 201, made.text
                wanted = {"period": PERIOD, "min_position": made.json()["position"]}
                seen = read.get("/teams/platform/okr-progress", params=wanted)
                assert seen.status_code == 200, seen.text
                assert int(seen.headers["Koers-Position"]) >= wanted["min_position"]
                assert {o["title"] for o in seen.json()["objectives"]} == {
                    f"Goal {i}" for i in range(n + 1)
                }
            healths = [c.get("/health").json() for c in clients]
            assert healths[0]["views"] == healths[1]["views"] == healths[0]["position"]
        finally:
            for client in clients:
                client.close()


def test_a_command_on_views_postgresql_does_not_answer_for_says_so_in_one_line(
    tmp_path: Path,
) -> None:
    port = int(postgres_url().rsplit(":", 1)[1].split("/")[0]) + 1
    env = {**fresh_env(), "KOERS_DATA_DIR": str(tmp_path),
           "KOERS_VIEWS_URL": f"postgresql://koers@127.0.0.1:{port}/koers"}  # fmt: skip
    done = run_koers("projections", "status", env=env)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr  # no traceback
    assert f"the view database postgresql://127.0.0.1:{port}/koers is unavailable" in lines[0]

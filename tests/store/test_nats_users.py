"""The embedded nats-server admits only Koers's users, each with the rights of its role.

Every test runs the real server Koers starts for a data directory (``ensure_server``) and
connects as an attacker would: anonymously, or as a user trying what its role may not do.
A refusal is proved twice: the server reports a permissions violation for the very subject
(nats-py only times out on a refused request), and the ledger is unchanged afterwards.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import nats
import nats.errors
import pytest
from nats.aio.client import Client

from ledger.application import Koers
from ledger.embedded import ServerHandle, ServerPaths, ensure_server, read_credential
from ledger.nats._bulk import BulkReader
from ledger.settings import StoreSettings
from tests.commandline import KOERS, run_koers, serving
from tests.store.users_support import sign_in

TEAMS = ("alpha", "beta", "gamma")


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[ServerHandle]:
    """A data directory's server, its ledger written by the application (3 teams)."""
    with ensure_server(tmp_path) as handle:
        app = Koers(env=StoreSettings(data_dir=tmp_path, create_stream=True).as_env())
        try:
            for slug in TEAMS:
                app.add_team(actor="admin", slug=slug, name=slug.title())
        finally:
            app.close()
        yield handle


def url_of(handle: ServerHandle, user: str) -> str:
    return read_credential(ServerPaths(handle.data_dir), user).url(handle.url)


class Client_:
    """A nats-py connection that keeps the errors the server reports asynchronously."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.nc: Client | None = None

    async def connect(self, url: str) -> Client:
        async def on_error(e: Exception) -> None:
            self.errors.append(str(e).lower())

        self.nc = await nats.connect(
            url, allow_reconnect=False, connect_timeout=5, error_cb=on_error
        )
        return self.nc

    def refused(self, subject: str) -> bool:
        return any("permissions violation" in e and subject.lower() in e for e in self.errors)


def as_user(handle: ServerHandle, user: str, action: Callable[[Client_], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        client = Client_()
        nc = await client.connect(url_of(handle, user))
        try:
            return await action(client)
        finally:
            await nc.close()

    return asyncio.run(go())


def ledger_state(handle: ServerHandle) -> tuple[int, int, bool]:
    """(messages, last sequence, deny_delete) of LEDGER, read as admin."""

    async def read(client: Client_) -> tuple[int, int, bool]:
        assert client.nc is not None
        info = await client.nc.jetstream().stream_info("LEDGER")
        return info.state.messages, info.state.last_seq, bool(info.config.deny_delete)

    result: tuple[int, int, bool] = as_user(handle, "admin", read)
    return result


async def refused_request(client: Client_, subject: str, payload: bytes = b"") -> bool:
    """Send a request the user may not send: no answer, and the server says why."""
    assert client.nc is not None
    with pytest.raises((nats.errors.TimeoutError, nats.errors.NoRespondersError)):
        await client.nc.request(subject, payload, timeout=1)
    await client.nc.flush()
    return client.refused(subject)


def test_anonymous_clients_and_wrong_secrets_are_refused(ledger: ServerHandle) -> None:
    port = int(ledger.url.rsplit(":", 1)[1])
    assert sign_in(port) == "-ERR 'Authorization Violation'"
    assert sign_in(port, "app", "guess") == "-ERR 'Authorization Violation'"
    app = read_credential(ServerPaths(ledger.data_dir), "app")
    assert sign_in(port, app.user, app.password) == "PONG"
    config = ServerPaths(ledger.data_dir).config.read_text()
    secret = read_credential(ServerPaths(ledger.data_dir), "app").password
    assert secret not in config  # the config holds bcrypt hashes only
    assert "$2a$" in config


def test_the_app_user_cannot_delete_purge_or_update_a_stream_nor_delete_a_message(
    ledger: ServerHandle,
) -> None:
    before = ledger_state(ledger)
    assert before[0] == len(TEAMS)

    async def attack(client: Client_) -> list[bool]:
        assert client.nc is not None
        js = client.nc.jetstream()
        config = (await js.stream_info("LEDGER")).config  # reading is allowed
        config.max_msgs = 1  # would drop all but the last event
        return [
            await refused_request(client, "$JS.API.STREAM.DELETE.LEDGER"),
            await refused_request(client, "$JS.API.STREAM.PURGE.LEDGER", b"{}"),
            await refused_request(
                client, "$JS.API.STREAM.UPDATE.LEDGER", json.dumps(config.as_dict()).encode()
            ),
            await refused_request(client, "$JS.API.STREAM.MSG.DELETE.LEDGER", b'{"seq":1}'),
            await refused_request(client, "$JS.API.STREAM.DELETE.LEDGER_SNAPSHOTS"),
            await refused_request(client, "$JS.API.STREAM.CREATE.OTHER", b"{}"),
        ]

    assert as_user(ledger, "app", attack) == [True] * 6
    assert ledger_state(ledger) == before


def _other_stream(handle: ServerHandle) -> None:
    async def create(client: Client_) -> None:
        assert client.nc is not None
        await client.nc.jetstream().add_stream(name="OTHER", subjects=["other.>"])

    as_user(handle, "admin", create)


CONSUMER_ON_OTHER = b'{"stream_name":"OTHER","config":{"ack_policy":"none"}}'


def test_the_views_user_reads_the_ledger_and_nothing_else(ledger: ServerHandle) -> None:
    _other_stream(ledger)
    before = ledger_state(ledger)

    async def read_then_attack(client: Client_) -> tuple[int, list[bool]]:
        assert client.nc is not None
        js = client.nc.jetstream()
        last = await js.get_last_msg("LEDGER", "ledger.>", direct=True)
        sub = await js.subscribe("ledger.>", stream="LEDGER", ordered_consumer=True)
        read = [(await sub.next_msg(timeout=5)).data for _ in TEAMS]
        await sub.unsubscribe()
        assert last.data == read[-1]
        await client.nc.publish("ledger.team.x.added", b"{}")
        refusals = [
            await refused_request(client, "$JS.API.CONSUMER.CREATE.OTHER", CONSUMER_ON_OTHER),
            client.refused("ledger.team.x.added"),  # answered before the request above
            await refused_request(client, "$JS.API.STREAM.DELETE.LEDGER"),
        ]
        return len(read), refusals

    assert as_user(ledger, "views", read_then_attack) == (len(TEAMS), [True, True, True])
    assert ledger_state(ledger) == before


def test_the_views_user_pages_the_ledger_through_a_consumer(ledger: ServerHandle) -> None:
    """Long log reads go through a paging pull consumer (``BulkReader.page``): the views'
    role may create, pull and delete it, and it reads what direct gets read."""
    credential = read_credential(ServerPaths(ledger.data_dir), "views")

    async def read() -> tuple[list[int], list[int], int]:
        reader = BulkReader(ledger.url, 5, login=(credential.user, credential.password))
        try:
            paged, pending = await reader.page("LEDGER", "ledger.>", 1, 1000)
            direct, _ = await reader.batch("LEDGER", "ledger.>", 1, 1000)
        finally:
            await reader.close()
        return [m.seq for m in paged], [m.seq for m in direct], pending

    paged, direct, pending = asyncio.run(read())
    assert paged == direct
    assert len(paged) >= len(TEAMS)
    assert pending == 0


def test_the_workers_user_touches_no_stream_but_its_own(ledger: ServerHandle) -> None:
    _other_stream(ledger)
    before = ledger_state(ledger)

    async def attack(client: Client_) -> list[bool]:
        return [
            await refused_request(client, "$JS.API.CONSUMER.CREATE.OTHER", CONSUMER_ON_OTHER),
            await refused_request(client, "$JS.API.STREAM.DELETE.LEDGER"),
            await refused_request(client, "$JS.API.STREAM.PURGE.LEDGER", b"{}"),
            await refused_request(client, "$JS.API.STREAM.MSG.DELETE.LEDGER", b'{"seq":1}'),
            await refused_request(client, "$JS.API.STREAM.DELETE.LEDGER_SCHEDULES"),
        ]

    assert as_user(ledger, "workers", attack) == [True] * 5
    assert ledger_state(ledger) == before


def test_a_read_only_user_added_by_the_cli_reads_until_it_is_removed(
    ledger: ServerHandle,
) -> None:
    env = {"KOERS_DATA_DIR": str(ledger.data_dir), "NATS_URL": ""}
    added = run_koers("nats", "user", "add", "analytics", "--read-only", env=env)
    assert added.returncode == 0, added.stderr
    url = added.stdout.strip()
    assert url.startswith("nats://analytics:")
    assert url.endswith(ledger.url[len("nats://") :])
    listed = run_koers("nats", "user", "list", "--json", env=env)
    assert '"analytics"' in listed.stdout
    assert "reader" in listed.stdout
    assert url.split("@")[0].split(":")[-1] not in listed.stdout  # no secret in the list
    before = ledger_state(ledger)

    async def read_and_write(url: str) -> tuple[int, bool]:
        client = Client_()
        nc = await client.connect(url)
        try:
            info = await nc.jetstream().stream_info("LEDGER")
            await nc.publish("ledger.team.x.added", b"{}")
            await nc.flush()
            await asyncio.sleep(0)  # let the server's -ERR arrive
            await nc.flush()
            return info.state.messages, client.refused("ledger.team.x.added")
        finally:
            await nc.close()

    assert asyncio.run(read_and_write(url)) == (len(TEAMS), True)
    assert ledger_state(ledger) == before

    removed = run_koers("nats", "user", "remove", "analytics", env=env)
    assert removed.returncode == 0, removed.stderr
    port = int(ledger.url.rsplit(":", 1)[1])
    assert sign_in(port, "analytics", url.split("@")[0].rsplit(":", 1)[1]) == (
        "-ERR 'Authorization Violation'"
    )
    again = run_koers("nats", "user", "remove", "analytics", env=env)
    assert again.returncode == 2
    assert "no read-only NATS user 'analytics'" in again.stderr
    role = run_koers("nats", "user", "remove", "app", env=env)
    assert role.returncode == 2
    assert "cannot be removed" in role.stderr
    admin = run_koers("nats", "credentials", "admin", env=env)
    assert admin.stdout.strip() == url_of(ledger, "admin")


def test_a_second_ledger_on_the_same_server_gets_its_permissions(ledger: ServerHandle) -> None:
    """A process with another NATS_STREAM adds its ledger; the running server reloads."""
    settings = StoreSettings(data_dir=ledger.data_dir, stream="GOALS", create_stream=True)
    app = Koers(env=settings.as_env())
    try:
        app.add_team(actor="admin", slug="delta", name="Delta")
    finally:
        app.close()

    async def count(client: Client_) -> int:
        assert client.nc is not None
        info = await client.nc.jetstream().stream_info("GOALS")
        return info.state.messages

    assert as_user(ledger, "views", count) == 1


def test_a_stream_name_that_cannot_be_a_subject_is_refused_before_the_config(
    ledger: ServerHandle,
) -> None:
    paths = ServerPaths(ledger.data_dir)
    config = paths.config.read_text()
    env = {"KOERS_DATA_DIR": str(ledger.data_dir), "NATS_URL": "", "NATS_STREAM": "LED GER.*"}
    refused = run_koers("objective", "list", env=env)
    assert refused.returncode == 2, refused.stderr
    assert "NATS_STREAM is 'LED GER.*'" in refused.stderr
    assert paths.config.read_text() == config
    assert not paths.ledgers_file.exists()
    assert ledger_state(ledger)[0] == len(TEAMS)  # the server still serves


def _modes(root: Path) -> dict[str, str]:
    """Every path under ``root`` with a mode other than 0600 (files) or 0700 (dirs)."""
    loose = {}
    paths = [root]
    for folder, dirs, files in os.walk(root):  # a file the server removes meanwhile: skipped
        paths += [Path(folder, name) for name in [*dirs, *files]]
    for path in paths:
        try:
            found = path.lstat()
        except FileNotFoundError:
            continue  # the server removed it (a finished batch's staging file)
        wanted = 0o700 if stat.S_ISDIR(found.st_mode) else 0o600
        if stat.S_IMODE(found.st_mode) != wanted:
            loose[str(path.relative_to(root))] = oct(stat.S_IMODE(found.st_mode))
    return loose


def test_every_file_is_the_owners_alone_even_under_umask_000(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {"KOERS_DATA_DIR": str(data), "NATS_URL": "", "KOERS_USER": "ann"}
    demo = subprocess.run(
        [KOERS, "demo"], env={**os.environ, **env}, capture_output=True, text=True,
        timeout=120, umask=0, check=False,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stderr
    assert _modes(data) == {}
    serve = subprocess.Popen(
        [KOERS, "serve", "--port", "0"], env={**os.environ, **env}, stderr=subprocess.PIPE,
        text=True, start_new_session=True, umask=0,
    )  # fmt: skip
    try:
        assert serve.stderr is not None
        line = serve.stderr.readline()
        assert line.startswith("koers: serving LEDGER"), line
        paths = ServerPaths(data)
        deadline = time.monotonic() + 30  # written just after that line: wait, bounded
        while not (data / "serve.url").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        for made in ("views.sqlite3", "session.key", "nats/server.json", "nats/nats-server.conf",
                     "serve.url", "serve.secret"):  # fmt: skip
            assert (data / made).exists(), made
        assert (paths.credentials_dir / "app.json").exists()
        assert "app:" not in paths.state_file.read_text()  # no credentials in server.json
        assert _modes(data) == {}
    finally:
        serve.terminate()
        serve.wait(timeout=60)
        if serve.stderr is not None:
            serve.stderr.close()
    assert _modes(data) == {}


def test_the_normal_flow_runs_under_the_users(tmp_path: Path) -> None:
    """`koers demo`, then the API, views and workers of `koers serve`, then reads: with no
    permissions violation anywhere in the server's log."""
    env = {"KOERS_DATA_DIR": str(tmp_path), "NATS_URL": "", "KOERS_USER": "ann"}
    assert run_koers("demo", env=env, timeout=120).returncode == 0
    with serving("--port", "0", env=env) as serve:
        assert serve.stderr is not None
        assert serve.stderr.readline().startswith("koers: serving LEDGER")
        listed = run_koers("objective", "list", "--json", env=env)
        assert listed.returncode == 0, listed.stderr
        verified = run_koers("audit", "verify", env=env)
        assert verified.returncode == 0, verified.stderr + verified.stdout
        serve.terminate()
        assert serve.wait(timeout=60) == 0
    log = ServerPaths(tmp_path).log_file.read_text()
    assert "Permissions Violation" not in log, log[-2000:]
    assert "authentication error" not in log, log[-2000:]

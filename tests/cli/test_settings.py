"""Every command honours every setting: one settings object, read once, reaches the store.

``NATS_REPLICAS`` is the case of issue #9: ``koers status`` built its store from
``NATS_URL`` and ``NATS_STREAM`` only, so ``NATS_REPLICAS=3`` created an R1 stream and called
it audited. A one-node test server cannot hold an R3 stream, and refuses to create one: that
refusal, naming R3, proves the setting reached the stream's creation. With the default (R1)
the same commands create the stream and succeed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ledger.errors import ConfigurationError
from ledger.settings import Settings, StoreSettings
from tests.cli.test_cli import koers
from tests.conftest import fresh_env

#: One-shot commands that open the store: the status, a read, the views' status.
OPENING_THE_STORE = [("status",), ("objective", "list"), ("projections", "status")]


@pytest.mark.parametrize("command", OPENING_THE_STORE, ids=" ".join)
def test_nats_replicas_reaches_the_stream_of_every_command(
    command: tuple[str, ...], tmp_path: Path
) -> None:
    env = {**fresh_env(NATS_REPLICAS="3"), "KOERS_DATA_DIR": str(tmp_path)}
    refused = koers(*command, env=env, check=False)
    assert refused.returncode == 2, refused.stderr
    assert "with 3 replicas (R3)" in refused.stderr
    assert "Set NATS_REPLICAS" in refused.stderr
    env["NATS_REPLICAS"] = "1"
    koers(*command, env=env)


def test_status_reports_the_replicas_it_created_the_stream_with(tmp_path: Path) -> None:
    env = {**fresh_env(NATS_REPLICAS="1"), "KOERS_DATA_DIR": str(tmp_path)}
    status = json.loads(koers("status", "--json", env=env).stdout)
    assert (status["replicas"], status["audited"]) == (1, True)


def test_the_store_section_hands_every_variable_to_the_store() -> None:
    environ = {
        "NATS_URL": "nats://a:4222,nats://b:4222",
        "KOERS_DATA_DIR": "/srv/koers",
        "NATS_STREAM": "GOALS",
        "NATS_SUBJECT_PREFIX": "goals",
        "NATS_REPLICAS": "3",
        "NATS_TIMEOUT": "2.5",
        "NATS_WRITE_DEADLINE": "20.0",
        "NATS_MAX_BATCH": "500",
        "NATS_CREATE_STREAM": "no",
        "NATS_ACCEPT_WEAK_STREAM": "yes",
        "ORIGINATOR_ID_TYPE": "text",
        "NATS_USER": "app",
        "NATS_PASSWORD": "secret",
        "NATS_CREDS": "/srv/koers/app.creds",
        "NATS_TLS_CA": "/srv/koers/ca.pem",
        "NATS_TLS_CERT": "/srv/koers/client.pem",
        "NATS_TLS_KEY": "/srv/koers/client.key",
        "KOERS_NATS_ROLE": "views",
    }
    store = Settings.from_env(environ).store
    assert "secret" not in repr(store)
    assert store.replicas == 3
    assert store.as_env().items() >= environ.items()
    assert StoreSettings.from_env(store.as_env()) == store


def test_the_defaults_are_the_documented_ones() -> None:
    settings = Settings.from_env({})
    assert settings.store.stream == "LEDGER"
    assert settings.store.subject_prefix == "ledger"
    assert not settings.store.create_stream  # only koers init and koers serve create streams
    assert settings.store.data_dir == Path("~/.local/share/koers").expanduser()
    assert (settings.store.replicas, settings.store.persistence_module) == (1, "ledger.nats")
    assert (settings.api.host, settings.api.port) == ("127.0.0.1", 8000)
    assert settings.audit.enabled
    assert settings.workers.name == "koers-prompts"
    assert settings.user is None


def test_the_workers_are_bound_to_the_store_they_serve() -> None:
    settings = Settings.from_env({"NATS_STREAM": "GOALS", "NATS_REPLICAS": "3"})
    assert (settings.workers.stream, settings.workers.subject_prefix) == ("GOALS", "goals")
    assert settings.workers.store_env["NATS_REPLICAS"] == "3"
    moved = settings.with_store(url="nats://elsewhere:4222")
    assert moved.workers.store_env["NATS_URL"] == "nats://elsewhere:4222"
    assert moved.workers.store_env == moved.store.as_env()


def test_only_the_settings_read_the_process_environment() -> None:
    """``os.environ`` is read in ``ledger/settings`` alone: everything else is handed a
    section (the audit settings are no longer read on every HTTP request)."""
    root = Path(__file__).resolve().parents[2]
    readers = sorted(
        str(path.relative_to(root))
        for package in ("ledger", "projections", "workers")
        for path in (root / package).rglob("*.py")
        if ("os.environ" in (text := path.read_text("utf-8")) or "getenv(" in text)
        and "settings" not in path.relative_to(root).parts
    )
    assert readers == []


@pytest.mark.parametrize(
    ("key", "value"),
    [("NATS_STREAM", "LED GER.*"), ("NATS_STREAM", "a/b"), ("NATS_STREAM", "x" * 129),
     ("NATS_SUBJECT_PREFIX", "ledger.>"), ("NATS_SUBJECT_PREFIX", "*")],
)  # fmt: skip
def test_a_stream_name_or_prefix_nats_refuses_is_refused_when_read(key: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=f"^{key} is "):
        Settings.from_env({key: value})
    store = Settings.from_env({key: "Ledger_2-b"}).store
    assert (store.stream if key == "NATS_STREAM" else store.prefix) == "Ledger_2-b"


@pytest.mark.parametrize("url", ["ws://127.0.0.1:8080", "nats://a:4222, WSS://b:443"])
def test_a_websocket_nats_url_is_refused_with_the_port_to_give(url: str) -> None:
    with pytest.raises(ConfigurationError, match=r"^NATS_URL '(ws|WSS)://.*nats://host:4222"):
        Settings.from_env({"NATS_URL": url})
    assert Settings.from_env({"NATS_URL": "nats://a:4222,tls://b:4222"}).store.url


def test_a_koers_process_starts_without_aiohttp_until_it_is_asked_for() -> None:
    """nats-py loads without aiohttp once ``ledger`` is imported (ledger/_imports.py: a third
    of a command's start); aiohttp itself still loads for the webhook sender, and a process
    that loaded aiohttp first hands it to nats-py as usual."""
    script = (
        "import sys, ledger.bootstrap, nats.aio.transport as t; "
        "assert t.aiohttp is None and 'aiohttp' not in sys.modules; "
        "import workers._sender, aiohttp; assert aiohttp.ClientSession; print('late ok')"
    )
    first = "import aiohttp, ledger, nats.aio.transport as t; assert t.aiohttp is aiohttp"
    for code, said in ((script, "late ok\n"), (first + "; print('first ok')", "first ok\n")):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=60, check=False)  # fmt: skip
        assert (done.returncode, done.stdout) == (0, said), done.stderr

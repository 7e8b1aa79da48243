"""The SSRF guard on the URLs Koers POSTs to (webhooks, Slack and Teams channels): a URL
pointing at loopback, link-local or private addresses is refused when it is given, naming
the setting that allows it, unless ``KOERS_WEBHOOKS_ALLOW_PRIVATE`` is set. (When it is sent
to: tests/workers/test_webhooks.py and test_notify.py.)"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ledger.application import Koers
from ledger.application._destinations import ALLOW_PRIVATE, host_problem
from ledger.domain import COMMANDS, Principal
from ledger.errors import InvalidField
from tests.factories import koers

ANN = Principal("ann", "test")


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://127.0.0.1:8080/hooks", "is a loopback address (127.0.0.1)"),
        ("http://[::1]/hooks", "is a loopback address (::1)"),
        ("http://[::ffff:127.0.0.1]/hooks", "is a loopback address (127.0.0.1)"),
        ("http://10.0.0.5/hooks", "is a private address (10.0.0.5)"),
        ("https://192.168.1.20/x", "is a private address (192.168.1.20)"),
        ("https://172.16.0.1/x", "is a private address (172.16.0.1)"),
        ("http://169.254.169.254/latest/meta-data", "is a link-local address (169.254.169.254)"),
        ("http://[fe80::1]/x", "is a link-local address (fe80::1)"),
        ("http://[fd00::1]/x", "is a private address (fd00::1)"),
        ("http://100.64.0.1/x", "is not a public address (100.64.0.1)"),  # shared (CGNAT)
        ("http://0.0.0.0/x", "is a private address (0.0.0.0)"),
        ("http://224.0.0.1/x", "is a multicast address (224.0.0.1)"),
        ("ftp://example.org/x", "uses the scheme 'ftp': only http(s) is sent"),
        ("https://93.184.215.14/hooks", None),
        ("https://[2606:4700::1111]/hooks", None),
    ],
)
def test_addresses_inside_a_network_are_named_and_public_ones_pass(
    url: str, problem: str | None
) -> None:
    assert host_problem(url) == problem


def test_a_name_is_judged_by_every_address_it_resolves_to() -> None:
    url = "https://hooks.example.org/x"
    assert host_problem(url, ["93.184.215.14"]) is None
    assert host_problem(url, ["93.184.215.14", "10.1.1.1"]) == (
        "resolves to a private address (10.1.1.1)"
    )


@pytest.fixture
def guarded(monkeypatch: pytest.MonkeyPatch) -> Iterator[Koers]:
    monkeypatch.delenv(ALLOW_PRIVATE)  # the suite allows its receivers on 127.0.0.1
    with koers() as app:
        app.add_person(actor="admin", handle="ann", name="Ann")
        app.add_team(actor="admin", slug="platform", name="Platform")
        yield app


def _refused(app: Koers, command: str, target: str | None, values: dict[str, str]) -> str:
    with pytest.raises(InvalidField) as refused:
        app.execute(COMMANDS[command], target, values, principal=ANN)
    return str(refused.value)


def test_commands_refuse_webhook_and_chat_urls_into_private_networks(guarded: Koers) -> None:
    said = _refused(guarded, "webhook.add", None, {"url": "http://10.0.0.5/h", "events": "*"})
    assert "url" in said
    assert "10.0.0.5 is a private address (10.0.0.5)" in said
    assert f"{ALLOW_PRIVATE}=1" in said  # names the setting that allows it
    said = _refused(guarded, "person.notify", "ann", {"slack_url": "http://localhost:9/x"})
    assert "slack_url" in said
    assert "localhost resolves to a loopback address" in said
    said = _refused(guarded, "team.notify", "platform",
                    {"teams_url": "https://169.254.169.254/latest"})  # fmt: skip
    assert "teams_url" in said
    assert "link-local" in said
    assert guarded.webhooks() == []
    assert guarded.person("ann").channels.slack_url == ""


def test_public_and_unresolved_urls_pass_and_the_setting_allows_private_ones(
    guarded: Koers, monkeypatch: pytest.MonkeyPatch
) -> None:
    execute = guarded.execute
    execute(COMMANDS["webhook.add"], None, {"url": "https://93.184.215.14/h", "events": "*"},
            principal=ANN)  # fmt: skip
    # a name that does not resolve (yet) passes: it is checked again when sent
    execute(COMMANDS["person.notify"], "ann", {"slack_url": "https://hooks.koers.invalid/x"},
            principal=ANN)  # fmt: skip
    monkeypatch.setenv(ALLOW_PRIVATE, "1")
    with koers() as allowed:
        allowed.execute(COMMANDS["webhook.add"], None, {"url": "http://127.0.0.1:9/h",
                        "events": "*"}, principal=ANN)  # fmt: skip
        assert [w.url for w in allowed.webhooks()] == ["http://127.0.0.1:9/h"]
    assert len(guarded.webhooks()) == 1

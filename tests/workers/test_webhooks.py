"""Outgoing webhooks on a real nats-server, to a receiver on 127.0.0.1.

Deliveries are checked as a receiver would: the ``standardwebhooks`` library verifies the
signature with the secret ``webhook add`` printed once; the body carries the event as
published (type, schema version, payload, position); a delivery is taken once per
``webhook-id`` whatever the receiver's failures, and ends in the failures when it never
succeeds, from where a replay sends it again.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import standardwebhooks

from ledger.application import Koers
from ledger.domain import COMMANDS, Principal, Webhook
from ledger.errors import NotFound
from ledger.settings import WebhookSettings
from ledger.webhooks import HookNames, WebhookDesk, delivery_id
from tests.conftest import fresh_env
from tests.factories import ANN, BOB, decision, koers
from tests.workers.test_webhooks_support import Receiver, receiving
from tests.workers.test_workers_support import running_workers, stream_messages, wait_for

LOCAL = Principal(ANN, "test", local=True)
QUICK = WebhookSettings(
    timeout=2.0, retry_delay=0.1, max_delay=0.4, retry_window=3.0, keep=600, allow_private=True
)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return fresh_env(KOERS_DATA_DIR=str(tmp_path / "data"))


@pytest.fixture
def app(env: dict[str, str]) -> Iterator[Koers]:
    with koers(env) as app:
        for handle in (ANN, BOB, "cem"):
            app.add_person(actor="admin", handle=handle, name=handle.title())
        app.add_team(actor="admin", slug="company", name="Company")
        app.add_team(actor="admin", slug="platform", name="Platform", parent="company")
        app.add_team(actor="admin", slug="sales", name="Sales", parent="company")
        app.set_member("platform", actor="admin", handle=ANN, role="member")
        app.set_member("sales", actor="admin", handle=BOB, role="member")
        app.set_member("company", actor="admin", handle="cem", role="lead")
        yield app


def _add(app: Koers, owner: str, url: str, **values: Any) -> tuple[UUID, str]:
    receipt = app.execute(
        COMMANDS["webhook.add"], None, {"url": url, **values}, principal=Principal(owner, "t")
    )
    assert receipt.secret is not None
    assert receipt.secret.startswith("whsec_")
    return receipt.id, receipt.secret


def _decision(app: Koers, team: str, decider: str, *, named: tuple[str, ...] = ()) -> UUID:
    """A decision of ``team`` naming only ``named`` as consulted (whom a decision names may
    read it, whatever their team)."""
    made = decision(team=team, decider=decider, consulted=named, informed=())
    return app.open_decision(actor=decider, **made).id


def _verified(receiver: Receiver, secret: str) -> list[dict[str, Any]]:
    """Every delivery taken, each verified as a receiver would (raises if one fails)."""
    verifier = standardwebhooks.Webhook(secret)
    out = []
    for received in list(receiver.taken):
        verifier.verify(received.body, received.headers)
        out.append({"id": received.id, **json.loads(received.body)})
    return out


def test_a_delivery_verifies_as_standard_webhooks_and_carries_the_event(
    env: dict[str, str], app: Koers
) -> None:
    with receiving() as receiver, running_workers(env, webhooks=QUICK):
        hook, secret = _add(app, ANN, receiver.url, events="decision.*")
        made = _decision(app, "platform", ANN)
        wait_for(lambda: len(receiver.taken) == 1, what="the decision delivered")
        (delivered,) = _verified(receiver, secret)
    history = app.event_history(made)
    messages = stream_messages(env["NATS_URL"], env["NATS_STREAM"], f"*.decision.{made}.*")
    assert delivered["type"] == "decision.opened"
    assert delivered["position"] == messages[0].seq
    assert delivered["id"] == delivery_id(hook, messages[0].seq)
    assert delivered["schema_version"] == int(messages[0].headers["Koers-Schema"])
    assert delivered["payload"] == json.loads(messages[0].data)
    assert delivered["aggregate_id"] == str(made)
    assert delivered["aggregate_version"] == history[0].originator_version == 1
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        _verified(receiver, "whsec_" + "A" * 32)  # another secret: refused


def test_the_secret_is_in_the_ledger_only_sealed(env: dict[str, str], app: Koers) -> None:
    hook, secret = _add(app, ANN, "https://example.org/h")
    raw = [m.data for m in stream_messages(env["NATS_URL"], env["NATS_STREAM"], "*.webhook.>")]
    plain = secret.removeprefix("whsec_")
    assert raw
    assert not any(plain.encode() in data for data in raw)
    stored = app.load(Webhook, hook)
    assert stored.sealed_secret.startswith("v1:")
    assert app.webhook_secret(stored) == secret
    key = Path(env["KOERS_DATA_DIR"]) / "webhook-secrets.key"
    assert key.stat().st_mode & 0o777 == 0o600


def test_a_member_of_one_team_gets_no_events_of_another(env: dict[str, str], app: Koers) -> None:
    with receiving() as bobs, receiving() as cems, running_workers(env, webhooks=QUICK):
        _add(app, BOB, bobs.url, events="decision.*")
        _add(app, "cem", cems.url, events="decision.*", team="sales")  # lead of company
        platform = [_decision(app, "platform", ANN) for _ in range(3)]
        sales = [_decision(app, "sales", BOB) for _ in range(2)]
        wait_for(lambda: len(bobs.taken) == 2 and len(cems.taken) == 2, what="sales decisions")
        marker = _decision(app, "sales", BOB)  # after every platform one: they were judged
        wait_for(lambda: len(bobs.taken) == 3, what="the marker")
    got = {json.loads(r.body)["aggregate_id"] for r in bobs.taken}
    assert got == {str(d) for d in (*sales, marker)}
    assert not got & {str(d) for d in platform}
    assert {json.loads(r.body)["aggregate_id"] for r in cems.taken} <= got  # narrowed to sales


def test_a_receiver_failing_three_times_gets_the_event_once(
    env: dict[str, str], app: Koers
) -> None:
    with receiving(fail_first=3) as receiver, running_workers(env, webhooks=QUICK) as workers:
        _, secret = _add(app, ANN, receiver.url, events="decision.opened")
        made = [_decision(app, "platform", ANN) for _ in range(5)]
        wait_for(lambda: len(receiver.taken) == 5, what="five deliveries")
        marker = _decision(app, "platform", ANN)
        wait_for(lambda: len(receiver.taken) == 6, what="the marker")
        assert 'outcome="retried"' in workers.metrics_text()
    taken = receiver.ids()
    assert set(taken.values()) == {1}
    assert all(receiver.attempts[i] == 4 for i in taken if i != _only_id(receiver, marker))
    assert {d["aggregate_id"] for d in _verified(receiver, secret)} == {
        str(d) for d in (*made, marker)
    }


def _only_id(receiver: Receiver, aggregate: UUID) -> str:
    (found,) = [
        r.id for r in receiver.taken if json.loads(r.body)["aggregate_id"] == str(aggregate)
    ]
    return found


def test_a_receiver_that_never_succeeds_ends_in_failures_and_a_replay_sends_it_once(
    env: dict[str, str], app: Koers
) -> None:
    desk = WebhookDesk(app)
    with receiving(failing=True) as receiver, running_workers(env, webhooks=QUICK):
        hook, secret = _add(app, ANN, receiver.url, events="decision.*")
        made = _decision(app, "platform", ANN)
        (failure,) = wait_for(lambda: desk.failures(LOCAL), 30, "the failure recorded")
        assert (failure.webhook_id, failure.owner, failure.last_error) == (
            str(hook),
            ANN,
            "HTTP 500",
        )
        assert failure.attempts >= 3
        assert desk.failures(Principal(BOB, "t")) == []  # someone else's webhook
        with pytest.raises(NotFound):
            desk.replay(Principal(BOB, "t"), failure.delivery)
        receiver.failing = False
        desk.replay(Principal(ANN, "t"), failure.delivery)
        wait_for(lambda: len(receiver.taken) == 1, what="the replay delivered")
        wait_for(lambda: not desk.failures(LOCAL), what="the failure gone from the list")
        desk.replay(LOCAL, failure.delivery)  # delivered now: sent no more
        desk.test(LOCAL, hook)  # a test delivery passes after it, so the replay was judged
        wait_for(lambda: len(receiver.taken) == 2, what="the test delivery")
    first, test = _verified(receiver, secret)
    assert (first["id"], first["aggregate_id"]) == (failure.delivery, str(made))
    assert test["type"] == "webhook.test"
    assert test["id"] != failure.delivery


def test_a_removed_webhook_is_sent_nothing_more(env: dict[str, str], app: Koers) -> None:
    names = HookNames(env["NATS_STREAM"], env["NATS_STREAM"].lower())
    with receiving() as receiver, running_workers(env, webhooks=QUICK):
        hook, _ = _add(app, ANN, receiver.url, events="decision.*")
        _decision(app, "platform", ANN)
        wait_for(lambda: len(receiver.taken) == 1, what="the first delivery")
        app.execute(COMMANDS["webhook.remove"], hook, {}, principal=Principal(ANN, "t"))
        _decision(app, "platform", ANN)
        other, _ = _add(app, ANN, receiver.url, events="webhook.*")  # a marker after it
        _decision(app, "platform", ANN)
        desk = WebhookDesk(app)
        desk.test(LOCAL, other)
        wait_for(lambda: len(receiver.taken) == 2, what="the marker's test delivery")
    assert [json.loads(r.body)["type"] for r in receiver.taken] == [
        "decision.opened",
        "webhook.test",
    ]
    sends = stream_messages(env["NATS_URL"], names.hooks_stream, f"{names.hooks_prefix}.send.>")
    assert len(sends) == 2


def test_workers_of_two_names_send_each_delivery_once(env: dict[str, str], app: Koers) -> None:
    """Prompts may be judged again by workers of another name; webhook deliveries are not
    sent again: the webhooks' consumers are shared whatever the name."""
    with (
        receiving() as receiver,
        running_workers(env, webhooks=QUICK),
        running_workers(env, webhooks=QUICK, name="racer"),
    ):
        _add(app, ANN, receiver.url, events="decision.*")
        made = [_decision(app, "platform", ANN) for _ in range(20)]
        wait_for(lambda: len(receiver.taken) >= 20, what="twenty deliveries")
        marker = _decision(app, "platform", ANN)
        wait_for(lambda: len(receiver.taken) >= 21, what="the marker")
    assert set(receiver.ids().values()) == {1}
    assert {json.loads(r.body)["aggregate_id"] for r in receiver.taken} == {
        str(d) for d in (*made, marker)
    }


def test_a_webhook_into_a_private_network_is_never_posted_and_ends_in_failures(
    env: dict[str, str], app: Koers
) -> None:
    """URLs given while private addresses were allowed, sent by workers that do not allow
    them (DNS may change after a URL is accepted: the guard judges again when sending): by
    name (resolved through the guard) and as an IP address, neither is POSTed to; each lands
    in the failures, saying why and which setting allows it."""
    guarded = dataclasses.replace(QUICK, allow_private=False)
    desk = WebhookDesk(app)
    with receiving() as receiver, running_workers(env, webhooks=guarded):
        by_name, _ = _add(
            app, ANN, receiver.url.replace("127.0.0.1", "localhost"), events="decision.*"
        )
        by_address, _ = _add(app, ANN, receiver.url, events="decision.*")
        _decision(app, "platform", ANN)
        failures = wait_for(lambda: len(desk.failures(LOCAL)) == 2 and desk.failures(LOCAL),
                            30, "both deliveries failed")  # fmt: skip
        assert receiver.taken == []
    errors = {UUID(f.webhook_id): f.last_error for f in failures}
    assert "localhost resolves to a loopback address" in errors[by_name]
    assert "127.0.0.1 is a loopback address (127.0.0.1)" in errors[by_address]
    for error in errors.values():
        assert "KOERS_WEBHOOKS_ALLOW_PRIVATE=1" in error

"""Notifications on a real nats-server (issue 13): a prompt reaches its person by e-mail
once, with a working link; Slack and Teams get payloads of the shape they accept; a failing
endpoint is retried until it takes the message, once; quiet hours defer; a digest gathers.

The SMTP server is aiosmtpd on 127.0.0.1; the chat services are a local HTTP receiver."""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import orjson
import pytest

from ledger.application import Koers
from ledger.domain import person_id
from ledger.settings import NotifySettings, WebhookSettings, WorkerSettings
from tests.conftest import fresh_env
from tests.factories import koers, new_decision
from tests.workers.notify_support import (
    Inbox,
    check_slack,
    check_teams,
    fire,
    receiver,
    settled,
    smtp_server,
)
from tests.workers.test_workers_support import (
    fast_settings,
    running_workers,
    stream_messages,
    wait_for,
)
from workers._names import Names

BASE = "http://koers.test"
DECISION = uuid.UUID("0b7f0c8e-61c2-4c55-9d87-2b4ad5a0c001")


@pytest.fixture
def smtp() -> Iterator[tuple[str, Inbox]]:
    with smtp_server() as running:
        yield running


def _settings(env: dict[str, str], smtp_url: str | None, **notify: Any) -> WorkerSettings:
    values: dict[str, Any] = {"smtp_url": smtp_url, "public_url": BASE, "lease": 3.0,
                              "retry": 0.1, "retry_max": 0.5, **notify}  # fmt: skip
    return fast_settings(env, notify=NotifySettings(**values))


class Rig(NamedTuple):
    """A fresh ledger, the SMTP server's inbox, and workers' settings that send to it."""

    inbox: Inbox
    env: dict[str, str]
    settings: WorkerSettings


@pytest.fixture
def rig(smtp: tuple[str, Inbox]) -> Rig:
    url, inbox = smtp
    env = fresh_env()
    return Rig(inbox, env, _settings(env, url))


def _person(app: Koers, handle: str, **channels: Any) -> None:
    app.add_person(actor="root", handle=handle, name=handle.title(), email=f"{handle}@ex.org",
                   time_zone="Europe/Amsterdam")  # fmt: skip
    if channels:
        app.notify_person(handle, actor="root", **channels)


def _ask(app: Koers, to: str, question: str, kind: str = "decision_review_due") -> uuid.UUID:
    receipt = app.issue_prompt(actor="koers", to=to, question=question, kind=kind,
                               triggered_by=[f"decision:{DECISION}@2"])  # fmt: skip
    return receipt.id


def _all_settled(settings: WorkerSettings) -> bool:
    names = Names.of(settings)
    return settled(settings, (names.stream, names.notify_durable),
                    (names.notify_stream, names.send_durable))  # fmt: skip


def test_a_prompt_reaches_its_person_by_email_once_with_a_working_link(rig: Rig) -> None:
    inbox, env, settings = rig
    with koers(env) as app:
        _person(app, "ann")
        prompt = _ask(app, "ann", "Was <b>the</b> call right & why?")
        with running_workers(settings):
            wait_for(lambda: inbox.to("ann@ex.org"), what="the e-mail")
            wait_for(lambda: _all_settled(settings), what="the consumers settled")
        with running_workers(settings):  # a restart reads everything again: sends nothing
            wait_for(lambda: _all_settled(settings), what="the consumers settled again")
    [message] = inbox.messages
    assert message["Subject"] == "Was <b>the</b> call right & why?"
    assert message["Message-ID"] == f"<{_delivery(prompt, 'email', 'ann')}@koers.test>"
    assert message["References"] == f"<prompt-{prompt}@koers.test>"
    plain = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert f"Answer: {BASE}/prompt/{prompt}" in plain
    assert f"{BASE}/decision/{DECISION}" in plain
    assert "reached its review date" in plain  # why it was asked
    assert f'href="{BASE}/prompt/{prompt}"' in html
    assert "Was &lt;b&gt;the&lt;/b&gt; call right &amp; why?" in html  # user text escaped
    assert "<b>the</b>" not in html


def _delivery(prompt: uuid.UUID, channel: str, handle: str) -> str:
    from workers._outbox import delivery_id

    return delivery_id(f"prompt:{prompt}", channel, handle)


def test_slack_and_teams_get_the_payloads_they_accept_once_despite_failures(rig: Rig) -> None:
    inbox, env, settings = rig
    with receiver() as hooks, koers(env) as app:
        hooks.failures["/slack"] = 3  # fails three times, then takes it
        inbox.refuse = 2  # the SMTP server says "try later" twice
        _person(app, "bram", slack_url=f"{hooks.url}/slack", teams_url=f"{hooks.url}/teams")
        prompt = _ask(app, "bram", "What would change your mind?", kind="kr_confidence_drop")
        with running_workers(settings):
            wait_for(lambda: len(hooks.bodies.get("/slack", [])) and hooks.bodies.get("/teams")
                     and inbox.messages, what="slack, teams and e-mail")  # fmt: skip
            wait_for(lambda: _all_settled(settings), what="the consumers settled")
    assert hooks.attempts["/slack"] == 4
    [slack] = hooks.bodies["/slack"]
    [teams] = hooks.bodies["/teams"]
    assert len(inbox.messages) == 1
    check_slack(slack)
    check_teams(teams)
    answer = f"{BASE}/prompt/{prompt}"
    assert answer in orjson.dumps(slack).decode()
    assert teams["potentialAction"][0]["targets"][0]["uri"] == answer


def _quiet_now() -> tuple[str, datetime]:
    """Quiet hours in Amsterdam that hold now and end at the next whole minute (or the one
    after, if that is under 20 s away); the end, as a moment."""
    now = datetime.now(UTC)
    end = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    if (end - now).total_seconds() < 20:
        end += timedelta(minutes=1)
    local_end = end.astimezone(_zone())
    start = local_end - timedelta(hours=2)
    return f"{start:%H:%M}-{local_end:%H:%M}", end


def _zone() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/Amsterdam")


@pytest.mark.long
def test_quiet_hours_hold_a_prompt_back_until_they_end(rig: Rig) -> None:
    inbox, env, settings = rig
    names = Names.of(settings)
    quiet, end = _quiet_now()
    with koers(env) as app:
        _person(app, "cas", quiet=quiet)
        prompt = _ask(app, "cas", "What did you learn?")
        with running_workers(settings):
            held = wait_for(lambda: stream_messages(env["NATS_URL"], names.notify_stream,
                                                    names.notify_subject("later", "*")),
                            what="the delivery held back")  # fmt: skip
            assert held[0].headers["Nats-Schedule"] == f"@at {end:%Y-%m-%dT%H:%M:%SZ}"
            assert not inbox.messages
            assert datetime.now(UTC) < end
            wait_for(lambda: inbox.messages, timeout=150, what="the e-mail after quiet hours")
            received = datetime.now(UTC)
    assert received >= end
    assert inbox.messages[0]["Message-ID"] == f"<{_delivery(prompt, 'email', 'cas')}@koers.test>"


def test_a_digest_gathers_the_days_open_prompts_into_one_message(rig: Rig) -> None:
    inbox, env, settings = rig
    names = Names.of(settings)
    person = person_id("dina").hex
    with koers(env) as app:
        _person(app, "dina", digest="daily")
        app.add_team(actor="root", slug="platform", name="Platform")
        app.set_member("platform", actor="root", handle="dina", role="member")
        decided = new_decision(app, question="Do we move the pager rota?")
        asked = [_ask(app, "dina", f"Question {n}?") for n in range(3)]
        with running_workers(settings):
            digest = names.notify_subject("digest", person, "*")
            wait_for(lambda: len(stream_messages(env["NATS_URL"], names.notify_stream, digest))
                     == 3, what="three items kept for the digest")  # fmt: skip
            app.answer_prompt(asked[1], actor="dina", answer="done")
            [schedule] = stream_messages(env["NATS_URL"], names.notify_stream,
                                         names.notify_subject("digest_at", person))  # fmt: skip
            assert schedule.headers["Nats-Schedule"] == "0 0 8 * * *"
            assert schedule.headers["Nats-Schedule-Time-Zone"] == "Europe/Amsterdam"
            assert not inbox.messages
            fire(env["NATS_URL"], names.notify_stream, names.notify_subject("gather", person))
            wait_for(lambda: inbox.messages, what="the digest")
            wait_for(lambda: not stream_messages(env["NATS_URL"], names.notify_stream, digest),
                     what="the gathered items removed")  # fmt: skip
    [message] = inbox.messages
    assert message["Subject"] == "Your day in Koers: 2 questions waiting, 1 change on your teams"
    plain = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Question 0?" in plain
    assert "Question 2?" in plain
    assert "Question 1?" not in plain  # answered meanwhile
    assert f"{BASE}/prompt/{asked[2]}" in plain
    assert "Decision: Do we move the pager rota?" in plain  # what changed on her team
    assert f"{BASE}/decision/{decided}" in plain


def test_a_digest_turned_off_is_cancelled_and_sent_no_more(rig: Rig) -> None:
    """The person's digest schedule goes with their digest: after ``--digest off`` the
    schedule is gone (nothing fires a digest), their next prompt comes at once, and a digest
    turned on again is armed again by the prompt after it."""
    inbox, env, settings = rig
    names = Names.of(settings)
    person = person_id("dina").hex
    schedule = names.notify_subject("digest_at", person)

    def schedules() -> list[Any]:
        return stream_messages(env["NATS_URL"], names.notify_stream, schedule)

    with koers(env) as app:
        _person(app, "dina", digest="daily")
        _ask(app, "dina", "Kept for the digest?")
        with running_workers(settings):
            wait_for(lambda: len(schedules()) == 1, what="the digest schedule")
            app.notify_person("dina", actor="dina", digest="off")
            wait_for(lambda: not schedules(), what="the digest schedule cancelled")
            _ask(app, "dina", "Sent at once?")
            wait_for(lambda: inbox.messages, what="the prompt sent at once")
            wait_for(lambda: _all_settled(settings), what="the consumers settled")
            assert not schedules()
            app.notify_person("dina", actor="dina", digest="weekly")
            _ask(app, "dina", "Kept for the weekly digest?")
            wait_for(lambda: len(schedules()) == 1, what="the digest armed again")
    [message] = inbox.messages
    assert "Sent at once?" in message["Subject"]
    [armed] = schedules()
    assert armed.headers["Nats-Schedule"] == "0 0 8 * * MON"


def test_a_chat_url_into_a_private_network_is_not_posted_to(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A Slack URL given while private addresses were allowed, sent by workers that do not
    allow them: never POSTed to, retried (nothing is lost if the setting is changed), and the
    log says why and which setting allows it."""
    env = fresh_env()
    guarded = dataclasses.replace(_settings(env, None),
                                  webhooks=WebhookSettings(allow_private=False))  # fmt: skip
    caplog.set_level(logging.WARNING, logger="workers.notify")
    with receiver() as hooks, koers(env) as app:
        _person(app, "bram", slack_url=f"{hooks.url}/slack")
        _ask(app, "bram", "Posted to a private address?")
        with running_workers(guarded):
            wait_for(lambda: [r for r in caplog.records if "ALLOW_PRIVATE" in r.getMessage()],
                     what="the refusal logged")  # fmt: skip
        assert hooks.attempts == {}
    said = next(r.getMessage() for r in caplog.records if "ALLOW_PRIVATE" in r.getMessage())
    assert "slack webhook: 127.0.0.1 is a loopback address (127.0.0.1)" in said
    assert "KOERS_WEBHOOKS_ALLOW_PRIVATE=1" in said

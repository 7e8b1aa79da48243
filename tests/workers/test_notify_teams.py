"""A team's chat channels on a real nats-server (issue 13): what concerns the team is posted
once to its Slack and Teams URLs (a local HTTP receiver), in those services' formats, through
failures and restarts; due items are told about the thing; prompts never reach a team; a
team that asks for a digest gets what changed on its key results and decisions."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from ledger.application import Koers
from ledger.domain import Prompt, team_id
from ledger.settings import NotifySettings, WorkerSettings
from tests.conftest import fresh_env
from tests.factories import (
    ANN,
    BOB,
    action_item,
    decide,
    decision,
    koers,
    new_decision,
    new_key_result,
    new_objective,
    pinned_clock,
    retro,
)
from tests.workers.notify_support import (
    Receiver,
    check_slack,
    check_teams,
    fire,
    receiver,
    settled,
)
from tests.workers.test_workers_support import (
    fast_settings,
    nats_call,
    running_workers,
    stream_messages,
    wait_for,
)
from workers._names import Names

BASE = "http://koers.test"
WEEK = timedelta(days=7)


#: A decide-by date still ahead: the decision's "To decide" is not posted during the test.
_AHEAD = datetime.now(UTC).date() + timedelta(days=14)


def _settings(env: dict[str, str], **more: Any) -> WorkerSettings:
    notify = NotifySettings(public_url=BASE, lease=3.0, retry=0.1, retry_max=0.5)
    return fast_settings(env, notify=notify, **more)


def _team(app: Koers, hooks: Receiver, slug: str = "platform", **more: Any) -> None:
    """A team with ann as member, its Slack and Teams channels on the receiver."""
    app.add_team(actor="root", slug=slug, name=slug.title())
    app.add_person(actor="root", handle=ANN, name="Ann", email="", time_zone="UTC")
    app.set_member(slug, actor="root", handle=ANN, role="member")
    app.notify_team(slug, actor="root", slack_url=f"{hooks.url}/slack",
                    teams_url=f"{hooks.url}/teams", **more)  # fmt: skip


def _settled(settings: WorkerSettings) -> bool:
    names = Names.of(settings)
    return settled(settings, (names.stream, names.teams_durable),
                   (names.schedules_stream, names.teams_due_durable),
                   (names.stream, names.notify_durable),
                   (names.notify_stream, names.send_durable))  # fmt: skip


def _posted(hooks: Receiver, path: str) -> list[str]:
    """The JSON bodies posted to ``path``, as text."""
    with hooks.lock:
        return [orjson.dumps(body).decode() for body in hooks.bodies.get(path, [])]


def _titles(hooks: Receiver) -> list[str]:
    with hooks.lock:
        return sorted(body["blocks"][0]["text"]["text"] for body in hooks.bodies.get("/slack", []))


def test_a_teams_decisions_reach_its_slack_and_teams_once_and_its_prompts_never() -> None:
    env = fresh_env()
    settings = _settings(env)
    with receiver() as hooks, koers(env) as app:
        new_decision(app, question="Opened before the channels were set?", decide_by=_AHEAD)
        _team(app, hooks)
        app.add_team(actor="root", slug="sales", name="Sales")
        hooks.failures["/slack"] = 2  # fails twice, then takes them
        opened = new_decision(app, question="Do we move the pager rota?")
        app.decide(opened, actor=ANN, **decide(review_on=datetime.now(UTC).date() + WEEK))
        new_decision(app, team="sales", question="Another team's question?")
        app.notify_person(ANN, actor="root", slack_url=f"{hooks.url}/ann")
        asked = app.issue_prompt(actor="koers", to=ANN, question="Ann's own question?",
                                 kind="decision_review_due",
                                 triggered_by=[f"decision:{opened}@2"]).id  # fmt: skip
        with running_workers(settings):
            wait_for(lambda: len(_posted(hooks, "/slack")) == 2
                     and len(_posted(hooks, "/teams")) == 2 and _posted(hooks, "/ann"),
                     what="two posts to each team channel, the prompt to ann")  # fmt: skip
            wait_for(lambda: _settled(settings), what="the consumers settled")
        again = dataclasses.replace(settings, name="another")  # reads everything from the start
        with running_workers(again):
            wait_for(lambda: _settled(again), what="another worker's consumers settled")
        app.reverse_decision(opened, actor=ANN, reason="the rota moved anyway")
        with running_workers(settings):
            wait_for(lambda: len(_posted(hooks, "/teams")) == 3, what="the reversal posted")
            wait_for(lambda: _settled(settings), what="the consumers settled")
    assert _titles(hooks) == ["Decided: Do we move the pager rota?",
                              "New decision: Do we move the pager rota?",
                              "Reversed: Do we move the pager rota?"]  # fmt: skip
    assert hooks.attempts["/slack"] == 5
    with hooks.lock:
        for body in hooks.bodies["/slack"]:
            check_slack(body)
        for card in hooks.bodies["/teams"]:
            check_teams(card)
            assert card["potentialAction"][0]["targets"][0]["uri"] == f"{BASE}/decision/{opened}"
    team_posts = " ".join(_posted(hooks, "/slack") + _posted(hooks, "/teams"))
    assert "Ann's own question?" not in team_posts
    assert "/prompt/" not in team_posts
    assert "Opened before the channels" not in team_posts
    assert "Another team's question?" not in team_posts
    assert f"{BASE}/prompt/{asked}" in _posted(hooks, "/ann")[0]


def _in(seconds: float) -> datetime:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).replace(microsecond=0)


def test_a_teams_due_items_are_posted_about_the_thing_never_as_the_prompt() -> None:
    env = fresh_env()
    due = _in(5)
    settings = _settings(env, due_time=due.time(), timezone="UTC")
    with receiver() as hooks, koers(env) as app:
        _team(app, hooks)
        with pinned_clock(due - WEEK):  # its cadence ran out at ``due``
            kr = new_key_result(app, objective_id=new_objective(app, team="platform"))
        opened = app.open_decision(actor=ANN, **decision(decide_by=due.date())).id
        app.decide(opened, actor=ANN, **decide(review_on=due.date()))
        held = app.hold_retro(actor=ANN, **retro(held_on=due.date() - timedelta(days=1))).id
        app.add_action_item(held, actor=ANN, **action_item(owner=BOB, due=due.date()))
        with running_workers(settings):
            wait_for(lambda: len(_posted(hooks, "/teams")) == 5, timeout=30,
                     what="opened, decided, and three due items")  # fmt: skip
            wait_for(lambda: _settled(settings), what="the consumers settled")
            prompts = wait_for(lambda: len(app.all_of(Prompt)) == 3 and app.all_of(Prompt),
                               what="the three prompts to their people")  # fmt: skip
    titles = _titles(hooks)
    assert titles == ["Check-in missed: Teams with a weekly check-in",
                      "Decided: Do we build or buy the event store?",
                      "New decision: Do we build or buy the event store?",
                      "Retro action due: write the on-call runbook",
                      "Review due: Do we build or buy the event store?"]  # fmt: skip
    team_posts = " ".join(_posted(hooks, "/slack") + _posted(hooks, "/teams"))
    assert f"{BASE}/key-result/{kr}" in team_posts
    assert f"{BASE}/retro/{held}" in team_posts
    assert "/prompt/" not in team_posts
    for prompt in prompts:  # the prompts went to their people, not to the team
        assert prompt.question not in team_posts


def test_a_team_that_asks_for_a_digest_gets_what_changed_on_its_key_results_and_decisions() -> None:
    env = fresh_env()
    settings = _settings(env)
    names = Names.of(settings)
    token = team_id("platform").hex
    schedule = names.notify_subject("digest_at", token)
    url = env["NATS_URL"]
    with receiver() as hooks, koers(env) as app:
        _team(app, hooks, digest="weekly")
        kr = new_key_result(app, objective_id=new_objective(app, team="platform"))
        opened = new_decision(app, question="Do we move the pager rota?", decide_by=_AHEAD)
        with running_workers(settings):
            [armed] = wait_for(lambda: stream_messages(url, names.notify_stream, schedule),
                               what="the team's digest schedule")  # fmt: skip
            assert armed.headers["Nats-Schedule"] == "0 0 8 * * MON"
            assert armed.headers["Nats-Schedule-Time-Zone"] == "UTC"
            fire(url, names.notify_stream, names.notify_subject("gather", token), armed.data)
            wait_for(lambda: len(_posted(hooks, "/slack")) == 2, what="the decision, the digest")
            app.notify_team("platform", actor="root", digest="off")
            wait_for(lambda: not stream_messages(url, names.notify_stream, schedule),
                     what="the digest schedule cancelled")  # fmt: skip
            wait_for(lambda: _settled(settings), what="the consumers settled")
    assert "The week of Platform in Koers: 2 changes" in _titles(hooks)
    [digest] = [b for b in _posted(hooks, "/teams") if "The week of" in b]
    assert f"{BASE}/key-result/{kr}" in digest
    assert f"{BASE}/decision/{opened}" in digest


def test_nothing_is_posted_for_a_team_without_channels() -> None:
    env = fresh_env()
    settings = _settings(env)
    with receiver() as hooks, koers(env) as app:
        app.add_team(actor="root", slug="platform", name="Platform")
        new_decision(app)
        with running_workers(settings):
            wait_for(lambda: _settled(settings), what="the consumers settled")
        assert not stream_messages(env["NATS_URL"], Names.of(settings).notify_stream,
                                   Names.of(settings).notify_subject("send", "*"))  # fmt: skip
    assert not hooks.attempts


def test_a_team_consumer_made_before_the_filters_is_narrowed_to_the_events_it_posts() -> None:
    """A worker of an older version made ``<name>-teams`` on every ledger event; a start now
    narrows it to the events posted to teams (the server no longer hands it the others), and
    it goes on from where it was: what it read before is not posted again."""
    env = fresh_env()
    settings = _settings(env)
    names = Names.of(settings)
    with receiver() as hooks, koers(env) as app:
        _team(app, hooks)
        new_decision(app, question="Read by the old consumer?", decide_by=_AHEAD)
        with running_workers(settings):
            wait_for(lambda: len(_posted(hooks, "/slack")) == 1, what="the first decision posted")
            wait_for(lambda: _settled(settings), what="the consumers settled")

        async def widen(nc: Any) -> list[str] | None:  # the consumer as an older worker left it
            js = nc.jetstream()
            config = (await js.consumer_info(names.stream, names.teams_durable)).config
            config.filter_subjects = None
            config.filter_subject = names.ledger_filter
            await js.add_consumer(names.stream, config)
            info = await js.consumer_info(names.stream, names.teams_durable)
            return info.config.filter_subjects

        assert not nats_call(env["NATS_URL"], widen)
        new_decision(app, question="Read by the narrowed one?", decide_by=_AHEAD)
        with running_workers(settings):
            wait_for(lambda: len(_posted(hooks, "/slack")) == 2, what="the second decision posted")
            wait_for(lambda: _settled(settings), what="the consumers settled")

        async def filters(nc: Any) -> tuple[str | None, list[str] | None]:
            info = await nc.jetstream().consumer_info(names.stream, names.teams_durable)
            return info.config.filter_subject, info.config.filter_subjects

        subject, subjects = nats_call(env["NATS_URL"], filters)
    assert not subject
    assert subjects is not None
    assert sorted(subjects) == sorted(names.team_events_filters)
    assert len(subjects) == 5
    assert _titles(hooks) == ["New decision: Read by the narrowed one?",
                              "New decision: Read by the old consumer?"]  # fmt: skip

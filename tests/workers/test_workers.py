"""Reflection workers, event triggers: each against a real nats-server (the session's).

What each test proves is in its name; every prompt is checked for its recipient, its
question and its link to the event that triggered it (``<kind>:<id>@<version>``).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from ledger.application import Koers
from tests.commandline import run_koers
from tests.conftest import fresh_env
from tests.factories import (
    ANN,
    BOB,
    decide,
    decision,
    koers,
    new_delegation,
    new_delegation_check_in,
    new_key_result,
    objective,
    pinned_clock,
)
from tests.workers.test_workers_support import (
    fast_settings,
    nats_call,
    prompts_of,
    running_workers,
    wait_for,
)
from workers._names import Names
from workers._streams import consumer_config, ledger_filters
from workers._triggers import ACK_WITHIN

TODAY = datetime.now(UTC).date()


def _decided(app: Koers, *, information: int, door: str, review_in: int = 60) -> Any:
    opened = app.open_decision(
        actor=ANN,
        **decision(information_level=information, reversibility=door, decide_by=TODAY),
    )
    app.decide(opened.id, actor=ANN, **decide(review_on=TODAY + timedelta(days=review_in)))
    return opened.id


def test_a_one_way_door_decided_at_low_information_prompts_its_decider_once() -> None:
    env = fresh_env()
    with koers(env) as app, running_workers(env) as workers:
        low = _decided(app, information=40, door="one_way")
        _decided(app, information=40, door="two_way")  # cheap to undo: no prompt
        _decided(app, information=85, door="one_way")  # well informed: no prompt
        marker = _decided(app, information=30, door="one_way")
        found = wait_for(lambda: len(prompts_of(app, "one_way_low_information")) == 2 or None)
        assert found
        (prompt,) = [
            p for p in prompts_of(app, "one_way_low_information") if str(low) in p.triggered_by[0]
        ]
        assert prompt.to == ANN
        assert "one-way door" in prompt.question
        assert "40 %" in prompt.question
        assert prompt.triggered_by == (f"decision:{low}@2",)
        (issued,) = app.event_history(prompt.id)
        assert (issued.actor, issued.credential) == ("koers", "service:koers")  # the workers'
        assert any(str(marker) in p.triggered_by[0] for p in prompts_of(app))
        assert "koers_worker_prompts_issued_total" in workers.metrics_text()


def test_a_drop_in_key_result_confidence_prompts_its_owner() -> None:
    env = fresh_env()
    with koers(env) as app, running_workers(env):
        kr = new_key_result(app, owner=BOB)
        now = datetime.now(UTC)
        for confidence in (7, 6, 3):  # -1 is noise, -3 is a drop
            app.check_in(kr, actor=BOB, value="12", confidence=confidence, as_of=now)
        (prompt,) = wait_for(lambda: prompts_of(app, "kr_confidence_drop"))
        assert prompt.to == BOB
        assert "fell from 6 to 3" in prompt.question
        assert prompt.triggered_by == (f"key_result:{kr}@4",)
        app.check_in(kr, actor=BOB, value="13", confidence=8, as_of=now)
        app.check_in(kr, actor=BOB, value="13", confidence=6, as_of=now)  # a second drop
        wait_for(lambda: len(prompts_of(app, "kr_confidence_drop")) == 2)


def test_a_check_in_left_unacknowledged_asks_its_delegator_once_an_acknowledged_one_never() -> None:
    env = fresh_env()
    kind = "delegation_check_in_to_acknowledge"
    with koers(env) as app, running_workers(env):
        delegated = new_delegation(app, actor=ANN, owner=BOB, title="Hiring plan")
        with pinned_clock(datetime.now(UTC) - ACK_WITHIN + timedelta(seconds=3)):
            waiting = new_delegation_check_in(app, delegated, actor=BOB)
            answered = new_delegation_check_in(app, delegated, actor=BOB)
        app.acknowledge_check_in(delegated, actor=ANN, check_in_id=answered, note="thanks")
        [asked] = wait_for(lambda: prompts_of(app, kind), what="the delegator asked")
        assert asked.to == ANN  # the delegator, never the owner
        assert "bob checked in on 'Hiring plan': on track, 'half done'" in asked.question
        assert asked.triggered_by == (f"delegation:{delegated}@2",)
        assert set(asked.commands) == {f"{kind}/{delegated}/{waiting}"}
        time.sleep(2)  # the acknowledged one was due as soon: it is never asked
        assert len(prompts_of(app, kind)) == 1


def test_redelivery_a_restart_and_a_second_worker_never_issue_a_prompt_twice() -> None:
    env = fresh_env()
    with koers(env) as app:
        decisions = [_decided(app, information=20, door="one_way") for _ in range(12)]
        with running_workers(env):
            wait_for(lambda: len(prompts_of(app, "one_way_low_information")) == 12)
        # Workers under another name read the whole ledger again (their own durables), two
        # at once, racing for every prompt: the prompt ids are derived from the triggers.
        with running_workers(env, name="again") as a, running_workers(env, name="again-2") as b:
            wait_for(lambda: _replayed(a) >= 12 and _replayed(b) >= 12, what="both replayed")
        prompts = prompts_of(app, "one_way_low_information")
        assert len(prompts) == 12
        assert sorted(p.triggered_by[0] for p in prompts) == sorted(
            f"decision:{d}@2" for d in decisions
        )


def _replayed(handle: Any) -> float:
    total = 0.0
    for line in handle.metrics_text().splitlines():
        if line.startswith("koers_worker_prompts_replayed_total") or line.startswith(
            "koers_worker_prompts_issued_total"
        ):
            total += float(line.rsplit(" ", 1)[1])
    return total


# -- the command line ------------------------------------------------------------------------


def _koers(*args: str, env: dict[str, str]) -> Any:
    result = run_koers(*args, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if "--json" in args else result.stdout


def test_prompts_list_shows_open_prompts_per_person_and_answers_leave_it() -> None:
    env = fresh_env()
    cli_env = {k: v for k, v in env.items() if k != "PERSISTENCE_MODULE"}
    with koers(env) as app, running_workers(env):
        first = _decided(app, information=10, door="one_way")
        _decided(app, information=20, door="one_way")
        kr = new_key_result(app, owner=BOB)
        now = datetime.now(UTC)
        app.check_in(kr, actor=BOB, value="1", confidence=9, as_of=now)
        app.check_in(kr, actor=BOB, value="1", confidence=2, as_of=now)
        wait_for(lambda: len(prompts_of(app)) >= 3)
        everyone = _koers("prompts", "list", "--json", env=cli_env)
        assert {p["to"] for p in everyone} >= {ANN, BOB}
        anns = _koers("prompts", "list", "--to", ANN, "--json", env=cli_env)
        assert len(anns) == 2
        assert all(p["to"] == ANN for p in anns)
        answered = next(p for p in anns if str(first) in p["triggered_by"][0])
        _koers(
            "prompt",
            "answer",
            answered["id"],
            "--answer",
            "I would wait a week",
            "--as",
            ANN,
            env=cli_env,
        )
        left = _koers("prompts", "list", "--to", ANN, "--json", env=cli_env)
        assert [p["id"] for p in left] == [p["id"] for p in anns if p["id"] != answered["id"]]
        every = _koers("prompts", "list", "--to", ANN, "--all", "--json", env=cli_env)
        assert {p["state"] for p in every} == {"open", "answered"}
        table = _koers("prompts", "list", env=cli_env)
        assert table.splitlines()[0].split() == ["ID", "TO", "KIND", "STATE", "ISSUED", "QUESTION"]
        assert _koers("deadletters", "--json", env=cli_env) == []


def test_the_prompts_consumer_is_passed_only_the_events_its_triggers_read() -> None:
    """Objectives set, people added: no trigger reads them, and the server leaves them out
    of the ledger consumer (a consumer made by an older worker, on every event, is narrowed
    at start); the decision's two events still reach it and prompt."""
    env = fresh_env()
    settings = fast_settings(env)
    names = Names.of(settings)

    async def every_event(nc: Any) -> None:  # as an older worker made it
        config = consumer_config(names.ledger_durable, names.ledger_filter, settings)
        await nc.jetstream().add_consumer(names.stream, config)

    with koers(env) as app:
        for _ in range(5):
            app.set_objective(actor=ANN, **objective(owner=ANN))
        nats_call(env["NATS_URL"], every_event)
        _decided(app, information=30, door="one_way")
        with running_workers(settings):
            wait_for(lambda: prompts_of(app, "one_way_low_information"), what="the prompt")

            async def delivered(nc: Any) -> tuple[int, list[str] | None]:
                info = await nc.jetstream().consumer_info(names.stream, names.ledger_durable)
                return info.delivered.consumer_seq, info.config.filter_subjects

            count, filters = nats_call(env["NATS_URL"], delivered)
    assert count == 2  # decision.opened and decision.made, nothing else
    assert filters == ledger_filters(names, settings)

"""Time triggers: NATS message schedules in the workers' own stream, against a real server.

Due moments a few seconds ahead are made two ways, both through public settings: a date
becomes due at ``due_time`` (set to a few seconds from now, today), and a cadence runs from
an event recorded with the domain clock pinned a cadence ago (less a few seconds). A prompt
must come no earlier than its due moment and at most 2 s after it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from nats.js.errors import NotFoundError

from ledger.application import Koers
from ledger.domain import YEARS_AHEAD, Decision, Prompt
from ledger.embedded import EmbeddedServer
from tests.conftest import fresh_env
from tests.factories import (
    ANN,
    BOB,
    action_item,
    decide,
    decision,
    delegation,
    koers,
    new_key_result,
    pinned_clock,
    retro,
)
from tests.workers.test_workers_support import (
    fast_settings,
    nats_call,
    prompts_of,
    running_workers,
    stream_messages,
    wait_for,
)
from workers._actions import CancelSchedule, SetSchedule
from workers._deadletter import read_dead_letters
from workers._names import Names
from workers._scheduler import HORIZON, Unschedulable, unschedulable

ON_TIME = timedelta(seconds=2)
WEEK = timedelta(days=7)


def _ceil(moment: datetime) -> datetime:
    """``moment`` rounded up to a whole second (the schedules' resolution)."""
    if not moment.microsecond:
        return moment
    return moment.replace(microsecond=0) + timedelta(seconds=1)


def _in(seconds: float) -> datetime:
    return _ceil(datetime.now(UTC) + timedelta(seconds=seconds))


def _on_time(prompt: Prompt, due: datetime) -> None:
    late = prompt.created_on - due
    assert timedelta(0) <= late <= ON_TIME, f"{prompt.kind} issued {late} after its due time"


def _one(app: Koers, kind: str, about: UUID, timeout: float = 15) -> Prompt:
    def found() -> list[Prompt]:
        return [p for p in prompts_of(app, kind) if str(about) in p.triggered_by[0]]

    (prompt,) = wait_for(found, timeout, f"a {kind} prompt about {about}")
    return prompt


def _schedule(url: str, stream: str, subject: str) -> dict[str, str] | None:
    async def last(nc: Any) -> dict[str, str] | None:
        try:
            msg = await nc.jetstream().get_last_msg(f"{stream}_SCHEDULES", subject)
        except NotFoundError:
            return None
        return dict(msg.headers or {})

    result: dict[str, str] | None = nats_call(url, last)
    return result


def test_decide_by_review_and_action_item_dates_fire_at_their_due_time() -> None:
    env = fresh_env()
    due = _in(4)
    with koers(env) as app, running_workers(env, due_time=due.time(), timezone="UTC"):
        opened = app.open_decision(actor=ANN, **decision(decide_by=due.date()))
        app.decide(opened.id, actor=ANN, **decide(review_on=due.date()))
        waiting = app.open_decision(actor=ANN, **decision(decide_by=due.date()))
        held = app.hold_retro(actor=ANN, **retro(held_on=due.date() - timedelta(days=1)))
        item = app.add_action_item(
            held.id, actor=ANN, **action_item(owner=BOB, due=due.date())
        ).item_id
        review = _one(app, "decision_review_due", opened.id)
        assert review.to == ANN
        assert "due for review" in review.question
        assert review.triggered_by == (f"decision:{opened.id}@2",)
        _on_time(review, due)
        reminder = _one(app, "action_item_due", held.id)
        assert reminder.to == BOB
        assert "on-call runbook" in reminder.question
        _on_time(reminder, due)
        assert reminder.triggered_by == (f"retro:{held.id}@2",)
        assert str(item) not in reminder.question
        undecided = _one(app, "decision_decide_by_due", waiting.id)  # still open: asked
        assert undecided.to == ANN
        assert f"was to be decided by {due.date()}" in undecided.question
        assert undecided.triggered_by == (f"decision:{waiting.id}@1",)
        _on_time(undecided, due)
        decided = [p for p in prompts_of(app, "decision_decide_by_due")
                   if str(opened.id) in p.triggered_by[0]]  # fmt: skip
        assert decided == []  # decided before its decide-by date: not asked


def test_check_in_cadences_fire_re_schedule_and_cancel() -> None:
    env = fresh_env()
    stream = env["NATS_STREAM"]
    prefix = stream.lower()
    now = datetime.now(UTC)

    def started(seconds: int) -> Any:
        return pinned_clock(now - WEEK + timedelta(seconds=seconds))

    with koers(env) as app, running_workers(env):
        with started(3):
            silent = new_key_result(app, owner=BOB, title="silent")
            delegated = app.delegate(actor=ANN, **delegation(owner=BOB)).id
        with started(5):
            closed = new_key_result(app, owner=BOB, title="closed")
        with started(6):
            checked = new_key_result(app, owner=BOB, title="checked in")
        with started(8):
            last = new_key_result(app, owner=BOB, title="last")
        app.check_in(checked, actor=BOB, value="11", confidence=7, as_of=datetime.now(UTC))
        app.close_key_result(closed, actor=ANN, score="0.5")

        def scheduled(kind: str, ident: UUID) -> dict[str, str] | None:
            return _schedule(app_url(env), stream, f"{prefix}_schedules.set.{kind}.{ident}")

        def cancelled() -> bool:  # a tombstone: no schedule left on the subject
            return "Nats-Schedule" not in (scheduled("kr_check_in", closed) or {})

        wait_for(cancelled, what="the closed KR's cancel")

        def moved_on() -> dict[str, str] | None:
            schedule = scheduled("kr_check_in", checked)
            later = schedule and schedule["Nats-Schedule"] > _at(now + WEEK - timedelta(seconds=5))
            return schedule if later else None

        moved = wait_for(moved_on, what="the checked-in KR re-scheduled a week on")
        assert moved["Nats-Schedule-Target"] == f"{prefix}_schedules.due.kr_check_in.{checked}"

        stale = _one(app, "kr_check_in_overdue", silent)
        assert stale.to == BOB
        assert "every 7 days" in stale.question
        _on_time(stale, _ceil(now + timedelta(seconds=3)))
        overdue = _one(app, "delegation_check_in_overdue", delegated)
        assert overdue.to == ANN
        assert f"from {BOB}" in overdue.question
        _on_time(overdue, _ceil(now + timedelta(seconds=3)))
        again = wait_for(lambda: scheduled("kr_check_in", silent), what="the next reminder")
        assert again["Nats-Schedule"] >= _at(now + WEEK)  # reminded once per cadence
        _one(app, "kr_check_in_overdue", last)  # by now every earlier due time has passed
        assert not [p for p in prompts_of(app) if str(checked) in p.triggered_by[0]]
        assert not [p for p in prompts_of(app) if str(closed) in p.triggered_by[0]]


def _at(moment: datetime) -> str:
    return "@at " + moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def app_url(env: dict[str, str]) -> str:
    return env["NATS_URL"]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmbeddedServer]:
    with EmbeddedServer(tmp_path / "data", anonymous=True) as running:
        yield running


@pytest.mark.long
def test_schedules_survive_restarts_of_the_server_and_of_the_workers(
    server: EmbeddedServer,
) -> None:
    env = {
        "PERSISTENCE_MODULE": "ledger.nats",
        "NATS_URL": server.url,
        "NATS_STREAM": "SCHED",
        "NATS_CREATE_STREAM": "yes",
    }
    review_due = _in(50)
    settings = fast_settings(env, due_time=review_due.time(), timezone="UTC")
    with koers(env) as app:
        with running_workers(settings):
            # the due times count from here, the workers started: a slow start (a loaded
            # machine) must not use up the time before the early one fires with no worker
            # (8 s and 14 s were too little in loaded CI runs: the writes and the three
            # schedules took longer, and the early one fired while the first workers ran)
            now = datetime.now(UTC)
            with pinned_clock(now - WEEK + timedelta(seconds=30)):
                early = new_key_result(app, owner=BOB, title="fires while no worker runs")
            with pinned_clock(now - WEEK + timedelta(seconds=40)):
                later = new_key_result(app, owner=BOB, title="fires after both restarts")
            opened = app.open_decision(actor=ANN, **decision(decide_by=review_due.date()))
            app.decide(opened.id, actor=ANN, **decide(review_on=review_due.date()))
            for subject in (
                f"sched_schedules.set.kr_check_in.{early}",
                f"sched_schedules.set.kr_check_in.{later}",
                f"sched_schedules.set.decision_review.{opened.id}",
            ):
                wait_for(partial(_schedule, server.url, "SCHED", subject), what=subject)
        stopped = datetime.now(UTC)  # the first workers are gone
        assert stopped < now + timedelta(seconds=30), (
            f"the set-up took until {stopped:%H:%M:%S}, past the early check-in's due time: "
            "too slow a machine for this test's timing, not a finding about the workers"
        )
        server.restart()
        # The early schedule fires while no worker runs: its message waits in the stream.
        wait_for(
            lambda: stream_messages(
                server.url, "SCHED_SCHEDULES", f"sched_schedules.due.kr_check_in.{early}"
            ),
            timeout=45,
            what="the early schedule fired",
        )
        assert not prompts_of(app, "kr_check_in_overdue")
        with running_workers(settings):
            _one(app, "kr_check_in_overdue", early)
            fired = _one(app, "kr_check_in_overdue", later, timeout=30)
            _on_time(fired, _ceil(now + timedelta(seconds=40)))
            review = _one(app, "decision_review_due", opened.id, timeout=40)
            _on_time(review, review_due)


@pytest.mark.long
def test_a_date_no_schedule_can_hold_is_set_aside_once_and_never_loops(
    server: EmbeddedServer,
) -> None:
    """Issue 11: a review date 9999-12-31 fired its schedule four times a second for ever
    (the server fires an ``@at`` beyond 2262 at once; the handler re-armed it). The commands
    refuse such a date now, so the event is written below them, by the aggregate itself; and
    the schedule the old workers made from it is put back in the stream as they left it."""
    env = {
        "PERSISTENCE_MODULE": "ledger.nats",
        "NATS_URL": server.url,
        "NATS_STREAM": "FAR",
        "NATS_CREATE_STREAM": "yes",
    }
    settings = fast_settings(env, attempts=3, retry_delay=0.2)
    names = Names.of(settings)
    with koers(env) as app, running_workers(settings):
        opened = app.open_decision(actor=ANN, **decision(information_level=90))
        made = app.repository.get(opened.id)
        checked = {**decide(), "confidence": Decimal("0.7"), "review_on": date(9999, 12, 31)}
        made.trigger_event(Decision.Made, actor=ANN, command_id="", information_level=90, **checked)
        app.save(made)
        ident = str(opened.id)
        old = {"kind": "decision_review", "id": ident, "due": "9999-12-31T09:00:00+00:00"}
        headers = {
            "Nats-Schedule": "@at 9999-12-31T09:00:00Z",
            "Nats-Schedule-Target": names.due_subject("decision_review", ident),
        }
        nats_call(
            server.url,
            lambda nc: nc.jetstream().publish(
                names.schedule_subject("decision_review", ident),
                json.dumps(old).encode(),
                stream=names.schedules_stream,
                headers=headers,
            ),
        )

        def set_aside() -> list[Any] | None:
            letters = nats_call(server.url, lambda nc: read_dead_letters(nc.jetstream(), names))
            return letters if len(letters) == 2 else None

        letters = wait_for(set_aside, what="the event and the fired schedule set aside")
        assert sorted(letter.stream for letter in letters) == ["FAR", "FAR_SCHEDULES"]
        for letter in letters:
            assert "due 9999-12-31T" in letter.reason, letter.reason
            assert "set aside, not scheduled" in letter.reason
            assert letter.deliveries == 1  # set aside at once: trying again cannot help
        count = len(stream_messages(server.url, names.schedules_stream))
        time.sleep(3)  # the old loop added about 4 messages a second here
        assert len(stream_messages(server.url, names.schedules_stream)) == count
        assert len(nats_call(server.url, lambda nc: read_dead_letters(nc.jetstream(), names))) == 2
        assert not prompts_of(app, "decision_review_due")


def test_only_a_due_time_within_the_horizon_is_scheduled() -> None:
    now = datetime.now(UTC)
    within = SetSchedule("action_item", "a.b", now + timedelta(days=365 * YEARS_AHEAD))
    beyond = SetSchedule("decision_review", "d", datetime(9999, 12, 31, 9, tzinfo=UTC))
    assert unschedulable(within) is None
    assert unschedulable(CancelSchedule("decision_review", "d")) is None
    refused = unschedulable(beyond)
    assert isinstance(refused, Unschedulable)
    assert refused.reason.startswith(
        "the decision_review schedule of d would be due 9999-12-31T09:00:00+00:00, more than "
    )
    assert unschedulable(replace(beyond, due=now + HORIZON - timedelta(seconds=1))) is None

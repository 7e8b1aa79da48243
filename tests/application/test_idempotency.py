"""Retried commands against a real nats-server: a command carrying an idempotency key that is
sent again (after a timeout, a crash, a double click) takes effect once and answers with its
first result; a key reused for a different command is refused."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from ledger.application import Koers, Receipt
from ledger.domain import COMMANDS as DOMAIN_COMMANDS
from ledger.domain import KeyResult, Objective, Option, Retro, command_key_id
from ledger.errors import CommandKeyReused, StoreUnavailable
from tests import factories as make
from tests.conftest import fresh_env
from tests.factories import ANN, BOB, CEM, T0

Ids = dict[str, UUID]


pytestmark = pytest.mark.usefixtures("clock")


def same_result(first: Receipt, again: Receipt) -> None:
    """``again`` is the answer to a retry of the command that answered ``first``."""
    assert first.replayed is False
    assert again.replayed is True
    assert (again.id, again.version) == (first.id, first.version)
    assert again.position is None  # nothing was written this time


# -- every command, retried with its key -----------------------------------------------------

#: command -> (set-up: the ids it needs, the command with an idempotency key)
Scenario = tuple[Callable[[Koers], Ids], Callable[[Koers, Ids, str], Any]]


def _nothing(app: Koers) -> Ids:
    return {}


def _one(name: str, make: Callable[[Koers], UUID]) -> Callable[[Koers], Ids]:
    """The set-up that makes one aggregate, which the command finds as ``i[name]``."""
    return lambda app: {name: make(app)}


def _new(command: str, **args: Any) -> Scenario:
    """The creating ``command``, with ``args``."""
    return _nothing, lambda app, i, k: getattr(app, command)(key=k, **args)


def _on(make: Callable[[Koers], UUID], command: str, **args: Any) -> Scenario:
    """The ``command`` on one aggregate that ``make`` records first, with ``args``."""
    return _one("id", make), lambda app, i, k: getattr(app, command)(i["id"], key=k, **args)


def _two_objectives(app: Koers) -> Ids:
    return {"o": make.new_objective(app), "p": make.new_objective(app)}


def _kr_with_check_in(app: Koers) -> Ids:
    kr = make.new_key_result(app)
    return {"kr": kr, "ci": make.new_check_in(app, kr)}


def _delegation_with_check_in(app: Koers) -> Ids:
    d = make.new_delegation(app)
    return {"d": d, "ci": make.new_delegation_check_in(app, d)}


def _retro_with_item(app: Koers) -> Ids:
    r = make.new_retro(app)
    return {"r": r, "item": make.new_action_item(app, r)}


def _two_retros_with_item(app: Koers) -> Ids:
    ids = _retro_with_item(app)
    return {**ids, "later": make.new_retro(app, held_on=T0.date() + timedelta(days=7))}


def _person(app: Koers) -> Ids:
    app.add_person(actor=ANN, handle="dora", name="Dora", email="dora@example.org")
    return {}


def _team_and_person(app: Koers) -> Ids:
    _person(app)
    app.add_team(actor=ANN, slug="ops", name="Ops")
    return {}


def _team_with_member(app: Koers) -> Ids:
    _team_and_person(app)
    app.set_member("ops", actor=ANN, handle="dora", role="member")
    return {}


SCENARIOS: dict[str, Scenario] = {
    "add_person": _new("add_person", actor=ANN, handle="eve", name="Eve", email="eve@example.org"),
    "create_token": (
        _person,
        lambda app, i, k: app.create_token(actor=ANN, handle="dora", label="cli", key=k),
    ),
    "revoke_token": (
        lambda app: (_person(app), {"t": app.create_token(actor=ANN, handle="dora").id})[1],
        lambda app, i, k: app.revoke_token(i["t"], actor=ANN, reason="lost", key=k),
    ),
    "add_webhook": _new("add_webhook", actor=ANN, url="https://example.org/h"),
    "remove_webhook": (
        lambda app: {"w": app.add_webhook(actor=ANN, url="https://example.org/h").id},
        lambda app, i, k: app.remove_webhook(i["w"], actor=ANN, reason="done", key=k),
    ),
    "grant_role": (
        _person,
        lambda app, i, k: app.grant_role("dora", actor=ANN, role="admin", key=k),
    ),
    "revoke_role": (
        lambda app: {**_person(app), **{"_": app.grant_role("dora", actor=ANN, role="admin").id}},
        lambda app, i, k: app.revoke_role("dora", actor=ANN, role="admin", key=k),
    ),
    "add_team": _new("add_team", actor=ANN, slug="ops", name="Ops"),
    "set_member": (
        _team_and_person,
        lambda app, i, k: app.set_member("ops", actor=ANN, handle="dora", role="lead", key=k),
    ),
    "notify_person": (
        _person,
        lambda app, i, k: app.notify_person("dora", actor=ANN, digest="daily", key=k),
    ),
    "notify_team": (
        _team_and_person,
        lambda app, i, k: app.notify_team(
            "ops", actor=ANN, slack_url="https://hooks.slack.com/services/T/B/X", key=k
        ),
    ),
    "remove_member": (
        _team_with_member,
        lambda app, i, k: app.remove_member("ops", actor=ANN, handle="dora", key=k),
    ),
    "set_objective": _new("set_objective", actor=ANN, **make.objective()),
    "realign_objective": (
        _two_objectives,
        lambda app, i, k: app.realign_objective(
            i["o"], actor=ANN, parent_id=i["p"], reason="moved", key=k
        ),
    ),
    "score_objective": _on(
        make.new_objective, "score_objective", actor=ANN, score="0.7", learnings="x"
    ),
    "drop_objective": _on(make.new_objective, "drop_objective", actor=ANN, reason="x"),
    "add_key_result": (
        _one("o", make.new_objective),
        lambda app, i, k: app.add_key_result(
            actor=ANN, objective_id=i["o"], key=k, **make.key_result()
        ),
    ),
    "check_in": _on(make.new_key_result, "check_in", actor=BOB, **make.check_in()),
    "correct_check_in": (
        _kr_with_check_in,
        lambda app, i, k: app.correct_check_in(
            i["kr"], actor=BOB, check_in_id=i["ci"], value="11", confidence=5, reason="x", key=k
        ),
    ),
    "retarget": _on(make.new_key_result, "retarget", actor=ANN, target="50", reason="x"),
    "drop_key_result": _on(make.new_key_result, "drop_key_result", actor=ANN, reason="x"),
    "close_key_result": _on(make.new_key_result, "close_key_result", actor=ANN, score="0.5"),
    "weigh_key_result": _on(
        make.new_key_result, "weigh_key_result", actor=ANN, weight="2", reason="x"
    ),
    "weigh_objective": _on(
        make.new_objective, "weigh_objective", actor=ANN, weight="2", reason="x"
    ),
    "define_kpi": _new("define_kpi", actor=ANN, **make.kpi()),
    "measure_kpi": _on(make.new_kpi, "measure_kpi", actor=ANN, value="3", as_of=T0),
    "set_kpi_next_step": _on(make.new_kpi, "set_kpi_next_step", actor=ANN, next_step="x"),
    "retire_kpi": _on(make.new_kpi, "retire_kpi", actor=ANN, reason="x"),
    "open_decision": _new("open_decision", actor=ANN, **make.decision()),
    "add_option": _on(
        make.new_decision, "add_option", actor=BOB, option=Option("wait", "Wait a quarter")
    ),
    "update_information": _on(
        make.new_decision, "update_information", actor=ANN, information_level=90
    ),
    "decide": _on(make.new_decision, "decide", actor=ANN, **make.decide()),
    "review_decision": _on(
        make.new_decided_decision, "review_decision", actor=ANN, **make.review()
    ),
    "reverse_decision": _on(make.new_decided_decision, "reverse_decision", actor=ANN, reason="x"),
    "supersede_decision": (
        lambda app: {"d": make.new_decided_decision(app), "by": make.new_decision(app)},
        lambda app, i, k: app.supersede_decision(
            i["d"], actor=ANN, by_decision_id=i["by"], reason="x", key=k
        ),
    ),
    "score_decision": _on(
        make.new_decision, "score_decision", actor=BOB, option="build", criterion="cost", score=4
    ),
    "take_position": _on(make.new_decision, "take_position", actor=BOB, position="agree"),
    "name_decision_roles": _on(make.new_decision, "name_decision_roles", actor=ANN, approver=CEM),
    "approve_decision": (
        lambda app: {"d": make.new_decision(app, approver=CEM)},
        lambda app, i, k: app.approve_decision(i["d"], actor=CEM, key=k),
    ),
    "link_decision": (
        lambda app: {"d": make.new_decision(app), "o": make.new_objective(app)},
        lambda app, i, k: app.link_decision(
            i["d"], actor=ANN, kind="objective", target_id=i["o"], key=k
        ),
    ),
    "delegate": _new("delegate", actor=ANN, **make.delegation()),
    "delegation_check_in": _on(
        make.new_delegation, "delegation_check_in", actor=BOB, status="on_track", progress="x"
    ),
    "acknowledge_check_in": (
        _delegation_with_check_in,
        lambda app, i, k: app.acknowledge_check_in(i["d"], actor=ANN, check_in_id=i["ci"], key=k),
    ),
    "renegotiate": _on(make.new_delegation, "renegotiate", actor=ANN, reason="x", level="agree"),
    "complete_delegation": _on(
        make.new_delegation, "complete_delegation", actor=ANN, feedback="x", feedforward="y"
    ),
    "revoke_delegation": _on(make.new_delegation, "revoke_delegation", actor=ANN, reason="x"),
    "hold_retro": _new("hold_retro", actor=CEM, **make.retro()),
    "add_retro_item": _on(make.new_retro, "add_retro_item", actor=CEM, kind="idea", text="x"),
    "record_pulse": _on(
        make.new_retro, "record_pulse", actor=CEM, dimension="workload", score="3.5", responses=6
    ),
    "give_pulse_score": _on(
        make.new_retro, "give_pulse_score", actor=CEM, dimension="workload", score=4
    ),
    "add_action_item": _on(make.new_retro, "add_action_item", actor=CEM, **make.action_item()),
    "complete_action_item": (
        _retro_with_item,
        lambda app, i, k: app.complete_action_item(i["r"], actor=BOB, item_id=i["item"], key=k),
    ),
    "drop_action_item": (
        _retro_with_item,
        lambda app, i, k: app.drop_action_item(
            i["r"], actor=CEM, item_id=i["item"], reason="x", key=k
        ),
    ),
    "carry_over": (
        _two_retros_with_item,
        lambda app, i, k: app.carry_over(
            i["r"], actor=CEM, item_id=i["item"], to_retro_id=i["later"], key=k
        ),
    ),
    "issue_prompt": _new("issue_prompt", actor="koers", **make.prompt()),
    "answer_prompt": _on(make.new_prompt, "answer_prompt", actor=ANN, answer="x"),
    "snooze_prompt": _on(make.new_prompt, "snooze_prompt", actor=ANN, until=T0 + timedelta(days=1)),
    "dismiss_prompt": _on(make.new_prompt, "dismiss_prompt", actor=ANN),
}


def test_the_scenarios_cover_every_command_of_koers() -> None:
    commands = {c.handler for c in DOMAIN_COMMANDS.values()} | {
        name
        for klass in Koers.__mro__
        if klass.__module__.startswith("ledger.application.")
        and klass.__name__.endswith("Commands")
        for name, value in vars(klass).items()
        if callable(value) and not name.startswith("_") and name not in LOOK_UPS
    }
    assert commands == set(SCENARIOS)


#: The application's methods that are not commands of the table: look-ups, the import, and
#: the credentials outside the table (login and calendar links, webhook secrets).
LOOK_UPS = {"person", "team", "import_directory", "directory", "forget_access", "facts",
            "fits", "may_see", "may_see_team", "may_see_party", "may_read", "authorize", "tokens",
            "token_principal", "issue_login_link", "use_login_link", "signed_on",
            "secret_box", "webhooks", "webhook_secret", "webhooks_since",
            "issue_calendar_link", "revoke_calendar_link", "calendar_link_for", "calendar_holder",
            "calendar_of", "notifications", "quality_scope", "read_scope"}  # fmt: skip


@pytest.mark.parametrize("command", list(SCENARIOS))
def test_a_retried_command_takes_effect_once_and_answers_its_first_result(
    koers_app: Koers, command: str
) -> None:
    setup, run = SCENARIOS[command]
    ids = setup(koers_app)
    key = f"req-{command}-7f3a"

    first: Receipt = run(koers_app, ids, key)
    position = koers_app.recorder.max_notification_id()
    history = koers_app.event_history(first.id)
    again: Receipt = run(koers_app, ids, key)  # the reply was lost: the client sends it again
    and_again: Receipt = run(koers_app, ids, key)

    same_result(first, again)
    same_result(first, and_again)
    assert first.position == position
    assert koers_app.recorder.max_notification_id() == position  # nothing more stored
    assert koers_app.event_history(first.id) == history
    assert history[-1].command_id == key  # the event carries its command's key
    assert again.item_id == and_again.item_id == first.item_id  # an action item: the same one
    if command == "add_action_item":
        assert first.item_id is not None


# -- creating and changing, in detail --------------------------------------------------------


def test_a_retried_create_finds_what_the_first_attempt_made(koers_app: Koers) -> None:
    first = koers_app.set_objective(actor=ANN, key="import/row-7", **make.objective())
    assert first.id == command_key_id("Objective", "import/row-7")
    koers_app.drop_objective(first.id, actor=BOB, reason="merged")  # it moves on meanwhile

    again = koers_app.set_objective(actor=ANN, key="import/row-7", **make.objective())

    same_result(first, again)  # version 1: the first result, not the current version 2
    assert list(koers_app.ids_of(Objective)) == [first.id]
    assert len(koers_app.event_history(first.id)) == 2


def test_creates_without_a_key_are_separate_commands(koers_app: Koers) -> None:
    first = koers_app.set_objective(actor=ANN, **make.objective())
    second = koers_app.set_objective(actor=ANN, **make.objective())
    assert first.id != second.id
    assert not second.replayed
    assert list(koers_app.ids_of(Objective)) == [first.id, second.id]


def test_a_retried_change_answers_its_first_result_even_after_the_state_moved_on(
    koers_app: Koers,
) -> None:
    kr = make.new_key_result(koers_app)
    first = koers_app.check_in(kr, actor=BOB, key="ci-week-10", **make.check_in(value="12"))
    koers_app.check_in(kr, actor=CEM, **make.check_in(value="14"))
    koers_app.drop_key_result(kr, actor=ANN, reason="cancelled")

    # the retry is not refused for the dropped key result: it had taken effect already
    again = koers_app.check_in(kr, actor=BOB, key="ci-week-10", **make.check_in(value="12"))

    same_result(first, again)
    assert again.version == 2
    state = koers_app.load(KeyResult, kr)
    assert sorted(c["value"] for c in state.check_ins.values()) == [12, 14]
    assert state.version == 4


def test_a_retry_based_on_the_version_it_first_saw_is_no_conflict(koers_app: Koers) -> None:
    kr = make.new_key_result(koers_app)
    first = koers_app.retarget(
        kr, actor=ANN, target="30", reason="scope cut", key="rt-1", expected_version=1
    )
    again = koers_app.retarget(
        kr, actor=ANN, target="30", reason="scope cut", key="rt-1", expected_version=1
    )
    same_result(first, again)


def test_a_retried_check_in_does_not_add_a_second_check_in(koers_app: Koers) -> None:
    kr = make.new_key_result(koers_app)
    for _ in range(3):
        koers_app.check_in(kr, actor=BOB, key="ci-1", **make.check_in())
    assert len(koers_app.load(KeyResult, kr).check_ins) == 1


def test_the_same_key_on_another_aggregate_is_another_command(koers_app: Koers) -> None:
    """Keys are remembered per aggregate: a client's "ci-week-10" for two key results."""
    one, two = make.new_key_result(koers_app), make.new_key_result(koers_app)
    first = koers_app.check_in(one, actor=BOB, key="ci-week-10", **make.check_in())
    second = koers_app.check_in(two, actor=BOB, key="ci-week-10", **make.check_in())
    assert not first.replayed
    assert not second.replayed
    assert len(koers_app.event_history(two)) == 2


# -- a key reused for a different command ----------------------------------------------------


def test_a_key_reused_for_a_different_change_is_refused(koers_app: Koers) -> None:
    kr = make.new_key_result(koers_app)
    koers_app.check_in(kr, actor=BOB, key="k-1", **make.check_in())
    position = koers_app.recorder.max_notification_id()

    with pytest.raises(CommandKeyReused) as info:
        koers_app.retarget(kr, actor=ANN, target="30", reason="scope cut", key="k-1")

    assert info.value.key == "k-1"
    assert "'k-1'" in str(info.value)
    assert "already used for a different command" in str(info.value)
    assert "new key" in str(info.value)
    assert koers_app.recorder.max_notification_id() == position
    assert koers_app.load(KeyResult, kr).target == 40


def test_a_creating_commands_key_reused_for_a_change_is_refused(koers_app: Koers) -> None:
    o = koers_app.set_objective(actor=ANN, key="obj-1", **make.objective()).id
    position = koers_app.recorder.max_notification_id()
    with pytest.raises(CommandKeyReused, match="obj-1"):
        koers_app.score_objective(o, actor=ANN, score="0.5", learnings="x", key="obj-1")
    assert koers_app.recorder.max_notification_id() == position


def test_a_key_reused_for_a_correction_of_the_check_in_it_made_is_refused(
    koers_app: Koers,
) -> None:
    kr = make.new_key_result(koers_app)
    koers_app.check_in(kr, actor=BOB, key="k-1", **make.check_in())
    (ci,) = koers_app.load(KeyResult, kr).check_ins
    with pytest.raises(CommandKeyReused):
        koers_app.correct_check_in(
            kr, actor=BOB, check_in_id=ci, value="1", confidence=1, reason="x", key="k-1"
        )
    assert len(koers_app.event_history(kr)) == 2


# -- a retry after a timeout or a crash ------------------------------------------------------


def test_a_retry_after_the_reply_was_lost_takes_effect_once(
    koers_app: Koers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write lands, but the answer never reaches the caller (a timeout): the caller sees
    an error, retries with the same key, and gets the first result."""
    kr = make.new_key_result(koers_app)
    original_save = koers_app.save

    def save_then_lose_the_reply(*aggregates: Any, **kwargs: Any) -> Any:
        original_save(*aggregates, **kwargs)
        raise StoreUnavailable("nats://127.0.0.1:4222", "no reply within 5 s")

    monkeypatch.setattr(koers_app, "save", save_then_lose_the_reply)
    with pytest.raises(StoreUnavailable):
        koers_app.check_in(kr, actor=BOB, key="ci-1", **make.check_in())
    monkeypatch.undo()

    again = koers_app.check_in(kr, actor=BOB, key="ci-1", **make.check_in())

    assert again.replayed is True
    assert again.version == 2
    assert [type(e) for e in koers_app.event_history(kr)] == [
        KeyResult.Added,
        KeyResult.CheckedIn,
    ]


@pytest.mark.nats  # two instances on one shared stream
def test_a_retry_after_a_crash_in_a_new_process_takes_effect_once() -> None:
    """The command ran in one application instance that then went away; the client retries
    against a new instance on the same stream (a restart, or another replica)."""
    env = fresh_env()
    with make.koers(env) as before_the_crash:
        kr = make.new_key_result(before_the_crash)
        created = before_the_crash.set_objective(actor=ANN, key="obj-1", **make.objective())
        first = before_the_crash.check_in(kr, actor=BOB, key="ci-1", **make.check_in())
        item_first = before_the_crash.add_action_item(
            make.new_retro(before_the_crash), actor=CEM, key="ai-1", **make.action_item()
        )
        position = before_the_crash.recorder.max_notification_id()

    with make.koers(env) as after_the_restart:
        again = after_the_restart.check_in(kr, actor=BOB, key="ci-1", **make.check_in())
        created_again = after_the_restart.set_objective(actor=ANN, key="obj-1", **make.objective())
        item_again = after_the_restart.add_action_item(
            item_first.id, actor=CEM, key="ai-1", **make.action_item()
        )
        assert after_the_restart.recorder.max_notification_id() == position
        assert len(after_the_restart.event_history(kr)) == 2

    same_result(first, again)
    same_result(created, created_again)
    same_result(item_first, item_again)
    assert item_again.item_id == item_first.item_id is not None


# -- a double click: the same keyed command twice at the same moment -------------------------


def run_together(*calls: Callable[[], Any]) -> list[Any]:
    """Run each call in its own thread (with a copy of this context: the pinned clock), all
    released at once; each one's result, or the exception it raised."""
    results: list[Any] = [None] * len(calls)
    start = threading.Barrier(len(calls), timeout=30)

    def runner(index: int, call: Callable[[], Any]) -> None:
        try:
            start.wait()
            results[index] = call()
        except BaseException as e:  # reported through results
            results[index] = e

    threads = [
        threading.Thread(target=contextvars.copy_context().run, args=(runner, i, call))
        for i, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not any(thread.is_alive() for thread in threads)
    return results


def saves_meet(monkeypatch: pytest.MonkeyPatch, *apps: Koers, parties: int = 2) -> None:
    """Make the first save of each of ``parties`` threads wait for the others: every attempt
    has loaded (and applied its command) before any of them writes, so they truly race."""
    meet = threading.Barrier(parties, timeout=30)
    seen = threading.local()
    for app in apps:
        original_save = app.save

        def save(*aggregates: Any, _original: Any = original_save, **kwargs: Any) -> Any:
            if not getattr(seen, "met", False):
                seen.met = True
                meet.wait()
            return _original(*aggregates, **kwargs)

        monkeypatch.setattr(app, "save", save)


def one_took_effect(results: list[Any]) -> Receipt:
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    receipts: list[Receipt] = results
    assert len({(r.id, r.version) for r in receipts}) == 1, receipts
    assert sorted(r.replayed for r in receipts) == [False] + [True] * (len(receipts) - 1)
    return next(r for r in receipts if not r.replayed)


def test_a_double_click_on_a_change_takes_effect_once(
    koers_app: Koers, monkeypatch: pytest.MonkeyPatch
) -> None:
    kr = make.new_key_result(koers_app)
    saves_meet(monkeypatch, koers_app)

    click = lambda: koers_app.check_in(kr, actor=BOB, key="ci-dbl", **make.check_in())  # noqa: E731
    winner = one_took_effect(run_together(click, click))

    assert winner.version == 2
    assert [type(e) for e in koers_app.event_history(kr)] == [
        KeyResult.Added,
        KeyResult.CheckedIn,
    ]


def test_a_double_click_on_a_create_takes_effect_once(
    koers_app: Koers, monkeypatch: pytest.MonkeyPatch
) -> None:
    saves_meet(monkeypatch, koers_app)

    click = lambda: koers_app.set_objective(actor=ANN, key="obj-dbl", **make.objective())  # noqa: E731
    winner = one_took_effect(run_together(click, click))

    assert winner.id == command_key_id("Objective", "obj-dbl")
    assert list(koers_app.ids_of(Objective)) == [winner.id]
    assert len(koers_app.event_history(winner.id)) == 1


def test_a_double_click_on_a_carry_over_takes_effect_once(
    koers_app: Koers, monkeypatch: pytest.MonkeyPatch
) -> None:
    earlier = make.new_retro(koers_app)
    item = make.new_action_item(koers_app, earlier)
    later = make.new_retro(koers_app, held_on=T0.date() + timedelta(days=7))
    saves_meet(monkeypatch, koers_app)

    click = lambda: koers_app.carry_over(  # noqa: E731
        earlier, actor=CEM, item_id=item, to_retro_id=later, key="co-dbl"
    )
    one_took_effect(run_together(click, click))

    assert [type(e) for e in koers_app.event_history(later)] == [Retro.Held, Retro.ActionItemAdded]
    assert len(koers_app.event_history(earlier)) == 3


@pytest.mark.nats  # two instances on one shared stream
def test_a_double_click_on_two_replicas_takes_effect_once(monkeypatch: pytest.MonkeyPatch) -> None:
    env = fresh_env()
    with make.koers(env) as one, make.koers(env) as two:
        kr = make.new_key_result(one)
        saves_meet(monkeypatch, one, two)
        winner = one_took_effect(
            run_together(
                lambda: one.check_in(kr, actor=BOB, key="ci-dbl", **make.check_in()),
                lambda: two.check_in(kr, actor=BOB, key="ci-dbl", **make.check_in()),
            )
        )
        assert winner.version == 2
        assert len(one.event_history(kr)) == 2
        assert len(two.load(KeyResult, kr).check_ins) == 1


def test_many_clicks_at_once_take_effect_once(koers_app: Koers) -> None:
    kr = make.new_key_result(koers_app)
    clicks = [
        lambda: koers_app.check_in(kr, actor=BOB, key="ci-many", **make.check_in())
        for _ in range(8)
    ]
    one_took_effect(run_together(*clicks))
    assert len(koers_app.event_history(kr)) == 2


def test_a_double_click_with_an_expected_version_takes_effect_once(
    koers_app: Koers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both clicks carry the version the user saw. The second finds the aggregate moved on,
    but by its own first click: it answers with that result, as a later retry does (see
    test_a_retry_based_on_the_version_it_first_saw_is_no_conflict), not with a conflict."""
    kr = make.new_key_result(koers_app)
    saves_meet(monkeypatch, koers_app)

    click = lambda: koers_app.check_in(  # noqa: E731
        kr, actor=BOB, key="ci-dbl", expected_version=1, **make.check_in()
    )
    winner = one_took_effect(run_together(click, click))

    assert winner.version == 2
    assert len(koers_app.event_history(kr)) == 2

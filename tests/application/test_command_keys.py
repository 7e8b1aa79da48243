"""Idempotency keys bound to their command (``KoersBase.execute``): the same key with the same
command and arguments answers the first result; with anything else it is refused, on any
aggregate and kind, after a restart too, and under concurrent retries."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest

from ledger.application import Koers, Receipt
from ledger.domain import COMMANDS, CommandKey, KeyResult, key_record_id
from ledger.errors import CommandKeyReused
from tests.conftest import fresh_env
from tests.factories import ANN, BOB, koers, new_key_result, objective, pinned_clock

SET, CHECK_IN = COMMANDS["objective.set"], COMMANDS["key_result.check_in"]


@pytest.fixture
def env() -> dict[str, str]:
    return fresh_env()


@pytest.fixture
def app(env: dict[str, str]) -> Iterator[Koers]:
    with pinned_clock(), koers(env) as app:
        yield app


def check_in(app: Koers, kr: UUID, key: str, **values: Any) -> Receipt:
    given = {"value": "7", "confidence": "6", **values}
    return app.execute(CHECK_IN, kr, given, actor=BOB, key=key)


def test_the_same_key_command_and_arguments_answer_the_first_result(app: Koers) -> None:
    kr = new_key_result(app)
    first = check_in(app, kr, "ci-1", note="on track")
    again = check_in(app, kr, "ci-1", note="on track")
    assert (again.id, again.version, again.replayed) == (first.id, first.version, True)
    assert len(app.load(KeyResult, kr).check_ins) == 1
    record = app.load(CommandKey, key_record_id("ci-1"))
    assert (record.command, record.target_id, record.version) == (CHECK_IN.name, kr, 2)


def test_the_same_key_with_other_arguments_is_refused_and_nothing_is_stored(app: Koers) -> None:
    kr = new_key_result(app)
    check_in(app, kr, "ci-1", value="7")
    position = app.recorder.max_notification_id()
    with pytest.raises(CommandKeyReused) as refused:
        check_in(app, kr, "ci-1", value="8")
    assert refused.value.key == "ci-1"
    assert app.recorder.max_notification_id() == position
    assert [c["value"] for c in app.load(KeyResult, kr).check_ins.values()] == [7]


def test_the_same_key_by_another_person_is_refused(app: Koers) -> None:
    kr = new_key_result(app)
    check_in(app, kr, "ci-1")
    with pytest.raises(CommandKeyReused):
        app.execute(CHECK_IN, kr, {"value": "7", "confidence": "6"}, actor=ANN, key="ci-1")


def test_the_same_key_on_another_command_kind_or_thing_is_refused(app: Koers) -> None:
    kr = new_key_result(app)
    check_in(app, kr, "shared")
    with pytest.raises(CommandKeyReused):  # another kind of command (a create)
        app.execute(SET, None, objective(), actor=ANN, key="shared")
    other = new_key_result(app)
    with pytest.raises(CommandKeyReused):  # the same command on another key result
        check_in(app, other, "shared")
    assert app.load(KeyResult, other).check_ins == {}


def test_equal_values_written_differently_are_the_same_arguments(app: Koers) -> None:
    kr = new_key_result(app)
    first = check_in(app, kr, "ci-1", value="7", confidence="6")
    again = app.execute(CHECK_IN, kr, {"value": 7, "confidence": 6}, actor=BOB, key="ci-1")
    assert again.replayed
    assert again.version == first.version


def test_a_key_is_still_bound_after_a_restart(env: dict[str, str]) -> None:
    with pinned_clock():
        with koers(env) as app:
            created = app.execute(SET, None, objective(title="Ship"), actor=ANN, key="o-1")
        with koers(env) as restarted:
            again = restarted.execute(SET, None, objective(title="Ship"), actor=ANN, key="o-1")
            assert (again.id, again.replayed) == (created.id, True)
            with pytest.raises(CommandKeyReused):
                restarted.execute(SET, None, objective(title="Other"), actor=ANN, key="o-1")


def test_a_moment_given_as_now_or_left_out_matches_its_retry(app: Koers) -> None:
    """``now`` is the default: a retry a minute later is the same command, not a new one."""
    kr = new_key_result(app)
    first = check_in(app, kr, "ci-now", as_of="now")
    assert check_in(app, kr, "ci-now", as_of="now").version == first.version
    assert check_in(app, kr, "ci-now").version == first.version
    with pytest.raises(CommandKeyReused):
        check_in(app, kr, "ci-now", as_of="2026-03-01T00:00:00+00:00")


def test_concurrent_retries_with_one_key_take_effect_once(env: dict[str, str]) -> None:
    with pinned_clock(), koers(env) as setup:
        kr = new_key_result(setup)
    results: list[Receipt] = []
    errors: list[BaseException] = []

    def retry() -> None:
        with pinned_clock(), koers(env) as app:
            try:
                results.append(check_in(app, kr, "race-1", note="same"))
            except BaseException as e:  # pragma: no cover - reported below
                errors.append(e)

    threads = [threading.Thread(target=retry) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len({(r.id, r.version) for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    with pinned_clock(), koers(env) as app:
        assert len(app.load(KeyResult, kr).check_ins) == 1


def test_without_a_key_nothing_is_bound(app: Koers) -> None:
    kr = new_key_result(app)
    check_in(app, kr, "")
    check_in(app, kr, "")
    assert len(app.load(KeyResult, kr).check_ins) == 2
    assert app._find(CommandKey, key_record_id("")) is None  # no record for an empty key

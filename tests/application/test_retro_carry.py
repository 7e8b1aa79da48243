"""Carrying an action item over keeps its due date unless a new one, not in the past, is given
(issue #14, retros): it never moves quietly to the later retro's date. In memory."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ledger.application import Koers
from ledger.domain import Retro
from ledger.errors import InvalidValue
from tests.application.conftest import Step
from tests.factories import CEM, TODAY, new_action_item, new_retro


def two_retros(app: Koers, clock: Step) -> tuple[object, object, object]:
    """An item due 3 days after the first retro; the second retro 14 days later, where the
    clock now stands."""
    earlier = new_retro(app)
    item = new_action_item(app, earlier, due=TODAY + timedelta(days=3))
    clock(timedelta(days=14))
    later = new_retro(app, held_on=TODAY + timedelta(days=14), period="2026-Q1b")
    return earlier, item, later


def test_a_carried_item_keeps_its_due_date(koers_app: Koers, clock: Step) -> None:
    earlier, item, later = two_retros(koers_app, clock)
    koers_app.carry_over(earlier, actor=CEM, item_id=item, to_retro_id=later)
    assert koers_app.load(Retro, later).actions[item]["due"] == TODAY + timedelta(days=3)


def test_a_carried_item_takes_a_new_due_date_today_or_later(koers_app: Koers, clock: Step) -> None:
    earlier, item, later = two_retros(koers_app, clock)
    new_due = TODAY + timedelta(days=21)
    koers_app.carry_over(earlier, actor=CEM, item_id=item, to_retro_id=later, due=new_due)
    assert koers_app.load(Retro, later).actions[item]["due"] == new_due


def test_a_new_due_date_in_the_past_is_refused_and_nothing_is_stored(
    koers_app: Koers, clock: Step
) -> None:
    earlier, item, later = two_retros(koers_app, clock)
    before = koers_app.recorder.max_notification_id()
    past = TODAY + timedelta(days=13)  # the day before today
    with pytest.raises(InvalidValue) as refused:
        koers_app.carry_over(earlier, actor=CEM, item_id=item, to_retro_id=later, due=past)
    assert refused.value.field == "due"
    assert f"{past} is in the past" in str(refused.value)
    assert "leave it out to keep the item's due date" in str(refused.value)
    assert koers_app.recorder.max_notification_id() == before

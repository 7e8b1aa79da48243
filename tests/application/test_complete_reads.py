"""One thing's read is complete (issue #14, "complete reads"): ``complete_state``, which
``koers … show`` and ``GET /{kind}/{id}`` answer, holds every field the events recorded,
also as of a past moment. On the in-memory store."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from ledger.application import Koers
from ledger.application._reads import complete_state
from ledger.domain import Decision, Delegation
from tests.application.conftest import Step
from tests.factories import (
    ANN,
    BOB,
    T0,
    TODAY,
    decide,
    new_decided_decision,
    new_delegation,
    new_delegation_check_in,
    review,
)

pytestmark = pytest.mark.usefixtures("clock")


def shown(app: Koers, cls: type[Decision | Delegation], ident: UUID) -> dict[str, Any]:
    thing = app.load(cls, ident)
    return complete_state(thing, app.event_history)


def test_a_decision_shows_its_reasons_and_its_whole_review(koers_app: Koers, clock: Step) -> None:
    decision = new_decided_decision(koers_app)
    decided = shown(koers_app, Decision, decision)
    made = decide()
    assert (decided["rationale"], decided["expected_outcome"], decided["confidence"]) == (
        made["rationale"], made["expected_outcome"], made["confidence"])  # fmt: skip
    assert decided["review"] is None
    clock(timedelta(days=90))
    koers_app.review_decision(decision, actor=ANN, **review())
    reviewed = shown(koers_app, Decision, decision)["review"]
    assert isinstance(reviewed, dict)
    assert {k: reviewed[k] for k in review()} == review()
    assert (reviewed["by"], reviewed["at"]) == (ANN, (T0 + timedelta(days=90)).isoformat())


def test_an_as_of_read_leaves_out_what_came_later(koers_app: Koers, clock: Step) -> None:
    decision = new_decided_decision(koers_app)
    clock(timedelta(days=90))
    koers_app.review_decision(decision, actor=ANN, **review())
    then = koers_app.load_as_of(Decision, decision, T0 + timedelta(days=1))
    assert complete_state(then, koers_app.event_history)["review"] is None


def test_a_delegation_shows_each_check_ins_progress_and_acknowledgement(
    koers_app: Koers,
) -> None:
    delegation = new_delegation(koers_app)
    acknowledged = new_delegation_check_in(koers_app, delegation)
    waiting = new_delegation_check_in(koers_app, delegation)
    koers_app.acknowledge_check_in(delegation, actor=ANN, check_in_id=acknowledged,
                                   note="ask finance first")  # fmt: skip
    koers_app.renegotiate(delegation, actor=BOB, due=TODAY + timedelta(days=60),
                          boundaries="no new hires", level="consult",
                          reason="the budget moved")  # fmt: skip
    state = shown(koers_app, Delegation, delegation)
    check_ins = state["check_ins"]
    assert isinstance(check_ins, dict)
    first, second = check_ins[str(acknowledged)], check_ins[str(waiting)]
    assert first["progress"] == second["progress"] == "half done"
    assert first["acknowledgement"]["note"] == "ask finance first"
    assert first["acknowledgement"]["by"] == ANN
    assert second["acknowledgement"] is None
    [renegotiated] = state["renegotiations"]
    assert renegotiated["reason"] == "the budget moved"
    assert state["completion"] is None

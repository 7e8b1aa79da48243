"""The decision matrix through the application (issue #14 item 3): scores, positions, the
recommender and approver, and what the complete read (``koers decision show``, ``GET
/decisions/{id}``) holds of them; refusals store nothing. On the in-memory store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from ledger.application import Koers
from ledger.application._reads import complete_state
from ledger.domain import Decision
from ledger.errors import InvalidValue, NotAllowed
from tests.application.conftest import Step
from tests.application.test_application import refused
from tests.factories import ANN, BOB, CEM, T0, decide, new_decision

pytestmark = pytest.mark.usefixtures("clock")
DAN = "dan"


def shown(app: Koers, ident: UUID) -> dict[str, Any]:
    return complete_state(app.load(Decision, ident), app.event_history)


def score(app: Koers, d: UUID, who: str, option: str, **criteria: int) -> None:
    for criterion, value in criteria.items():
        app.score_decision(d, actor=who, option=option, criterion=criterion, score=value)


def test_scores_give_weighted_totals_per_option_and_per_person(koers_app: Koers) -> None:
    """The worked example of docs/metrics.md: build 3.70, buy 3.30 (weights 0.6 and 0.4)."""
    d = new_decision(koers_app)
    score(koers_app, d, ANN, "build", cost=1)  # re-scored below: the latest counts
    score(koers_app, d, ANN, "build", cost=4, speed=2)
    score(koers_app, d, ANN, "buy", cost=2, speed=5)
    score(koers_app, d, BOB, "build", cost=5, speed=3)
    score(koers_app, d, BOB, "buy", cost=3, speed=4)
    koers_app.decide(d, actor=ANN, **decide(chosen="buy"))
    matrix = shown(koers_app, d)["matrix"]
    assert matrix["totals"] == {"build": "3.70", "buy": "3.30"}
    assert matrix["per_person"] == {
        ANN: {"build": "3.20", "buy": "3.20"},
        BOB: {"build": "4.20", "buy": "3.40"},
    }
    assert (matrix["highest"], matrix["tie"], matrix["chosen_was_highest"]) == (
        ["build"], False, False,
    )  # fmt: skip
    scored = [e for e in koers_app.event_history(d) if isinstance(e, Decision.Scored)]
    assert len(scored) == 9  # the first score of build's cost stays in the history
    assert shown(koers_app, d)["scores"][ANN]["build"]["cost"] == {"score": 4, "note": ""}


def test_a_position_and_the_roles_are_in_the_complete_read(koers_app: Koers, clock: Step) -> None:
    d = new_decision(koers_app, recommender=CEM)
    koers_app.name_decision_roles(d, actor=ANN, approver=DAN)
    at = clock(timedelta(hours=1))
    koers_app.take_position(d, actor=BOB, position="disagree_and_commit", note="I'd wait")
    koers_app.approve_decision(d, actor=DAN, note="Go")
    state = shown(koers_app, d)
    assert (state["recommender"], state["approver"], state["approved_by"]) == (CEM, DAN, DAN)
    assert state["positions"] == {
        BOB: {"position": "disagree_and_commit", "note": "I'd wait", "by": BOB,
              "at": at.isoformat()},
    }  # fmt: skip
    assert state["approval"] == {"note": "Go", "by": DAN, "at": at.isoformat()}


def test_decide_is_refused_until_the_approver_approves(koers_app: Koers) -> None:
    d = new_decision(koers_app, approver=DAN)
    refused(
        koers_app,
        NotAllowed,
        ("dan", "approver", "approve"),
        lambda: koers_app.decide(d, actor=ANN, **decide()),
        of=(Decision, d),
    )
    refused(
        koers_app,
        NotAllowed,
        ("only dan",),
        lambda: koers_app.approve_decision(d, actor=ANN, note=""),
        of=(Decision, d),
    )
    assert shown(koers_app, d)["approval"] is None
    koers_app.approve_decision(d, actor=DAN, note="")
    koers_app.decide(d, actor=ANN, **decide())
    assert shown(koers_app, d)["status"] == "decided"


def test_a_new_approver_must_approve_again(koers_app: Koers) -> None:
    d = new_decision(koers_app, approver=DAN)
    koers_app.approve_decision(d, actor=DAN, note="")
    koers_app.name_decision_roles(d, actor=ANN, approver=CEM)
    assert shown(koers_app, d)["approval"] is None
    refused(
        koers_app,
        NotAllowed,
        ("cem",),
        lambda: koers_app.decide(d, actor=ANN, **decide()),
        of=(Decision, d),
    )


@pytest.mark.parametrize(
    ("error", "words", "command"),
    [
        (NotAllowed, ("cem", "not among those who score"),
         lambda app, d: score(app, d, CEM, "build", cost=3)),
        (InvalidValue, ("score", "outside 1–5"),
         lambda app, d: score(app, d, ANN, "build", cost=6)),
        (InvalidValue, ("'rent'", "build, buy"),
         lambda app, d: score(app, d, ANN, "rent", cost=3)),
        (NotAllowed, ("ann was not consulted",),
         lambda app, d: app.take_position(d, actor=ANN, position="agree")),
    ],
    ids=["not a scorer", "out of bounds", "not on the table", "not consulted"],
)  # fmt: skip
def test_refused_scores_and_positions_store_nothing(
    koers_app: Koers,
    error: type[Exception],
    words: tuple[str, ...],
    command: Callable[[Koers, UUID], object],
) -> None:
    d = new_decision(koers_app)
    refused(koers_app, error, words, lambda: command(koers_app, d), of=(Decision, d))


def test_an_as_of_read_shows_the_matrix_as_it_was(koers_app: Koers, clock: Step) -> None:
    d = new_decision(koers_app)
    score(koers_app, d, ANN, "build", cost=5, speed=5)
    clock(timedelta(days=1))
    score(koers_app, d, ANN, "build", cost=1, speed=1)
    then = koers_app.load_as_of(Decision, d, T0 + timedelta(hours=1))
    assert complete_state(then, koers_app.event_history)["matrix"]["totals"]["build"] == "5.00"
    assert shown(koers_app, d)["matrix"]["totals"]["build"] == "1.00"

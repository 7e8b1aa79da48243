"""The decision matrix's numbers, checked by hand against docs/metrics.md ("The decision
matrix"), and its rules on the aggregate: who may score, the bounds, re-scoring, positions
and the approver's gate. Pure: no store."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from uuid import uuid4

import orjson
import pytest
from eventsourcing.persistence import StoredEvent

from ledger.domain import Decision
from ledger.domain.matrix import Position, weigh
from ledger.errors import InvalidField, InvalidValue, NotAllowed
from tests.domain.test_domain import MAPPER
from tests.factories import ANN, BOB, CEM, decide, decision, pinned_clock

DAN = "dan"


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    with pinned_clock():  # the factories' dates count from its day
        yield


WEIGHTS = {"cost": Decimal("0.6"), "speed": Decimal("0.4")}


def cells(**scores: int) -> dict[str, dict[str, Any]]:
    return {name: {"score": score, "note": ""} for name, score in scores.items()}


def test_the_worked_example_of_docs_metrics_by_hand() -> None:
    """ann: build 0.6·4 + 0.4·2 = 3.2, buy 0.6·2 + 0.4·5 = 3.2; bob: build 0.6·5 + 0.4·3 =
    4.2, buy 0.6·3 + 0.4·4 = 3.4; dan scored build on cost only (incomplete: not counted).
    build (3.2 + 4.2) / 2 = 3.7, buy (3.2 + 3.4) / 2 = 3.3: build is the highest; the chosen
    buy was not."""
    scores = {
        ANN: {"build": cells(cost=4, speed=2), "buy": cells(cost=2, speed=5)},
        BOB: {"build": cells(cost=5, speed=3), "buy": cells(cost=3, speed=4)},
        DAN: {"build": cells(cost=1)},
    }
    matrix = weigh(scores, ["build", "buy"], WEIGHTS, "buy")
    assert matrix["per_person"] == {
        ANN: {"build": Decimal("3.20"), "buy": Decimal("3.20")},
        BOB: {"build": Decimal("4.20"), "buy": Decimal("3.40")},
        DAN: {"build": None, "buy": None},
    }
    assert matrix["totals"] == {"build": Decimal("3.70"), "buy": Decimal("3.30")}
    assert matrix["scorers"] == {"build": 2, "buy": 2}
    assert matrix["out_of"] == Decimal("5.0")
    assert (matrix["highest"], matrix["tie"], matrix["chosen_was_highest"]) == (
        ["build"], False, False,
    )  # fmt: skip


def test_a_tie_is_said_and_the_chosen_option_among_the_tied_was_highest() -> None:
    # build 0.6·4 + 0.4·1 = 2.8; buy 0.6·2 + 0.4·4 = 2.8
    scores = {ANN: {"build": cells(cost=4, speed=1), "buy": cells(cost=2, speed=4)}}
    matrix = weigh(scores, ["build", "buy"], WEIGHTS, "buy")
    assert matrix["totals"] == {"build": Decimal("2.80"), "buy": Decimal("2.80")}
    assert (matrix["highest"], matrix["tie"], matrix["chosen_was_highest"]) == (
        ["build", "buy"], True, True,
    )  # fmt: skip


def test_nothing_scored_has_no_totals_and_no_verdict() -> None:
    matrix = weigh({}, ["build", "buy"], WEIGHTS, None)
    assert matrix["totals"] == {"build": None, "buy": None}
    assert (matrix["highest"], matrix["tie"], matrix["chosen_was_highest"]) == ([], False, None)


# -- the rules on the aggregate --------------------------------------------------------------


def opened(**overrides: Any) -> Decision:
    return Decision.open(id=uuid4(), actor=ANN, **decision(**overrides))


def test_the_latest_score_of_a_cell_counts_and_every_one_is_an_event() -> None:
    d = opened()
    d.score(actor=BOB, option="build", criterion="cost", score=1, note="first look")
    d.score(actor=BOB, option="build", criterion="cost", score=5, note="after the spike")
    assert d.scores == {BOB: {"build": {"cost": {"score": 5, "note": "after the spike"}}}}
    assert [type(e).__name__ for e in d.collect_events()].count("Scored") == 2


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"option": "rent", "criterion": "cost", "score": 3}, "option"),
        ({"option": "build", "criterion": "joy", "score": 3}, "criterion"),
        ({"option": "build", "criterion": "cost", "score": 0}, "score"),
        ({"option": "build", "criterion": "cost", "score": 6}, "score"),
    ],
)
def test_a_score_off_the_table_or_out_of_bounds_is_refused_naming_the_field(
    values: dict[str, Any], field: str
) -> None:
    d = opened()
    with pytest.raises(InvalidValue) as refused:
        d.score(actor=ANN, **values)
    assert refused.value.errors[0][0] == field
    assert isinstance(refused.value, InvalidField) == (field == "score")
    assert d.scores == {}


def test_only_the_decider_consulted_recommender_and_approver_score() -> None:
    d = opened(recommender=CEM, approver=DAN)
    for who in (ANN, BOB, CEM, DAN):
        d.score(actor=who, option="buy", criterion="speed", score=4)
    with pytest.raises(NotAllowed, match="not among those who score"):
        d.score(actor="eve", option="buy", criterion="speed", score=4)
    assert sorted(d.scores) == [ANN, BOB, CEM, DAN]


def test_no_scores_after_the_call() -> None:
    d = opened()
    d.decide(actor=ANN, **decide())
    with pytest.raises(NotAllowed, match="decided"):
        d.score(actor=ANN, option="buy", criterion="speed", score=4)


def test_a_decision_without_criteria_says_there_is_nothing_to_score() -> None:
    d = opened(criteria=())
    with pytest.raises(InvalidValue, match="no criteria"):
        d.score(actor=ANN, option="buy", criterion="speed", score=4)


def test_only_those_consulted_take_a_position_and_the_latest_counts() -> None:
    d = opened()
    d.take_position(actor=BOB, position="object", note="too early")
    d.decide(actor=ANN, **decide())
    d.take_position(actor=BOB, position="disagree_and_commit", note="I commit")
    assert d.positions == {BOB: {"position": Position.DISAGREE_AND_COMMIT, "note": "I commit"}}
    with pytest.raises(NotAllowed, match="not consulted"):
        d.take_position(actor=CEM, position="agree")
    with pytest.raises(InvalidField):
        d.take_position(actor=BOB, position="maybe")


def test_the_approver_gates_the_call_until_they_approve() -> None:
    d = opened(approver=DAN)
    with pytest.raises(NotAllowed, match="dan is this decision's approver"):
        d.decide(actor=ANN, **decide())
    with pytest.raises(NotAllowed, match="only dan"):
        d.approve(actor=ANN, note="")
    d.approve(actor=DAN, note="go")
    with pytest.raises(NotAllowed, match="approved this decision already"):
        d.approve(actor=DAN, note="again")
    d.decide(actor=ANN, **decide())
    assert d.approved_by == DAN


def test_a_new_approver_is_asked_afresh_and_a_role_left_out_stays() -> None:
    d = opened(recommender=CEM)
    d.name_roles(actor=ANN, approver=DAN)
    d.approve(actor=DAN, note="")
    d.name_roles(actor=ANN, approver=BOB)
    assert (d.recommender, d.approver, d.approved_by) == (CEM, BOB, None)
    with pytest.raises(NotAllowed, match="bob is this decision's approver"):
        d.decide(actor=ANN, **decide())
    with pytest.raises(InvalidValue, match="name a recommender, an approver or both"):
        d.name_roles(actor=ANN)
    with pytest.raises(InvalidValue, match="its roles already"):
        d.name_roles(actor=ANN, approver=BOB)


def test_approving_without_an_approver_says_how_to_name_one() -> None:
    with pytest.raises(NotAllowed, match="no approver to approve it: name one first"):
        opened().approve(actor=ANN, note="")


def test_roles_are_named_only_while_open() -> None:
    d = opened()
    d.decide(actor=ANN, **decide())
    with pytest.raises(NotAllowed, match="cannot name its roles"):
        d.name_roles(actor=ANN, approver=DAN)


def test_an_opened_event_of_version_2_reads_with_no_recommender_or_approver() -> None:
    """A decision opened before the roles existed, as stored then, reads with neither."""
    stored = MAPPER.to_stored_event(opened(recommender=CEM).collect_events()[0])
    state = orjson.loads(stored.state)
    assert (state["class_version"], state["recommender"]) == (3, CEM)
    del state["recommender"], state["approver"]
    state["class_version"] = 2
    v2 = StoredEvent(stored.originator_id, stored.originator_version, stored.topic,
                     orjson.dumps(state))  # fmt: skip
    event = MAPPER.to_domain_event(v2)
    assert (event.recommender, event.approver) == (None, None)
    assert Decision.Opened.class_version == 3


def test_a_total_is_rounded_half_up_from_the_unrounded_mean() -> None:
    """1.005 × 1 = 1.005 → 1.01 (half up; half even would give 1.00)."""
    matrix = weigh({ANN: {"a": cells(x=1)}}, ["a"], {"x": Decimal("1.005")}, None)
    assert matrix["totals"] == {"a": Decimal("1.01")}

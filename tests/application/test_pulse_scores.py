"""People give their own pulse scores (issue #14, retros): members of the retro's own team,
one score per person and dimension (a second replaces theirs), until 14 days after the
retro; reads and histories show only a dimension's mean and count, from 3 people. In memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from ledger.application import Koers
from ledger.application._reads import NOT_SHOWN, complete_state, event_fields
from ledger.domain import COMMANDS, Principal, Retro
from ledger.domain.retros import PULSE_SCORING_DAYS, TOO_FEW_RESPONSES
from ledger.errors import Forbidden, InvalidField, NotAllowed
from tests.application.conftest import Step
from tests.factories import TODAY, koers

SCORE = COMMANDS["retro.pulse_score"]


@pytest.fixture
def team_app(clock: Step) -> Iterator[Koers]:
    """platform (ann lead; bob, cem, dan members; vic a viewer) under company (zoe lead)."""
    with koers() as app:
        for handle in ("ann", "bob", "cem", "dan", "vic", "zoe"):
            app.add_person(actor="admin", handle=handle, name=handle.title())
        app.add_team(actor="admin", slug="company", name="Company")
        app.add_team(actor="admin", slug="platform", name="Platform", parent="company")
        app.set_member("company", actor="admin", handle="zoe", role="lead")
        for handle, role in (("ann", "lead"), ("bob", "member"), ("cem", "member"),
                             ("dan", "member"), ("vic", "viewer")):  # fmt: skip
            app.set_member("platform", actor="admin", handle=handle, role=role)
        yield app


def _retro(app: Koers) -> UUID:
    return app.hold_retro(actor="ann", team="platform", period="Sprint 1", held_on=TODAY).id


def _score(app: Koers, retro: UUID, who: str, dimension: str, score: int) -> None:
    app.execute(SCORE, retro, {"dimension": dimension, "score": score},
                principal=Principal(who, f"token:{who}"))  # fmt: skip


def _shown(app: Koers, retro: UUID) -> tuple[dict[str, str], dict[str, int]]:
    state = complete_state(app.load(Retro, retro), app.event_history)
    return state["pulse"], state["pulse_responses"]


def test_the_mean_is_shown_only_from_three_people(team_app: Koers) -> None:
    r = _retro(team_app)
    _score(team_app, r, "bob", "workload", 2)
    _score(team_app, r, "cem", "workload", 4)
    assert _shown(team_app, r) == ({"workload": TOO_FEW_RESPONSES}, {"workload": 2})
    _score(team_app, r, "ann", "workload", 5)
    # by hand: (2 + 4 + 5) / 3 = 3.666… → 3.67
    assert _shown(team_app, r) == ({"workload": "3.67"}, {"workload": 3})


def test_a_second_score_replaces_the_persons_own(team_app: Koers) -> None:
    r = _retro(team_app)
    for who, score in (("bob", 1), ("cem", 3), ("dan", 5), ("bob", 4)):
        _score(team_app, r, who, "safety", score)
    # bob's 1 is replaced by his 4: (4 + 3 + 5) / 3 = 4.00, still 3 people
    assert _shown(team_app, r) == ({"safety": "4.00"}, {"safety": 3})


def test_the_read_and_the_history_never_show_ones_own_score(team_app: Koers) -> None:
    r = _retro(team_app)
    for who, score in (("bob", 1), ("cem", 2), ("dan", 5)):
        _score(team_app, r, who, "energy", score)
    state = complete_state(team_app.load(Retro, r), team_app.event_history)
    assert not any(name.startswith("_") or "scores" in name for name in state)
    scored = [e for e in team_app.event_history(r) if isinstance(e, Retro.PulseScored)]
    assert [e.actor for e in scored] == ["bob", "cem", "dan"]  # the ledger has them
    for event in scored:
        fields = event_fields(event)
        assert (fields["score"], fields["mean"]) == (NOT_SHOWN, NOT_SHOWN)
        assert fields["dimension"] == "energy"


def test_only_the_retros_own_team_scores(team_app: Koers) -> None:
    r = _retro(team_app)
    before = team_app.recorder.max_notification_id()
    for who in ("vic", "zoe"):  # a viewer; the lead of the team above
        with pytest.raises(Forbidden) as refused:
            _score(team_app, r, who, "workload", 3)
        assert "its own team" in str(refused.value)
    assert team_app.recorder.max_notification_id() == before


@pytest.mark.parametrize("score", [0, 6, "3.5", "five"])
def test_a_score_is_a_whole_number_1_to_5(team_app: Koers, score: object) -> None:
    r = _retro(team_app)
    with pytest.raises(InvalidField) as refused:
        team_app.execute(SCORE, r, {"dimension": "workload", "score": score},
                         principal=Principal("bob", "token:bob"))  # fmt: skip
    assert refused.value.field == "score"


def test_scores_are_taken_until_14_days_after_the_retro(team_app: Koers, clock: Step) -> None:
    r = _retro(team_app)
    clock(timedelta(days=PULSE_SCORING_DAYS))
    _score(team_app, r, "bob", "workload", 3)  # the last day
    clock(timedelta(days=1))
    with pytest.raises(NotAllowed) as refused:
        _score(team_app, r, "cem", "workload", 3)
    assert "next retro" in str(refused.value)


def test_a_typed_in_pulse_and_own_scores_the_last_event_counts(team_app: Koers) -> None:
    r = _retro(team_app)
    team_app.record_pulse(r, actor="ann", dimension="workload", score="2.5", responses=6)
    assert _shown(team_app, r) == ({"workload": "2.5"}, {"workload": 6})
    _score(team_app, r, "bob", "workload", 4)
    assert _shown(team_app, r) == ({"workload": TOO_FEW_RESPONSES}, {"workload": 1})


def test_a_retro_from_a_snapshot_older_than_own_scores_takes_them(clock: Step) -> None:
    from uuid import uuid4

    retro = Retro.hold(id=uuid4(), actor="ann", team="platform", period="S1", held_on=TODAY)
    del vars(retro)["_pulse_scores"]  # as restored from a snapshot taken before this feature
    retro.give_pulse_score(actor="bob", dimension="workload", score=3)
    retro.give_pulse_score(actor="cem", dimension="workload", score=4)
    assert retro.own_scores("workload") == {"bob": 3, "cem": 4}
    assert retro.pulse["workload"] == Decimal("3.50")

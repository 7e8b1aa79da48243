"""Views "as of" a past stream position or time: computed from the log, equal to what the
live views showed at that moment ("what did we know when we decided")."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from ledger.application import Koers
from ledger.domain import Criterion, Option, Risk
from projections import ViewRunner, decision_quality, dump, okr_progress, views_as_of
from tests.conftest import fresh_env
from tests.views.conftest import Place
from tests.views.test_views_support import app, moment, on

__all__ = ["app"]


def _decision(app: Koers) -> UUID:
    return app.open_decision(
        actor="ann", team="alpha", question="Buy or build?", context="",
        options=(Option("buy", "Buy"), Option("build", "Build")),
        criteria=(Criterion("cost", Decimal(1)),), risk=Risk(3, 4), reversibility="one_way",
        information_level=60, decider="ann", decide_by=date(2026, 1, 20),
    ).id  # fmt: skip


def test_decision_quality_as_of_before_the_review_is_what_the_live_views_showed_then(
    views_place: Place,
) -> None:
    env = fresh_env()
    app = Koers(env=env)
    runner = ViewRunner(*views_place(env), app=app).start()
    try:
        with on("2026-01-05T09:00"):
            d = _decision(app)
        with on("2026-01-07T09:00"):
            decided = app.decide(
                d, actor="ann", chosen="buy", rationale="r", expected_outcome="e",
                confidence="0.7", review_on=date(2026, 2, 1),
            )  # fmt: skip
        runner.wait_for(decided.position)
        live_then = runner.dump()
        at = moment("2026-02-03T12:00")
        quality_then = decision_quality(runner.views, "alpha", "2026-Q1", at)
        review_time = moment("2026-02-03T12:00")
        with on("2026-02-03T12:00"):
            reviewed = app.review_decision(
                d, actor="ann", outcome_quality=2, process_quality=4, as_expected=False,
                what_happened="the vendor went bust",
            )  # fmt: skip
        assert reviewed.position is not None
        assert decided.position == reviewed.position - 1
        runner.wait_for(reviewed.position)
        now = decision_quality(runner.views, "alpha", "2026-Q1", at)
        assert (now.reviewed, now.brier_score) == (1, "0.4900")  # (0.7 - 0)²
        assert (quality_then.reviewed, quality_then.awaiting_review[0].question) == (
            0, "Buy or build?",
        )  # fmt: skip

        by_position = views_as_of(app, position=reviewed.position - 1)
        by_time = views_as_of(app, time=review_time - timedelta(microseconds=1))
        try:
            assert dump(by_position) == live_then  # byte for byte
            assert dump(by_time) == live_then
            assert decision_quality(by_position, "alpha", "2026-Q1", at) == quality_then
            assert by_position.as_of == moment("2026-01-07T09:00")  # the decision's time
            as_then = decision_quality(by_time, "alpha", "2026-Q1")  # at defaults to as_of
            assert as_then.at == "2026-02-03T11:59:59.999999+00:00"
            assert as_then.reviewed == 0
        finally:
            by_position.close()
            by_time.close()
        for through_runner in (  # the API's path: from checkpoints, none in PostgreSQL
            runner.as_of(position=reviewed.position - 1),
            runner.as_of(time=review_time - timedelta(microseconds=1)),
        ):
            try:
                assert dump(through_runner) == live_then
            finally:
                through_runner.close()
        assert dump(runner.views) != live_then
    finally:
        runner.close()
        app.close()


def test_as_of_shows_a_check_in_before_its_correction(app: Koers) -> None:
    with on("2026-01-02T09:00"):
        o = app.set_objective(
            actor="ann", team="alpha", title="t", why="w", period="2026-Q1", owner="ann"
        ).id
        kr = app.add_key_result(
            actor="ann", objective_id=o, title="k", metric="increase", start="0", target="10",
            unit="", owner="bob",
        ).id  # fmt: skip
    with on("2026-01-09T09:00"):
        app.check_in(kr, actor="bob", value="4", confidence=7, as_of=moment("2026-01-09"), key="c")
    with on("2026-01-20T09:00"):
        app.correct_check_in(
            kr, actor="bob", check_in_id=uuid.uuid5(kr, "c"), value="2", confidence=5, reason="typo"
        )
    then = views_as_of(app, time=moment("2026-01-15"))
    now = views_as_of(app)
    try:
        (was,) = okr_progress(then, "alpha", "2026-Q1").objectives[0].key_results
        (is_,) = okr_progress(now, "alpha", "2026-Q1").objectives[0].key_results
    finally:
        then.close()
        now.close()
    assert (was.current, was.progress, was.history[0].corrected) == ("4", "0.4000", False)
    assert (is_.current, is_.progress, is_.history[0].corrected) == ("2", "0.2000", True)


def test_as_of_a_time_is_the_log_up_to_the_last_event_recorded_by_then(app: Koers) -> None:
    """Recorded times need not rise along the log (clocks differ): "as of t" takes every
    notification up to the last one recorded at or before t."""
    with on("2026-01-10T10:00"):
        first = app.issue_prompt(actor="k", to="ann", question="Q1?", kind="k").id
    with on("2026-01-10T09:00"):  # recorded after the first, with an earlier clock
        second = app.issue_prompt(actor="k", to="ann", question="Q2?", kind="k").id
    with on("2026-01-10T11:00"):
        app.issue_prompt(actor="k", to="ann", question="Q3?", kind="k")
    for when, expected in (
        ("2026-01-10T08:59", []),
        ("2026-01-10T09:30", [first, second]),  # position 2 is the last recorded by 09:30
        ("2026-01-10T10:30", [first, second]),
    ):
        views = views_as_of(app, time=moment(when))
        try:
            rows = views.rows("SELECT prompt_id FROM prompts ORDER BY position")
            assert [r["prompt_id"] for r in rows] == [str(i) for i in expected], when
            assert views.position == len(expected)
        finally:
            views.close()
    empty = views_as_of(app, position=0)
    try:
        assert (empty.position, empty.as_of) == (0, None)
    finally:
        empty.close()

"""Decision quality (docs/metrics.md §2), each number worked out by hand.

Team alpha opens seven decisions in 2026-Q1 (D1–D7); one more in 2025-Q4 and one of team
beta must not count. Evaluated at 2026-02-15T00:00Z.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from ledger.application import Koers
from ledger.domain import Criterion, Option, Risk
from projections import calibration, decision_quality
from projections.decision_quality import DecisionQuality
from tests.views.test_views_support import app, moment, on, views_of

__all__ = ["app"]

AT = moment("2026-02-15")


def _open(  # noqa: PLR0917
    app: Koers,
    name: str,
    door: str,
    options: int,
    criteria: int,
    info: int,
    decide_by: str,
    team: str = "alpha",
) -> UUID:
    return app.open_decision(
        actor="ann", team=team, question=f"{name}?", context="",
        options=tuple(Option(f"o{n}", f"option {n}") for n in range(options)),
        criteria=tuple(Criterion(f"c{n}", Decimal(1)) for n in range(criteria)),
        risk=Risk(2, 2), reversibility=door, information_level=info, decider="ann",
        decide_by=date.fromisoformat(decide_by),
    ).id  # fmt: skip


def _decide(app: Koers, d: UUID, confidence: str, review_on: str) -> None:
    app.decide(
        d, actor="ann", chosen="o0", rationale="r", expected_outcome="e",
        confidence=confidence, review_on=date.fromisoformat(review_on),
    )  # fmt: skip


def _review(app: Koers, d: UUID, outcome: int, process: int, as_expected: bool) -> None:
    app.review_decision(
        d, actor="ann", outcome_quality=outcome, process_quality=process,
        as_expected=as_expected, what_happened="w",
    )  # fmt: skip


@pytest.fixture
def quality(app: Koers) -> DecisionQuality:
    with on("2025-12-20T09:00"):
        _open(app, "last quarter", "two_way", 2, 1, 50, "2025-12-22")
    with on("2026-01-05T09:00"):
        d1 = _open(app, "D1", "two_way", 2, 1, 60, "2026-01-09")
        _open(app, "beta's", "two_way", 1, 0, 10, "2026-01-06", team="beta")
    with on("2026-01-07T21:00"):  # 2.5 days after opening
        _decide(app, d1, "0.8", "2026-02-01")
    with on("2026-01-10T09:00"):
        d2 = _open(app, "D2", "one_way", 3, 2, 50, "2026-01-20")
    with on("2026-01-12T09:00"):
        app.update_information(d2, actor="ann", information_level=70)
    with on("2026-01-14T09:00"):  # 4 days
        _decide(app, d2, "0.9", "2026-02-10")
    with on("2026-01-20T09:00"):
        d3 = _open(app, "D3", "one_way", 1, 0, 85, "2026-01-25")
    with on("2026-01-21T09:00"):  # 1 day
        _decide(app, d3, "0.6", "2026-02-05")
    with on("2026-01-25T09:00"):
        d4 = _open(app, "D4", "two_way", 1, 1, 40, "2026-01-30")
        app.add_option(d4, actor="ann", option=Option("o1", "another"))
    with on("2026-01-26T09:00"):  # 1 day
        _decide(app, d4, "0.7", "2026-03-01")
    with on("2026-02-01T09:00"):
        _open(app, "D5", "two_way", 2, 0, 30, "2026-02-08")
    with on("2026-02-02T09:00"):
        _review(app, d1, outcome=5, process=4, as_expected=True)
    with on("2026-02-03T09:00"):
        d6 = _open(app, "D6", "one_way", 2, 1, 50, "2026-03-01")
        app.reverse_decision(d4, actor="ann", reason="users hated it")
    with on("2026-02-10T09:00"):
        d7 = _open(app, "D7", "two_way", 1, 0, 90, "2026-02-20")
        app.supersede_decision(d6, actor="ann", by_decision_id=d7, reason="a better question")
    with on("2026-02-11T09:00"):
        _review(app, d2, outcome=2, process=5, as_expected=False)
    with views_of(app) as views:
        return decision_quality(views, "alpha", "2026-Q1", AT)


def test_options_and_criteria(quality: DecisionQuality) -> None:
    assert quality.decisions == 7  # D1–D7
    # D1 (2 options, 1 criterion), D2 (3, 2), D4 (1 + 1 added, 1), D6 (2, 1); not D3 (1, 0),
    # D5 (2, 0), D7 (1, 0)
    assert quality.with_options_and_criteria == 4
    assert quality.share_options_and_criteria == "0.5714"  # 4 / 7


def test_time_to_decide_by_reversibility_and_information(quality: DecisionQuality) -> None:
    assert quality.decided == 4  # D1–D4
    table = {(t.reversibility, t.information): t for t in quality.time_to_decide}
    assert len(table) == 8
    # two-way: D1 2.5 days at 60 %, D4 1 day at 40 %
    assert (table["two_way", "below_50"].decided, table["two_way", "below_50"].mean_days) == (
        1,
        "1.00",
    )
    assert table["two_way", "50_to_79"].mean_days == "2.50"
    assert table["two_way", "80_and_above"].decided == 0
    assert table["two_way", "80_and_above"].mean_days is None
    assert (table["two_way", "all"].mean_days, table["two_way", "all"].median_days) == (
        "1.75",  # (2.5 + 1) / 2
        "1.75",
    )
    # one-way: D2 4 days at 70 % (updated from 50 % before deciding), D3 1 day at 85 %
    assert table["one_way", "50_to_79"].mean_days == "4.00"
    assert table["one_way", "80_and_above"].mean_days == "1.00"
    assert table["one_way", "all"].mean_days == "2.50"  # (4 + 1) / 2


def test_stuck_two_way_doors_and_under_informed_one_way_doors(quality: DecisionQuality) -> None:
    (stuck,) = quality.stuck_two_way_doors  # D5: open, past decide-by; D7 is not due yet
    assert stuck.question == "D5?"
    assert stuck.days_overdue == 7  # Feb 8 → Feb 15
    assert stuck.days_open == "13.63"  # Feb 1 09:00 → Feb 15 00:00 = 13.625, half up
    (under,) = quality.under_informed_one_way_doors  # D2 at 70 % < 80 %; D3 had 85 %
    assert (under.question, under.information_level) == ("D2?", 70)


def test_reviews_and_calibration(quality: DecisionQuality) -> None:
    # due: D1 and D2 (reviewed), D3 (review date Feb 5 passed); D4 was reversed unreviewed
    assert (quality.reviews_due, quality.reviewed) == (3, 2)
    assert quality.review_completion == "0.6667"  # 2 / 3
    (waiting,) = quality.awaiting_review
    assert (waiting.question, waiting.days_overdue) == ("D3?", 10)  # Feb 5 → Feb 15
    # Brier: D1 (0.8 - 1)² = 0.04; D2 (0.9 - 0)² = 0.81; mean 0.85 / 2 = 0.425
    assert (quality.brier_score, quality.brier_reviews) == ("0.4250", 2)


def test_process_outcome_grid_and_reversals(quality: DecisionQuality) -> None:
    grid = quality.grid  # D1: process 4, outcome 5; D2: process 5, outcome 2
    assert (grid.good_process_good_outcome, grid.good_process_bad_outcome) == (1, 1)
    assert (grid.bad_process_good_outcome, grid.bad_process_bad_outcome) == (0, 0)
    assert (quality.reversed, quality.superseded) == (1, 1)  # D4 reversed; D6 superseded
    assert quality.reversal_rate == "0.2500"  # 1 reversed / 4 decided


def test_nothing_to_measure_is_none(app: Koers) -> None:
    with views_of(app) as views:
        empty: Any = decision_quality(views, "alpha", "2026-Q1", AT)
    assert (empty.decisions, empty.share_options_and_criteria, empty.brier_score) == (0, None, None)
    assert (empty.review_completion, empty.reversal_rate) == (None, None)


def test_calibration_of_a_team_and_of_a_decider(app: Koers, quality: DecisionQuality) -> None:
    """The points of the calibration chart are the reviewed decisions, their Brier score the
    one decision quality gives; a decider's own calibration spans every team and quarter."""
    with views_of(app) as views:
        team = calibration(views, team="alpha", period="2026-Q1", at=AT)
        anns = calibration(views, decider="ann", at=AT)
        nobodys = calibration(views, decider="bram", at=AT)
    assert [(p.question, p.confidence, p.as_expected) for p in team.points] == [
        ("D1?", "0.8", True),
        ("D2?", "0.9", False),
    ]
    assert team.brier_score == quality.brier_score == "0.4250"  # (0.04 + 0.81) / 2
    by_band = {(b.low, b.high): b for b in team.bands}
    assert len(by_band) == 5
    assert by_band["0.8", "1"].reviews == 2
    assert by_band["0.8", "1"].mean_confidence == "0.8500"
    assert by_band["0.8", "1"].share_as_expected == "0.5000"
    assert by_band["0.2", "0.4"].share_as_expected is None
    assert anns.reviews == 2  # ann decided every one; the others were not reviewed
    assert anns.brier_score == team.brier_score
    assert (nobodys.reviews, nobodys.brier_score, nobodys.points) == (0, None, [])

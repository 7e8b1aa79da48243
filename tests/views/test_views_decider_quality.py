"""Calibration per decider over a period (issue #14, item 7; docs/metrics.md §2), worked
out by hand. bram decides four decisions, each reviewed:

| decision | team  | opened  | confidence | as expected | (confidence − outcome)² |
|----------|-------|---------|------------|-------------|-------------------------|
| B1       | alpha | 2026-Q1 | 0.7        | yes         | 0.09                    |
| B2       | alpha | 2026-Q1 | 0.3        | no          | 0.09                    |
| B3       | beta  | 2026-Q1 | 0.6        | yes         | 0.16                    |
| B4       | alpha | 2026-Q2 | 0.9        | no          | 0.81                    |

ann decides one more in alpha (must not count for bram).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from ledger.application import Koers
from ledger.domain import Criterion, Option, Risk
from projections import calibration
from tests.views.test_views_support import app, moment, on, views_of

__all__ = ["app"]

AT = moment("2026-06-30")


def _decided(  # noqa: PLR0917
    app: Koers, when: str, decider: str, team: str, confidence: str, went: bool
) -> None:
    day = moment(when)
    with on(when):
        d = app.open_decision(
            actor=decider, team=team, question=f"{team} {when}?", context="",
            options=(Option("a", "A"), Option("b", "B")), criteria=(Criterion("c", Decimal(1)),),
            risk=Risk(2, 2), reversibility="two_way", information_level=80, decider=decider,
            decide_by=day.date() + timedelta(days=5),
        ).id  # fmt: skip
    with on(f"{when[:10]}T15:00"):
        app.decide(d, actor=decider, chosen="a", rationale="r", expected_outcome="e",
                   confidence=confidence, review_on=date(2026, 6, 1))  # fmt: skip
    with on("2026-06-15T09:00"):
        app.review_decision(d, actor=decider, outcome_quality=4, process_quality=4,
                            as_expected=went, what_happened="w")  # fmt: skip


def _story(app: Koers) -> None:
    _decided(app, "2026-01-05T09:00", "bram", "alpha", "0.7", True)
    _decided(app, "2026-02-02T09:00", "bram", "alpha", "0.3", False)
    _decided(app, "2026-03-02T09:00", "bram", "beta", "0.6", True)
    _decided(app, "2026-04-06T09:00", "bram", "alpha", "0.9", False)
    _decided(app, "2026-01-12T09:00", "ann", "alpha", "0.5", False)


def test_a_deciders_calibration_in_a_quarter(app: Koers) -> None:
    _story(app)
    with views_of(app) as views:
        q1 = calibration(views, decider="bram", period="2026-Q1", at=AT)
        every = calibration(views, decider="bram", at=AT)
    assert q1.reviews == 3  # B1, B2, B3
    assert q1.brier_score == "0.1133"  # (0.09 + 0.09 + 0.16) / 3 = 0.11333…
    bands = {(b.low, b.high): (b.reviews, b.mean_confidence, b.share_as_expected)
             for b in q1.bands}  # fmt: skip
    assert bands["0.2", "0.4"] == (1, "0.3000", "0.0000")  # B2
    assert bands["0.6", "0.8"] == (2, "0.6500", "1.0000")  # B1, B3: (0.7 + 0.6) / 2
    assert bands["0.8", "1"] == (0, None, None)
    assert {p.decider for p in q1.points} == {"bram"}
    assert every.reviews == 4
    assert every.brier_score == "0.2875"  # (0.09 + 0.09 + 0.16 + 0.81) / 4


def test_a_leads_view_holds_only_the_teams_they_lead(app: Koers) -> None:
    _story(app)
    with views_of(app) as views:
        alpha = calibration(views, decider="bram", period="2026-Q1", at=AT, teams={"alpha"})
        none = calibration(views, decider="bram", at=AT, teams=frozenset())
    assert [p.team for p in alpha.points] == ["alpha", "alpha"]  # not beta's B3
    assert alpha.brier_score == "0.0900"  # (0.09 + 0.09) / 2
    assert (none.reviews, none.brier_score) == (0, None)

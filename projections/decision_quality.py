"""Decision quality per team and period (docs/metrics.md §2).

A decision belongs to the period (UTC quarter) in which it was opened.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from projections._numbers import days_between, mean, median, r2, r4, ratio
from projections._query import as_decimal, columns, evaluated_at, since, stamp
from projections._sql import Row, parse_moment
from projections.views import KoersViews

__all__ = [
    "Calibration",
    "CalibrationBand",
    "CalibrationPoint",
    "DecisionQuality",
    "DecisionRef",
    "Grid",
    "TimeToDecide",
    "calibration",
    "decision_quality",
]

WELL_INFORMED = 80  # the seed's "decide at 80 % information"
GOOD_RATING = 4  # a rating of 4 or 5 (of 1–5) is good
BANDS = (("below_50", 0, 49), ("50_to_79", 50, 79), ("80_and_above", 80, 100))
#: Stated confidence in bands of a fifth; the last band includes 1.
CONFIDENCE_BANDS = tuple((Decimal(n) / 5, Decimal(n + 1) / 5) for n in range(5))


@dataclass(frozen=True)
class TimeToDecide:
    reversibility: str  # two_way / one_way
    information: str  # below_50 / 50_to_79 / 80_and_above / all
    decided: int
    mean_days: str | None
    median_days: str | None


@dataclass(frozen=True)
class DecisionRef:
    decision_id: str
    question: str
    decider: str
    reversibility: str
    status: str
    information_level: int  # at the decision if decided, else the current level
    opened_at: str
    decide_by: str
    decided_at: str | None
    review_on: str | None
    days_open: str  # from opening to the decision, or to ``at`` while open
    days_overdue: int | None  # past decide-by (stuck) or past the review date (awaiting)


@dataclass(frozen=True)
class Grid:
    """Reviewed decisions by process and outcome rating (good = 4 or 5)."""

    good_process_good_outcome: int
    good_process_bad_outcome: int
    bad_process_good_outcome: int
    bad_process_bad_outcome: int


@dataclass(frozen=True)
class DecisionQuality:
    team: str
    period: str
    at: str
    position: int
    decisions: int
    with_options_and_criteria: int
    share_options_and_criteria: str | None
    decided: int
    time_to_decide: list[TimeToDecide]
    stuck_two_way_doors: list[DecisionRef]
    under_informed_one_way_doors: list[DecisionRef]
    reviews_due: int
    reviewed: int
    review_completion: str | None
    awaiting_review: list[DecisionRef]
    brier_score: str | None
    brier_reviews: int
    grid: Grid
    reversed: int
    superseded: int
    reversal_rate: str | None


def decision_quality(
    views: KoersViews, team: str, period: str, at: datetime | None = None
) -> DecisionQuality:
    """The decision-quality measures of the decisions ``team`` opened in ``period``."""
    moment = evaluated_at(views, at)
    today = moment.date()
    rows = views.rows(
        "SELECT * FROM decisions WHERE team = ? AND period = ? ORDER BY position", team, period
    )
    decided = [r for r in rows if r["decided_at"] is not None]
    explicit = [r for r in rows if r["options_count"] >= 2 and r["criteria_count"] >= 1]
    stuck = [
        _ref(r, moment, overdue=(today - date.fromisoformat(r["decide_by"])).days)
        for r in rows
        if r["reversibility"] == "two_way"
        and r["status"] == "open"
        and today > date.fromisoformat(r["decide_by"])
    ]
    under_informed = [
        _ref(r, moment)
        for r in decided
        if r["reversibility"] == "one_way" and r["information_at_decision"] < WELL_INFORMED
    ]
    due = [r for r in decided if r["reviewed_at"] is not None or _awaiting(r, today)]
    reviewed = [r for r in due if r["reviewed_at"] is not None]
    awaiting = [
        _ref(r, moment, overdue=(today - date.fromisoformat(r["review_on"])).days)
        for r in due
        if r["reviewed_at"] is None
    ]
    reversed_ = sum(1 for r in decided if r["reversed_at"] is not None)
    return DecisionQuality(
        team=team,
        period=period,
        at=stamp(moment),
        position=views.position,
        decisions=len(rows),
        with_options_and_criteria=len(explicit),
        share_options_and_criteria=r4(ratio(len(explicit), len(rows))),
        decided=len(decided),
        time_to_decide=_time_to_decide(decided),
        stuck_two_way_doors=stuck,
        under_informed_one_way_doors=under_informed,
        reviews_due=len(due),
        reviewed=len(reviewed),
        review_completion=r4(ratio(len(reviewed), len(due))),
        awaiting_review=awaiting,
        brier_score=r4(_brier(reviewed)),
        brier_reviews=len(reviewed),
        grid=_grid(reviewed),
        reversed=reversed_,
        superseded=sum(1 for r in rows if r["superseded_at"] is not None),
        reversal_rate=r4(ratio(reversed_, len(decided))),
    )


def _awaiting(row: Row, today: date) -> bool:
    """Decided, its review date arrived, and still reviewable (not reversed or superseded)."""
    return row["status"] == "decided" and date.fromisoformat(row["review_on"]) <= today


def _days_to_decide(row: Row) -> Decimal:
    return days_between(parse_moment(row["opened_at"]), parse_moment(row["decided_at"]))


def _ref(row: Row, at: datetime, overdue: int | None = None) -> DecisionRef:
    level = row["information_at_decision"]
    open_days = _days_to_decide(row) if row["decided_at"] else since(row["opened_at"], at)
    return DecisionRef(
        **columns(row, "decision_id", "question", "decider", "reversibility", "status"),
        **columns(row, "opened_at", "decide_by", "decided_at", "review_on"),
        information_level=int(row["information_level"] if level is None else level),
        days_open=r2(open_days),
        days_overdue=overdue,
    )


def _time_to_decide(decided: list[Row]) -> list[TimeToDecide]:
    out = []
    for door in ("two_way", "one_way"):
        mine = [r for r in decided if r["reversibility"] == door]
        for band, low, high in (*BANDS, ("all", 0, 100)):
            days = [_days_to_decide(r) for r in mine if low <= r["information_at_decision"] <= high]
            out.append(TimeToDecide(door, band, len(days), r2(mean(days)), r2(median(days))))
    return out


def _brier(reviewed: list[Row]) -> Decimal | None:
    """Mean of (stated confidence − outcome)², outcome 1 if it went as expected, else 0."""
    return mean(
        (as_decimal(r["confidence"]) - (1 if r["as_expected"] else 0)) ** 2 for r in reviewed
    )


def _grid(reviewed: list[Row]) -> Grid:
    def count(process_good: bool, outcome_good: bool) -> int:
        return sum(
            1
            for r in reviewed
            if (r["process_quality"] >= GOOD_RATING) == process_good
            and (r["outcome_quality"] >= GOOD_RATING) == outcome_good
        )

    return Grid(count(True, True), count(True, False), count(False, True), count(False, False))


@dataclass(frozen=True)
class CalibrationPoint:
    """One reviewed decision: what its decider said the chance was, and how it went."""

    decision_id: str
    question: str
    team: str
    decider: str
    confidence: str
    as_expected: bool
    reviewed_at: str


@dataclass(frozen=True)
class CalibrationBand:
    """The reviewed decisions whose stated confidence is in ``[low, high)`` (1 in the last)."""

    low: str
    high: str
    reviews: int
    mean_confidence: str | None
    share_as_expected: str | None


@dataclass(frozen=True)
class Calibration:
    team: str | None
    period: str | None
    decider: str | None
    at: str
    position: int
    reviews: int
    brier_score: str | None
    bands: list[CalibrationBand]
    points: list[CalibrationPoint]


def calibration(
    views: KoersViews,
    *,
    team: str | None = None,
    period: str | None = None,
    decider: str | None = None,
    at: datetime | None = None,
    teams: Collection[str] | None = None,
) -> Calibration:
    """Stated confidence against outcome over the reviewed decisions of ``team`` opened in
    ``period``, or of one ``decider`` (any team, any period, unless given; only those of
    ``teams`` when given: what a lead may read of a person's): the points of a calibration
    chart, by band of a fifth, and the Brier score :func:`decision_quality` gives for the
    same decisions."""
    wanted = {"team": team, "period": period, "decider": decider}
    where = "".join(f" AND {name} = ?" for name, value in wanted.items() if value is not None)
    rows = views.rows(
        f"SELECT * FROM decisions WHERE reviewed_at IS NOT NULL{where} ORDER BY position",
        *(value for value in wanted.values() if value is not None),
    )
    if teams is not None:
        rows = [r for r in rows if r["team"] in teams]
    bands = []
    for low, high in CONFIDENCE_BANDS:
        mine = [r for r in rows if low <= as_decimal(r["confidence"]) < high or
                (high == 1 and as_decimal(r["confidence"]) == 1)]  # fmt: skip
        bands.append(
            CalibrationBand(
                low=str(low),
                high=str(high),
                reviews=len(mine),
                mean_confidence=r4(mean(as_decimal(r["confidence"]) for r in mine)),
                share_as_expected=r4(ratio(sum(1 for r in mine if r["as_expected"]), len(mine))),
            )
        )
    points = [
        CalibrationPoint(
            **columns(row, "decision_id", "question", "team", "decider", "confidence"),
            as_expected=bool(row["as_expected"]),
            reviewed_at=row["reviewed_at"],
        )
        for row in rows
    ]
    return Calibration(
        **wanted,
        at=stamp(evaluated_at(views, at)),
        position=views.position,
        reviews=len(rows),
        brier_score=r4(_brier(rows)),
        bands=bands,
        points=points,
    )

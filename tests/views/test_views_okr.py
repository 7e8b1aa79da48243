"""OKR progress (docs/metrics.md §1), each number worked out by hand.

The period is 2026-Q1: [2026-01-01T00:00Z, 2026-04-01T00:00Z) = 31 + 28 + 31 = 90 days.
Evaluated at 2026-02-15T00:00Z: 45 days have passed, so elapsed = 45 / 90 = 0.5.
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from uuid import UUID

import pytest

from ledger.application import Koers
from ledger.errors import InvalidValue, NotAllowed
from projections import as_json, okr_progress, org_alignment
from projections.okr import ObjectiveProgress
from tests.views.test_views_support import app, find, moment, on, views_of

__all__ = ["app"]

AT = moment("2026-02-15")


def _objective(app: Koers, title: str, team: str = "alpha", parent: UUID | None = None) -> UUID:
    return app.set_objective(
        actor="ann", team=team, title=title, why="because", period="2026-Q1", owner="ann",
        parent_id=parent,
    ).id  # fmt: skip


def _kr(  # noqa: PLR0917
    app: Koers, objective: UUID, title: str, metric: str, start: str, target: str, cadence: int = 7
) -> UUID:
    return app.add_key_result(
        actor="ann", objective_id=objective, title=title, metric=metric, start=start,
        target=target, unit="", owner="bob", cadence_days=cadence,
    ).id  # fmt: skip


def _check_in(  # noqa: PLR0917
    app: Koers, kr: UUID, value: str, confidence: int, as_of: str, key: str = ""
) -> None:
    app.check_in(kr, actor="bob", value=value, confidence=confidence, as_of=moment(as_of), key=key)


@pytest.fixture
def story(app: Koers) -> dict[str, Any]:
    with on("2026-01-02T09:00"):
        o1 = _objective(app, "Ship the ledger")
        o2 = _objective(app, "Grow the pilot", parent=o1)
        o3 = _objective(app, "Sell the pilot", team="beta", parent=o1)
        a = _kr(app, o1, "A: teams on it", "increase", "10", "30")
        b = _kr(app, o1, "B: minutes to restore", "decrease", "100", "50")
        c = _kr(app, o1, "C: uptime", "keep_above", "96", "95", cadence=14)
        e = _kr(app, o1, "E: dropped", "increase", "0", "10")
        f = _kr(app, o2, "F: pilot users", "increase", "0", "100")
    with on("2026-01-03T00:00"):
        d = _kr(app, o1, "D: audit sign-off", "milestone", "0", "1")
    with on("2026-01-10T12:00"):
        _check_in(app, a, "14", 7, "2026-01-10", key="a1")
        _check_in(app, e, "5", 5, "2026-01-10")
    with on("2026-01-20T08:00"):
        _check_in(app, c, "94", 6, "2026-01-20")
    with on("2026-01-25T08:00"):
        app.correct_check_in(
            a, actor="bob", check_in_id=uuid.uuid5(a, "a1"), value="15", confidence=8,
            reason="the first count missed a team",
        )  # fmt: skip
        app.drop_key_result(e, actor="ann", reason="not needed")
    with on("2026-02-01T09:00"):
        app.retarget(b, actor="ann", target="60", reason="50 needs new hardware")
    with on("2026-02-10T12:00"):
        _check_in(app, a, "18", 5, "2026-02-10T12:00")
    with on("2026-02-12T00:00"):
        _check_in(app, b, "80", 6, "2026-02-12")
    with on("2026-02-14T10:00"):
        _check_in(app, f, "30", 6, "2026-02-14")
    with on("2026-02-14T23:00"):  # recorded last, but describes an earlier moment
        _check_in(app, f, "20", 7, "2026-02-01")
    return {"o1": o1, "o2": o2, "o3": o3, "a": a, "b": b, "c": c, "d": d, "e": e, "f": f}


def _o1(app: Koers, story: dict[str, Any]) -> ObjectiveProgress:
    with views_of(app) as views:
        result = okr_progress(views, "alpha", "2026-Q1", AT)
    assert result.elapsed == "0.5000"  # 45 / 90
    found: ObjectiveProgress = find(result.objectives, objective_id=str(story["o1"]))
    return found


def test_increase_progress_trend_and_freshness(app: Koers, story: dict[str, Any]) -> None:
    a = find(_o1(app, story).key_results, key_result_id=str(story["a"]))
    assert a.current == "18"
    assert a.progress == "0.4000"  # (18 - 10) / (30 - 10) = 8 / 20
    assert a.expected == "0.5000"  # elapsed
    assert a.track == "on_track"  # gap 0.5 - 0.4 = 0.10 ≤ 0.10
    assert (a.attainment_original, a.attainment_amended) == ("0.4000", "0.4000")
    assert a.confidence == 5
    assert (a.confidence_change, a.confidence_trend) == (-3, "down")  # 5 - 8 (corrected)
    assert a.last_check_in == "2026-02-10T12:00:00.000000+00:00"
    assert a.days_since_check_in == "4.50"  # Feb 10 12:00 → Feb 15 00:00
    assert a.stale is False  # 4.5 ≤ 7
    first, second = a.history
    assert (first.value, first.confidence, first.corrected) == ("15", 8, True)
    assert first.progress == "0.2500"  # (15 - 10) / 20
    assert (second.value, second.progress, second.corrected) == ("18", "0.4000", False)


def test_retargeted_decrease_attains_against_both_targets(
    app: Koers, story: dict[str, Any]
) -> None:
    b = find(_o1(app, story).key_results, key_result_id=str(story["b"]))
    assert (b.original_target, b.target) == ("50", "60")
    assert b.progress == "0.5000"  # (80 - 100) / (60 - 100) = -20 / -40
    assert b.track == "on_track"  # gap 0.5 - 0.5 = 0
    assert b.attainment_original == "0.4000"  # (80 - 100) / (50 - 100) = -20 / -50
    assert b.attainment_amended == "0.5000"
    assert b.days_since_check_in == "3.00"  # Feb 12 → Feb 15
    assert [(t.target, t.reason) for t in b.targets] == [
        ("50", "original"),
        ("60", "50 needs new hardware"),
    ]


def test_keep_milestone_and_dropped_key_results(app: Koers, story: dict[str, Any]) -> None:
    krs = _o1(app, story).key_results
    c = find(krs, key_result_id=str(story["c"]))
    assert (c.progress, c.expected, c.track) == ("0.0000", "1.0000", "off_track")  # 94 < 95
    assert (c.attainment_original, c.attainment_amended) == ("0.0000", "0.0000")
    assert c.days_since_check_in == "26.00"  # Jan 20 → Feb 15
    assert c.stale is True  # 26 > 14
    d = find(krs, key_result_id=str(story["d"]))
    assert (d.current, d.progress, d.track) == (None, "0.0000", "off_track")  # gap 0.5
    assert d.attainment_original is None
    assert d.days_since_check_in == "43.00"  # added Jan 3 → Feb 15, no check-in yet
    assert d.stale is True
    e = find(krs, key_result_id=str(story["e"]))
    assert (e.status, e.track) == ("dropped", None)


def test_objective_averages_its_counted_key_results_and_children(
    app: Koers, story: dict[str, Any]
) -> None:
    o1 = _o1(app, story)
    assert o1.own_progress == "0.2250"  # (0.4 + 0.5 + 0 + 0) / 4; E is dropped
    # rolled up with its children O2 (0.3, expected 0.5) and O3 (no KRs: 0, expected 0.5):
    assert o1.children_counted == 2
    assert o1.progress == "0.2000"  # (0.4 + 0.5 + 0 + 0 + 0.3 + 0) / 6 = 1.2 / 6
    assert o1.expected == "0.5833"  # (0.5 + 0.5 + 1 + 0.5 + 0.5 + 0.5) / 6 = 3.5 / 6
    assert o1.track == "off_track"  # gap 0.3833 > 0.25
    assert o1.attainment_original == "0.2667"  # (0.4 + 0.4 + 0) / 3; D has no value
    assert o1.attainment_amended == "0.3000"  # (0.4 + 0.5 + 0) / 3


def test_latest_check_in_is_by_as_of_and_an_objective_can_be_at_risk(
    app: Koers, story: dict[str, Any]
) -> None:
    with views_of(app) as views:
        result = okr_progress(views, "alpha", "2026-Q1", AT)
    o2 = find(result.objectives, objective_id=str(story["o2"]))
    (f,) = o2.key_results
    assert f.current == "30"  # as of Feb 14; the check-in recorded later is as of Feb 1
    assert [p.value for p in f.history] == ["20", "30"]
    assert (f.progress, f.track) == ("0.3000", "at_risk")  # gap 0.5 - 0.3 = 0.2
    assert (f.confidence_change, f.confidence_trend) == (-1, "down")  # 6 after 7, by as_of
    assert (o2.progress, o2.track) == ("0.3000", "at_risk")


def test_alignment_tree_spans_teams(app: Koers, story: dict[str, Any]) -> None:
    with views_of(app) as views:
        alpha = okr_progress(views, "alpha", "2026-Q1", AT)
        beta = okr_progress(views, "beta", "2026-Q1", AT)
    (root,) = alpha.alignment
    assert root.objective_id == str(story["o1"])
    assert [(c.title, c.team) for c in root.children] == [
        ("Grow the pilot", "alpha"),
        ("Sell the pilot", "beta"),
    ]
    assert [o.title for o in beta.objectives] == ["Sell the pilot"]
    assert beta.alignment == alpha.alignment  # the same tree, seen from the other team
    (o3,) = beta.objectives
    assert (o3.progress, o3.expected, o3.track) == ("0.0000", "0.5000", "off_track")


def test_result_is_json_ready(app: Koers, story: dict[str, Any]) -> None:
    with views_of(app) as views:
        result = okr_progress(views, "alpha", "2026-Q1", AT)
    text = json.dumps(as_json(result))
    assert json.loads(text)["objectives"][0]["key_results"][0]["progress"] == "0.4000"
    assert result.position == app.recorder.max_notification_id()


def test_a_parent_rolls_up_its_children_closed_by_score_dropped_left_out(app: Koers) -> None:
    """docs/metrics.md §1, roll-up: a parent without key results is its children's mean; a
    closed child counts with its score, a dropped one not at all; grandchildren roll up
    through their parent."""
    with on("2026-01-02T09:00"):
        top = _objective(app, "Be reliable", team="company")
        half = _objective(app, "Restore fast", parent=top)
        closed = _objective(app, "Page less", parent=top)
        dropped = _objective(app, "Move to the cloud", parent=top)
        grand = _objective(app, "Fewer alerts", team="beta", parent=half)
        kr = _kr(app, half, "minutes to restore", "decrease", "100", "50")
        kr2 = _kr(app, grand, "alerts a week", "decrease", "40", "20")
    with on("2026-02-01T00:00"):
        _check_in(app, kr, "75", 6, "2026-02-01")  # (75 - 100) / (50 - 100) = 0.5
        _check_in(app, kr2, "30", 6, "2026-02-01")  # (30 - 40) / (20 - 40) = 0.5
        app.score_objective(closed, actor="ann", score="0.8", learnings="done early")
        app.drop_objective(dropped, actor="ann", reason="not this year")
    with views_of(app) as views:
        company = okr_progress(views, "company", "2026-Q1", AT)
        tree = org_alignment(views, "2026-Q1", AT)
    (be_reliable,) = company.objectives
    assert be_reliable.own_progress == "0.0000"  # no key results of its own
    # "Restore fast": (its KR 0.5 + "Fewer alerts" 0.5) / 2 = 0.5; "Page less": score 0.8
    assert be_reliable.children_counted == 2
    assert be_reliable.progress == "0.6500"  # (0.5 + 0.8) / 2
    assert be_reliable.expected == "0.5000"  # (0.5 + 0.5) / 2
    assert be_reliable.track == "on_track"
    (root,) = tree.trees
    assert (root.title, root.progress) == ("Be reliable", "0.6500")
    assert [(c.title, c.progress, c.status) for c in root.children] == [
        ("Restore fast", "0.5000", "open"),
        ("Page less", "0.0000", "closed"),
        ("Move to the cloud", "0.0000", "dropped"),
    ]
    assert [g.team for g in root.children[0].children] == ["beta"]


def test_weights_make_the_roll_up_a_weighted_mean_and_the_latest_weight_counts(
    app: Koers,
) -> None:
    """docs/metrics.md §1, weighted roll-up worked example: a key result and a child weighed
    above the default 1; a reweigh replaces the weight (its history stays in the view)."""
    with on("2026-01-02T09:00"):
        top = _objective(app, "Be reliable", team="company")
        restore = _objective(app, "Restore fast", parent=top)
        page = _objective(app, "Page less", parent=top)
        incidents = _kr(app, top, "incidents", "decrease", "10", "0")
        minutes = _kr(app, restore, "minutes to restore", "decrease", "100", "50")
    with on("2026-02-01T00:00"):
        _check_in(app, incidents, "8", 6, "2026-02-01")  # (8 - 10) / (0 - 10) = 0.2
        _check_in(app, minutes, "75", 6, "2026-02-01")  # 0.5
        app.score_objective(page, actor="ann", score="0.8", learnings="done early")
        app.weigh_key_result(incidents, actor="ann", weight="2", reason="what customers feel")
        app.weigh_objective(restore, actor="ann", weight="3", reason="the quarter's focus")
    with views_of(app) as views:
        (weighed,) = okr_progress(views, "company", "2026-Q1", AT).objectives
        (root,) = org_alignment(views, "2026-Q1", AT).trees
    # (0.2 x 2 + 0.5 x 3 + 0.8 x 1) / (2 + 3 + 1) = 2.7 / 6 = 0.45; expected all 0.5
    assert (weighed.progress, weighed.expected, weighed.track) == ("0.4500", "0.5000", "on_track")
    assert weighed.own_progress == "0.2000"  # its one key result, whatever its weight
    assert [k.weight for k in weighed.key_results] == ["2"]
    assert [(c.title, c.weight) for c in root.children] == [
        ("Restore fast", "3"), ("Page less", "1"),
    ]  # fmt: skip
    with on("2026-02-02T00:00"):
        app.weigh_objective(restore, actor="ann", weight="1", reason="back to equal")
    with views_of(app) as views:
        (reweighed,) = okr_progress(views, "company", "2026-Q1", AT).objectives
        history = views.rows("SELECT * FROM roll_up_weights ORDER BY position")
    assert reweighed.progress == "0.4250"  # (0.4 + 0.5 + 0.8) / (2 + 1 + 1) = 1.7 / 4
    assert [(r["kind"], r["weight"]) for r in history] == [
        ("key_result", "2"), ("objective", "3"), ("objective", "1"),
    ]  # fmt: skip


@pytest.mark.parametrize("weight", ["0", "-1", "100.5", "many"])
def test_a_weight_outside_0_to_100_is_refused_naming_the_field(app: Koers, weight: str) -> None:
    top = _objective(app, "Be reliable")
    with pytest.raises(InvalidValue) as refused:
        app.weigh_objective(top, actor="ann", weight=weight, reason="try")
    assert refused.value.field == "weight"


def test_a_dropped_objective_or_key_result_cannot_be_weighed(app: Koers) -> None:
    top = _objective(app, "Be reliable")
    kr = _kr(app, top, "incidents", "decrease", "10", "0")
    app.drop_key_result(kr, actor="ann", reason="not measured")
    app.drop_objective(top, actor="ann", reason="not this year")
    for weigh, target in ((app.weigh_objective, top), (app.weigh_key_result, kr)):
        with pytest.raises(NotAllowed, match="dropped"):
            weigh(target, actor="ann", weight="2", reason="try")


def test_org_alignment_starts_at_the_objectives_without_a_parent(
    app: Koers, story: dict[str, Any]
) -> None:
    with views_of(app) as views:
        tree = org_alignment(views, "2026-Q1", AT)
        other = org_alignment(views, "2026-Q2", AT)
    assert [r.objective_id for r in tree.trees] == [str(story["o1"])]
    assert tree.trees[0].progress == "0.2000"  # the roll-up, as okr_progress says
    assert other.trees == []

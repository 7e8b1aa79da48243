"""The decision matrix in the views (docs/metrics.md §7): ``decision_criteria``,
``decision_scores`` (a person's latest score per option and criterion, ``times_scored``
counting each), ``decision_positions`` (the latest per person) and ``decision_roles`` (an
approval that a new approver undoes); the analyst's SQL for the weighted totals gives what
``koers decision show`` gives. Worked by hand: weights cost 0.6, speed 0.4."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from ledger.application import Koers
from ledger.application._reads import complete_state
from ledger.domain import Decision
from projections.export import dump
from tests.factories import decide, decision
from tests.views.test_views_support import app, on, views_of

__all__ = ["app"]

#: The weighted total per option as docs/metrics.md writes the query.
TOTALS = """
SELECT option, AVG(total) AS total FROM (
  SELECT s.person, s.option, SUM(CAST(c.weight AS REAL) * s.score) AS total,
         COUNT(*) AS scored
  FROM decision_scores s JOIN decision_criteria c
    ON c.decision_id = s.decision_id AND c.criterion = s.criterion
  WHERE s.decision_id = ?
  GROUP BY s.person, s.option
) WHERE scored = (SELECT COUNT(*) FROM decision_criteria WHERE decision_id = ?)
GROUP BY option ORDER BY option
"""


def _story(app: Koers) -> UUID:
    with on("2026-01-05T09:00"):
        d = app.open_decision(actor="ann", **decision(recommender="cem")).id
    with on("2026-01-06T09:00"):
        for who, option, cost, speed in (("ann", "build", 1, 2), ("ann", "build", 4, 2),
                                         ("ann", "buy", 2, 5), ("bob", "build", 5, 3),
                                         ("bob", "buy", 3, 4)):  # fmt: skip
            for criterion, score in (("cost", cost), ("speed", speed)):
                app.score_decision(d, actor=who, option=option, criterion=criterion, score=score)
        app.score_decision(d, actor="cem", option="buy", criterion="cost", score=5, note="cheap")
        app.take_position(d, actor="bob", position="object", note="too soon")
    with on("2026-01-07T09:00"):
        app.name_decision_roles(d, actor="ann", approver="dan")
        app.approve_decision(d, actor="dan", note="")
    with on("2026-01-08T09:00"):
        app.name_decision_roles(d, actor="ann", approver="eve")  # asked afresh
        app.approve_decision(d, actor="eve", note="ok")
        app.decide(d, actor="ann", **decide(chosen="buy", review_on=date(2026, 4, 1)))
        app.take_position(d, actor="bob", position="disagree_and_commit", note="I commit")
    return d


def test_the_matrix_tables_hold_the_latest_scores_positions_and_roles(app: Koers) -> None:
    d = _story(app)
    with views_of(app) as views:
        ident = str(d)
        criteria = views.rows(
            "SELECT criterion, weight FROM decision_criteria WHERE decision_id = ? "
            "ORDER BY criterion", ident)  # fmt: skip
        assert [(r["criterion"], r["weight"]) for r in criteria] == [("cost", "0.6"),
                                                                     ("speed", "0.4")]  # fmt: skip
        cell = views.rows(
            "SELECT score, times_scored, scored_at FROM decision_scores WHERE decision_id = ? "
            "AND person = 'ann' AND option = 'build' AND criterion = 'cost'", ident)  # fmt: skip
        assert [(r["score"], r["times_scored"]) for r in cell] == [(4, 2)]
        assert views.rows("SELECT COUNT(*) AS n FROM decision_scores")[0]["n"] == 9
        positions = views.rows("SELECT person, stance, note FROM decision_positions")
        assert [(r["person"], r["stance"], r["note"]) for r in positions] == [
            ("bob", "disagree_and_commit", "I commit")]  # fmt: skip
        roles = views.rows("SELECT role, person, named_at, approved_at FROM decision_roles "
                           "ORDER BY role")  # fmt: skip
        assert [(r["role"], r["person"]) for r in roles] == [("approver", "eve"),
                                                             ("recommender", "cem")]  # fmt: skip
        assert roles[0]["named_at"].startswith("2026-01-08T09:00")
        assert roles[0]["approved_at"].startswith("2026-01-08T09:00")
        # ann: build 0.6·4 + 0.4·2 = 3.2, buy 3.2; bob: build 4.2, buy 3.4; cem incomplete
        totals = {r["option"]: round(r["total"], 6) for r in views.rows(TOTALS, ident, ident)}
        assert totals == {"build": 3.7, "buy": 3.3}
        shown = complete_state(app.load(Decision, d), app.event_history)["matrix"]["totals"]
        assert {k: float(v) for k, v in shown.items()} == totals
        exported = dump(views).decode()
        for table in ("decision_criteria", "decision_scores", "decision_positions",
                      "decision_roles"):  # fmt: skip
            assert f'["{table}",' in exported

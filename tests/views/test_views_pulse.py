"""A pulse from fewer than 3 responses is never shown (issue #14, retros): not in a retro's
read, not in the follow-through view or its health, not in the exported views; the ledger
keeps what was recorded. Worked out by hand (docs/metrics.md §4)."""

from __future__ import annotations

import json
from datetime import date

from ledger.application import Koers
from ledger.application._reads import complete_state
from ledger.domain import Retro
from ledger.domain.retros import TOO_FEW_RESPONSES
from projections import retro_follow_through
from projections.export import dump
from tests.views.test_views_support import app, moment, on, views_of

__all__ = ["app"]


def held(app: Koers) -> Retro:
    """Safety from 5 people; workload typed in from 1 answer; energy from 6, then again from
    2 (the last counts: hidden)."""
    with on("2026-01-15T16:00"):
        retro = app.hold_retro(actor="cem", team="alpha", period="2026-Q1",
                               held_on=date(2026, 1, 15), facilitator="cem").id  # fmt: skip
        pulses = (("safety", "4.0", 5), ("workload", "1.3", 1), ("energy", "3.0", 6),
                  ("energy", "1.7", 2))  # fmt: skip
        for dimension, score, responses in pulses:
            app.record_pulse(retro, actor="cem", dimension=dimension, score=score,
                             responses=responses)  # fmt: skip
    return app.load(Retro, retro)


def test_a_retros_read_shows_a_pulse_only_from_three_responses(app: Koers) -> None:
    state = complete_state(held(app), app.event_history)
    assert state["pulse"] == {"safety": "4.0", "workload": TOO_FEW_RESPONSES,
                              "energy": TOO_FEW_RESPONSES}  # fmt: skip
    assert state["pulse_responses"] == {"safety": 5, "workload": 1, "energy": 2}


def test_the_follow_through_view_and_its_health_leave_it_out(app: Koers) -> None:
    held(app)
    with views_of(app) as views:
        [point] = retro_follow_through(views, "alpha", "2026-Q1", moment("2026-02-01")).retros
    assert point.pulse == {"energy": TOO_FEW_RESPONSES, "safety": "4.0",
                           "workload": TOO_FEW_RESPONSES}  # fmt: skip
    assert point.health == "4.00"  # safety alone: (4.0) / 1


def test_the_exported_views_mask_its_score(app: Koers) -> None:
    held(app)
    with views_of(app) as views:
        lines = [json.loads(line) for line in dump(views).splitlines()]
    pulses = {row["dimension"]: (row["score"], row["responses"])
              for table, row in lines if table == "retro_pulse"}  # fmt: skip
    assert pulses == {"safety": ("4.0", 5), "workload": (TOO_FEW_RESPONSES, 1),
                      "energy": (TOO_FEW_RESPONSES, 2)}  # fmt: skip


def scored(app: Koers) -> None:
    """People's own scores (docs/metrics.md §4, worked example): workload from bob 2, cem 4,
    dan 5, then bob again 3 (his replaces his 2); energy from two people only."""
    with on("2026-01-15T16:00"):
        retro = app.hold_retro(actor="cem", team="alpha", period="2026-Q1",
                               held_on=date(2026, 1, 15), facilitator="cem").id  # fmt: skip
        for who, dimension, score in (("bob", "workload", 2), ("cem", "workload", 4),
                                      ("dan", "workload", 5), ("bob", "workload", 3),
                                      ("bob", "energy", 1), ("cem", "energy", 5)):  # fmt: skip
            app.give_pulse_score(retro, actor=who, dimension=dimension, score=score)


def test_own_scores_give_the_mean_and_count_in_the_view_and_the_export(app: Koers) -> None:
    scored(app)
    with views_of(app) as views:
        [point] = retro_follow_through(views, "alpha", "2026-Q1", moment("2026-02-01")).retros
        lines = [json.loads(line) for line in dump(views).splitlines()]
    # by hand: workload (3 + 4 + 5) / 3 = 4.00 from 3 people; energy from 2: hidden
    assert point.pulse == {"energy": TOO_FEW_RESPONSES, "workload": "4.00"}
    assert point.health == "4.00"
    rows = [row for table, row in lines if table == "retro_pulse"]
    assert sorted((r["dimension"], r["score"], r["responses"]) for r in rows) == [
        ("energy", TOO_FEW_RESPONSES, 2), ("workload", "4.00", 3)]  # fmt: skip
    assert not any("bob" in json.dumps(row) for _, row in lines)  # nobody's own score or name

"""Retro follow-through, the prompt inbox and the reflection journal (docs/metrics.md §4, §5),
each number worked out by hand."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import pytest

from ledger.application import Koers
from projections import prompt_inbox, reflection_journal, retro_follow_through
from tests.views.test_views_support import app, find, moment, on, views_of

__all__ = ["app"]


def _retro(app: Koers, held: str, period: str, team: str = "alpha") -> UUID:
    with on(f"{held}T16:00"):
        return app.hold_retro(
            actor="cem", team=team, period=period, held_on=date.fromisoformat(held),
            facilitator="cem",
        ).id  # fmt: skip


def _item(app: Koers, retro: UUID, text: str, due: str) -> UUID:
    item = app.add_action_item(
        retro, actor="cem", text=text, owner="bob", due=date.fromisoformat(due), key=text
    ).item_id
    assert item is not None
    return item


@pytest.fixture
def retros(app: Koers) -> dict[str, Any]:
    r1 = _retro(app, "2026-01-15", "2026-Q1")
    with on("2026-01-15T17:00"):
        for kind in ("went_well", "went_well", "to_improve"):
            app.add_retro_item(r1, actor="cem", kind=kind, text=kind)
        for dimension, score in (("safety", "3.8"), ("workload", "3.0"), ("safety", "4.0")):
            app.record_pulse(r1, actor="cem", dimension=dimension, score=score, responses=5)
        i1, i2, i3, i4 = (
            _item(app, r1, name, due)
            for name, due in (("I1", "2026-01-25"), ("I2", "2026-01-25"),
                              ("I3", "2026-01-25"), ("I4", "2026-01-30"))
        )  # fmt: skip
    with on("2026-01-24T10:00"):
        app.complete_action_item(r1, actor="bob", item_id=i1)
        app.drop_action_item(r1, actor="bob", item_id=i2, reason="overtaken")
    r2 = _retro(app, "2026-02-12", "2026-Q1")
    with on("2026-02-12T17:00"):
        app.carry_over(r1, actor="cem", item_id=i3, to_retro_id=r2)
        for dimension, score in (("safety", "4.5"), ("workload", "2.5"), ("energy", "3.2")):
            app.record_pulse(r2, actor="cem", dimension=dimension, score=score, responses=5)
        _item(app, r2, "I5", "2026-05-01")
        i6 = _item(app, r2, "I6", "2026-03-01")
    with on("2026-02-20T10:00"):
        app.complete_action_item(r2, actor="bob", item_id=i3)
    _retro(app, "2026-01-20", "2026-Q1", team="beta")
    r3 = _retro(app, "2026-04-10", "2026-Q2")
    with on("2026-04-10T17:00"):
        app.carry_over(r2, actor="cem", item_id=i6, to_retro_id=r3)
        app.record_pulse(r3, actor="cem", dimension="safety", score="4.0", responses=4)
    return {"r1": r1, "r2": r2, "i3": i3, "i4": i4, "i6": i6}


AT = moment("2026-04-15")


def test_follow_through_in_one_period(app: Koers, retros: dict[str, Any]) -> None:
    with views_of(app) as views:
        q1 = retro_follow_through(views, "alpha", "2026-Q1", AT)
    # items I1–I6, each counted once at its latest retro in Q1: I1 done, I2 dropped, I3 done
    # (carried R1 → R2, then done), I4 open, I5 open, I6 carried into a Q2 retro
    assert q1.items == 6
    assert (q1.open, q1.done, q1.dropped, q1.carried_out) == (2, 2, 1, 1)
    assert q1.carried_over == 2  # I3, I6
    assert q1.completion_rate == "0.3333"  # 2 / 6
    assert [(i.text, i.overdue) for i in q1.open_items] == [("I4", True), ("I5", False)]
    i3 = find(q1.all_items, item_id=str(retros["i3"]))
    assert (i3.retro_id, i3.state, i3.carried_over, i3.due) == (
        str(retros["r2"]), "done", True, "2026-01-25",  # its due date, kept when carried
    )  # fmt: skip
    r1, r2 = q1.retros
    assert r1.pulse == {"safety": "4.0", "workload": "3.0"}  # safety re-recorded: the last counts
    assert (r1.health, r2.health) == ("3.50", "3.40")  # (4.0 + 3.0) / 2; (4.5 + 2.5 + 3.2) / 3
    assert q1.health_change == "-0.10"  # 3.4 - 3.5
    assert (r1.went_well, r1.to_improve, r1.ideas, r1.action_items) == (2, 1, 0, 4)
    assert r2.action_items == 3  # I3 (carried in), I5, I6


def test_follow_through_over_every_period(app: Koers, retros: dict[str, Any]) -> None:
    with views_of(app) as views:
        every = retro_follow_through(views, "alpha", None, AT)
    assert len(every.retros) == 3
    assert every.items == 6
    # I6 now ends in the Q2 retro, open (due Apr 10 → overdue at Apr 15)
    assert (every.open, every.done, every.dropped, every.carried_out) == (3, 2, 1, 0)
    assert every.completion_rate == "0.3333"
    assert find(every.open_items, item_id=str(retros["i6"])).overdue is True
    assert every.health_change == "0.60"  # 4.0 - 3.4


def test_the_last_retro_alone_is_the_last_point_of_the_whole_history(
    app: Koers, retros: dict[str, Any]
) -> None:
    with views_of(app) as views:
        every = retro_follow_through(views, "alpha", None, AT)
        last = retro_follow_through(views, "alpha", None, AT, last_only=True)
    assert last.retros == every.retros[-1:]
    last_id = every.retros[-1].retro_id
    assert last.open_items == [i for i in every.open_items if i.retro_id == last_id]
    assert last.open_items  # the Q2 retro has open items (I6 among them)
    assert last.health_change is None  # one retro: no change to report


def test_prompt_inbox_and_reflection_journal(app: Koers) -> None:
    def issue(n: int, to: str = "ann") -> UUID:
        with on(f"2026-01-0{n}T08:00"):
            return app.issue_prompt(
                actor="koers", to=to, question=f"P{n}?", kind="weekly_review",
                triggered_by=(f"weekly:{n}",),
            ).id  # fmt: skip

    p1, p2, p3, p4, p5, p6, p7 = (issue(n, "bob" if n == 7 else "ann") for n in range(1, 8))
    with on("2026-01-08T09:00"):
        app.snooze_prompt(p2, actor="ann", until=moment("2026-02-01"))
        app.snooze_prompt(p3, actor="ann", until=moment("2026-03-01"))
        app.answer_prompt(p5, actor="ann", answer="A5")
    with on("2026-01-10T09:00"):
        app.answer_prompt(p4, actor="ann", answer="A4")
        app.dismiss_prompt(p6, actor="ann", reason="not now")
    with views_of(app) as views:
        inbox = prompt_inbox(views, "ann", moment("2026-02-15"))
        journal = reflection_journal(views, "ann")
    # P1 open; P2's snooze ended Feb 1; P3 sleeps until Mar 1; P7 is bob's
    assert [i.question for i in inbox.open] == ["P1?", "P2?"]
    assert [i.question for i in inbox.snoozed] == ["P3?"]
    assert inbox.open[0].triggered_by == ["weekly:1"]
    # answers in the order they were given: P5 on Jan 8, P4 on Jan 10
    assert [(e.question, e.answer) for e in journal.entries] == [("P5?", "A5"), ("P4?", "A4")]
    assert (journal.answered, journal.dismissed, journal.unanswered) == (2, 1, 3)
    assert str(p7) not in {i.prompt_id for i in inbox.open}
    assert str(p1) == inbox.open[0].prompt_id

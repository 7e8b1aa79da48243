"""Periodic prompts: a weekly review, a monthly look-back and a quarterly retro per person,
built from that person's own events of the period; ticks every second in the live test, so
the same period's prompt is computed again and again and must exist once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from ledger.application import Koers
from tests.conftest import fresh_env
from tests.factories import ANN, BOB, decide, decision, koers, new_key_result, pinned_clock
from tests.workers.test_workers_support import prompts_of, running_workers, wait_for
from workers._periodic import Activity, period_of, question

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def test_periods_are_the_week_month_or_quarter_twelve_hours_before_the_tick() -> None:
    friday = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    week = period_of("weekly", friday, ZoneInfo("UTC"))
    assert (week.label, week.start, week.end) == (
        "2026-W48",
        datetime(2026, 11, 23, tzinfo=UTC),
        datetime(2026, 11, 30, tzinfo=UTC),
    )
    first = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # 09:00 in Amsterdam
    month = period_of("monthly", first, AMSTERDAM)
    assert month.label == "2026-11"
    assert month.span == "in November 2026"
    assert month.start == datetime(2026, 11, 1, tzinfo=AMSTERDAM)
    quarter = period_of("quarterly", datetime(2027, 1, 1, 8, tzinfo=UTC), AMSTERDAM)
    assert (quarter.label, quarter.end) == ("2026-Q4", datetime(2027, 1, 1, tzinfo=AMSTERDAM))
    assert period_of("weekly", datetime(2027, 1, 4, 9, tzinfo=UTC), AMSTERDAM).label == "2026-W53"


def test_questions_come_from_the_persons_own_record() -> None:
    week = period_of("weekly", datetime(2026, 11, 27, 16, tzinfo=UTC), ZoneInfo("UTC"))
    assert (
        question(week, Activity(decisions=3, one_way=2), 80)
        == "3 decisions this week, 2 one-way doors: which would you revisit?"
    )
    assert question(week, Activity(check_ins=2, low_confidence=1), 80) == (
        "2 check-ins this week, 1 with confidence 4 or lower: "
        "what would it take to raise your confidence?"
    )
    month = period_of("monthly", datetime(2026, 12, 1, 9, tzinfo=UTC), ZoneInfo("UTC"))
    assert question(month, Activity(other=1, answers=2), 80).startswith(
        "2 reflections answered in November 2026: looking back"
    )


def _record_a_week(app: Koers, at: datetime) -> None:
    with pinned_clock(at):
        for door in ("one_way", "one_way", "two_way"):
            opened = app.open_decision(
                actor=ANN, **decision(reversibility=door, decide_by=at.date())
            )
            app.decide(opened.id, actor=ANN, **decide(review_on=at.date() + timedelta(days=60)))
        kr = new_key_result(app, owner=BOB)
        for confidence in (7, 3):
            app.check_in(kr, actor=BOB, value="12", confidence=confidence, as_of=at)


def test_every_person_gets_one_weekly_monthly_and_quarterly_prompt_of_their_own() -> None:
    env = fresh_env()
    every_second = "* * * * * *"
    crons = {"weekly": every_second, "monthly": every_second, "quarterly": every_second}
    with koers(env) as app:
        # the week is recorded before the workers start: a tick that ran while it was being
        # written would ask about a part of it (and a period is asked about once)
        _record_a_week(app, datetime.now(UTC) - timedelta(hours=12))
        with running_workers(env, crons=crons) as workers:

            def all_three() -> bool:
                kinds = {(p.kind, p.to) for p in prompts_of(app)}
                wanted = {"weekly_review", "monthly_lookback", "quarterly_retro"}
                return all((kind, who) in kinds for kind in wanted for who in (ANN, BOB))

            wait_for(all_three, what="six periodic prompts")
            wait_for(
                lambda: _replayed(workers.metrics_text()) >= 4,
                what="the ticks computed the same prompts again",
            )
            (anns,) = prompts_of(app, "weekly_review", ANN)
            assert (
                anns.question == "3 decisions this week, 2 one-way doors: which would you revisit?"
            )
            assert anns.triggered_by[0].startswith("weekly:")
            assert len(anns.triggered_by) > 6
            (bobs,) = prompts_of(app, "weekly_review", BOB)
            assert bobs.question.startswith("2 check-ins this week, 1 with confidence 4 or lower")
            (monthly,) = prompts_of(app, "monthly_lookback", ANN)
            assert monthly.question.startswith("3 decisions in ")
            assert len(prompts_of(app, "quarterly_retro")) == 2
            assert {p.to for p in prompts_of(app)} <= {ANN, BOB}  # the workers' own are left out


def _replayed(metrics: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith('koers_worker_prompts_replayed_total{kind="weekly_review"}')
    )

"""Plan the decisions of the story: opened, informed, linked, scored, approved, decided,
positions taken, reviewed, reversed or superseded, each at its moment in the quarter."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from ledger.demo._ids import (
    action_item_id,
    decision_id,
    delegation_id,
    key_result_id,
    objective_id,
    retro_id,
)
from ledger.demo._plan import Plan, Thread
from ledger.demo._specs import AfterToday, DecisionSpec, Made, Ref, ReviewSpec, ScoreSpec
from ledger.demo._story import read

if TYPE_CHECKING:
    from uuid import UUID

    from ledger.demo._plan import Week

__all__ = ["DECISIONS", "plan_decisions"]

DECISIONS: tuple[DecisionSpec, ...] = read("decisions.toml", "decision", DecisionSpec)


def plan_decisions(plan: Plan) -> None:
    for spec in DECISIONS:
        d = Thread(plan, "decision", spec.slug, decision_id(spec.slug), spec.decider)
        day = plan.quarter.day
        d.begin(spec.opened, "decision opened", "open_decision", spec,
                information_level=spec.information, decide_by=day(spec.decide_by))  # fmt: skip
        for n, ref in enumerate(spec.links):
            _link(d, spec, n, ref)
        _prepare(d, spec)
        if spec.made:
            _decide(d, spec.made)
        if spec.review:
            _review(d, spec.review)
        _end(d, spec)


def _target(ref: Ref) -> tuple[UUID, UUID | None]:
    if ref.kind == "objective":
        return objective_id(ref.slug), None
    if ref.kind == "key_result":
        return key_result_id(ref.slug), None
    if ref.kind == "delegation":
        return delegation_id(ref.slug), None
    return retro_id(ref.slug), action_item_id(ref.slug, ref.item)


def _link(d: Thread, spec: DecisionSpec, n: int, ref: Ref) -> None:
    target, item = _target(ref)
    name = f"{ref.kind}-{ref.slug}" + (f"-{ref.item}" if ref.item else "")
    d.then(ref.at or spec.opened.later(1 + n), f"link/{name}", "decision linked", "link_decision",
           kind=ref.kind, target_id=target, item_id=item)  # fmt: skip


def _prepare(d: Thread, spec: DecisionSpec) -> None:
    """What happens before the call: an option added, information updated, options scored,
    the approval, the consulted people's positions."""
    if spec.option_added:
        when, option = spec.option_added
        d.then(when, f"option/{option.key}", "option added", "add_option", option=option)
    if spec.information_update:
        when, level, note = spec.information_update
        d.then(when, "information", "information updated", "update_information",
               information_level=level, note=note)  # fmt: skip
    for score in spec.scores:
        _score(d, score)
    if spec.approved:
        when, note = spec.approved
        d.then(
            when, "approve", "decision approved", "approve_decision", actor=spec.approver, note=note
        )
    for p in spec.positions:
        d.then(p.when, f"position/{p.by}", "position taken", "take_position", spec=p, actor=p.by)


def _score(d: Thread, score: ScoreSpec) -> None:
    for n, (criterion, value) in enumerate(score.cells):
        d.then(score.when.later(n), f"score/{score.by}/{score.option}/{criterion}", "option scored",
               "score_decision", actor=score.by, option=score.option, criterion=criterion,
               score=value)  # fmt: skip


def _review_date(d: Thread, review_on: Week | AfterToday) -> date:
    if isinstance(review_on, AfterToday):
        return d.plan.quarter.today + timedelta(days=review_on.days)
    return d.plan.quarter.day(review_on)


def _decide(d: Thread, made: Made) -> None:
    d.then(made.when, "decide", "decision made", "decide", spec=made,
           expected_outcome=made.expected, review_on=_review_date(d, made.review_on))  # fmt: skip


def _review(d: Thread, review: ReviewSpec) -> None:
    d.then(review.when, "review", "decision reviewed", "review_decision", spec=review,
           outcome_quality=review.outcome, process_quality=review.process)  # fmt: skip


def _end(d: Thread, spec: DecisionSpec) -> None:
    """Reversed, or superseded by another decision."""
    if spec.reversed:
        when, reason = spec.reversed
        d.then(when, "reverse", "decision reversed", "reverse_decision", reason=reason)
    if spec.superseded:
        when, by, reason = spec.superseded
        d.then(when, "supersede", "decision superseded", "supersede_decision",
               by_decision_id=decision_id(by), reason=reason)  # fmt: skip

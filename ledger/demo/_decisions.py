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
from ledger.demo._plan import Plan, Week, command, demo_key, from_spec
from ledger.demo._specs import (
    AfterToday,
    DecisionSpec,
    Made,
    PositionSpec,
    Ref,
    ReviewSpec,
    ScoreSpec,
)
from ledger.demo._story import read

if TYPE_CHECKING:
    from uuid import UUID

    from ledger.domain import Option

__all__ = ["DECISIONS", "plan_decisions"]

DECISIONS: tuple[DecisionSpec, ...] = read("decisions.toml", "decision", DecisionSpec)


def plan_decisions(plan: Plan) -> None:
    for spec in DECISIONS:
        _open(plan, spec)
        for n, ref in enumerate(spec.links):
            _link(plan, spec, n, ref)
        if spec.option_added:
            _add_option(plan, spec, *spec.option_added)
        if spec.information_update:
            _update_information(plan, spec, spec.information_update)
        for score in spec.scores:
            _score(plan, spec, score)
        if spec.approved:
            _approve(plan, spec, *spec.approved)
        for position in spec.positions:
            _take_position(plan, spec, position)
        if spec.made:
            _decide(plan, spec, spec.made)
        if spec.review:
            _review(plan, spec, spec.review)
        if spec.reversed:
            _reverse(plan, spec, *spec.reversed)
        if spec.superseded:
            _supersede(plan, spec, spec.superseded)


def _key(spec: DecisionSpec, *parts: str) -> str:
    return demo_key("decision", spec.slug, *parts)


def _open(plan: Plan, spec: DecisionSpec) -> None:
    open_it = from_spec(
        "open_decision",
        spec,
        actor=spec.decider,
        information_level=spec.information,
        decide_by=plan.quarter.day(spec.decide_by),
    )
    plan.add(spec.opened, _key(spec), "decision opened", open_it)


def _target(ref: Ref) -> tuple[UUID, UUID | None]:
    if ref.kind == "objective":
        return objective_id(ref.slug), None
    if ref.kind == "key_result":
        return key_result_id(ref.slug), None
    if ref.kind == "delegation":
        return delegation_id(ref.slug), None
    return retro_id(ref.slug), action_item_id(ref.slug, ref.item)


def _link(plan: Plan, spec: DecisionSpec, n: int, ref: Ref) -> None:
    target, item = _target(ref)
    link = command(
        "link_decision",
        decision_id(spec.slug),
        actor=spec.decider,
        kind=ref.kind,
        target_id=target,
        item_id=item,
    )
    when = ref.at or spec.opened.later(1 + n)
    name = f"{ref.kind}-{ref.slug}" + (f"-{ref.item}" if ref.item else "")
    plan.add(when, _key(spec, "link", name), "decision linked", link)


def _add_option(plan: Plan, spec: DecisionSpec, when: Week, option: Option) -> None:
    add = command("add_option", decision_id(spec.slug), actor=spec.decider, option=option)
    plan.add(when, _key(spec, "option", option.key), "option added", add)


def _update_information(plan: Plan, spec: DecisionSpec, change: tuple[Week, int, str]) -> None:
    when, level, note = change
    update = command(
        "update_information",
        decision_id(spec.slug),
        actor=spec.decider,
        information_level=level,
        note=note,
    )
    plan.add(when, _key(spec, "information"), "information updated", update)


def _score(plan: Plan, spec: DecisionSpec, score: ScoreSpec) -> None:
    for n, (criterion, value) in enumerate(score.cells):
        scored = command("score_decision", decision_id(spec.slug), actor=score.by,
                         option=score.option, criterion=criterion, score=value)  # fmt: skip
        key = _key(spec, "score", score.by, score.option, criterion)
        plan.add(score.when.later(n), key, "option scored", scored)


def _approve(plan: Plan, spec: DecisionSpec, when: Week, note: str) -> None:
    approve = command("approve_decision", decision_id(spec.slug), actor=spec.approver, note=note)
    plan.add(when, _key(spec, "approve"), "decision approved", approve)


def _take_position(plan: Plan, spec: DecisionSpec, position: PositionSpec) -> None:
    take = from_spec("take_position", position, decision_id(spec.slug), actor=position.by)
    plan.add(position.when, _key(spec, "position", position.by), "position taken", take)


def _review_date(plan: Plan, review_on: Week | AfterToday) -> date:
    if isinstance(review_on, AfterToday):
        return plan.quarter.today + timedelta(days=review_on.days)
    return plan.quarter.day(review_on)


def _decide(plan: Plan, spec: DecisionSpec, made: Made) -> None:
    decide = from_spec(
        "decide",
        made,
        decision_id(spec.slug),
        actor=spec.decider,
        expected_outcome=made.expected,
        review_on=_review_date(plan, made.review_on),
    )
    plan.add(made.when, _key(spec, "decide"), "decision made", decide)


def _review(plan: Plan, spec: DecisionSpec, review: ReviewSpec) -> None:
    review_it = from_spec(
        "review_decision",
        review,
        decision_id(spec.slug),
        actor=spec.decider,
        outcome_quality=review.outcome,
        process_quality=review.process,
    )
    plan.add(review.when, _key(spec, "review"), "decision reviewed", review_it)


def _reverse(plan: Plan, spec: DecisionSpec, when: Week, reason: str) -> None:
    reverse = command("reverse_decision", decision_id(spec.slug), actor=spec.decider, reason=reason)
    plan.add(when, _key(spec, "reverse"), "decision reversed", reverse)


def _supersede(plan: Plan, spec: DecisionSpec, superseded: tuple[Week, str, str]) -> None:
    when, by, reason = superseded
    supersede = command(
        "supersede_decision",
        decision_id(spec.slug),
        actor=spec.decider,
        by_decision_id=decision_id(by),
        reason=reason,
    )
    plan.add(when, _key(spec, "supersede"), "decision superseded", supersede)

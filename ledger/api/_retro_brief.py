"""The retro brief: what a team's retro needs, in one answer, from the views.

- **Open action items** of the team's earlier retros (each item's latest instance);
- **key-result movement since the last retro** (the latest retro held on or before the
  brief's moment): each key result of the quarter, its value, progress and confidence
  before that retro's day against now, and how many check-ins came since;
- **decisions due for review**: decided, review date arrived, not reviewed, opened in this
  quarter or the three before it;
- **overdue delegations** (past their due date) delegated by or to the team's people.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from decimal import Decimal

from projections import decision_quality, delegation_board, okr_progress, retro_follow_through
from projections.decision_quality import DecisionRef
from projections.delegation_board import DelegationCard
from projections.okr import KeyResultProgress
from projections.retro_follow_through import ActionItem, RetroPoint
from projections.views import KoersViews

__all__ = ["KeyResultMovement", "RetroBrief", "retro_brief"]

FOUR_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class KeyResultMovement:
    key_result_id: str
    objective_id: str
    title: str
    owner: str
    unit: str
    status: str
    track: str | None
    value_then: str | None
    value_now: str | None
    progress_then: str | None
    progress_now: str
    progress_change: str | None
    confidence_then: int | None
    confidence_now: int | None
    check_ins_since: int
    stale: bool


@dataclass(frozen=True)
class RetroBrief:
    team: str
    period: str
    at: str
    position: int
    last_retro: RetroPoint | None
    since: str | None  # the day of the last retro: movement is measured from it
    open_action_items: list[ActionItem]
    key_results: list[KeyResultMovement]
    decisions_due_for_review: list[DecisionRef]
    overdue_delegations: list[DelegationCard]


#: What a movement tells as the key result's progress does (id, title, owner, status, ...).
_AS_IN_PROGRESS = [
    f for f in fields(KeyResultMovement) if f.name in {p.name for p in fields(KeyResultProgress)}
]


def previous_quarters(period: str, count: int) -> list[str]:
    """``period`` and the ``count`` quarters before it, newest first."""
    year, quarter = int(period[:4]), int(period[-1])
    out = []
    for _ in range(count + 1):
        out.append(f"{year:04d}-Q{quarter}")
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    return out


def _movement(kr: KeyResultProgress, since: date | None) -> KeyResultMovement:
    before = [p for p in kr.history if since is None or p.as_of[:10] < since.isoformat()]
    after = len(kr.history) - len(before) if since is not None else len(kr.history)
    then = before[-1] if before and since is not None else None
    change = None
    if then is not None:
        change = str((Decimal(kr.progress) - Decimal(then.progress)).quantize(FOUR_PLACES))
    return KeyResultMovement(
        **{f.name: getattr(kr, f.name) for f in _AS_IN_PROGRESS},
        value_then=then.value if then else None,
        value_now=kr.current,
        progress_then=then.progress if then else None,
        progress_now=kr.progress,
        progress_change=change,
        confidence_then=then.confidence if then else None,
        confidence_now=kr.confidence,
        check_ins_since=after,
    )


def retro_brief(views: KoersViews, team: str, period: str, people: list[str]) -> RetroBrief:
    moment = (views.as_of or datetime.now(UTC)).astimezone(UTC)
    retros = retro_follow_through(views, team, at=moment)
    held = [r for r in retros.retros if r.held_on <= moment.date().isoformat()]
    last = held[-1] if held else None
    since = date.fromisoformat(last.held_on) if last else None
    okr = okr_progress(views, team, period, at=moment)
    krs = [kr for o in okr.objectives for kr in o.key_results]
    due: dict[str, DecisionRef] = {}
    for quarter in previous_quarters(period, 3):
        for ref in decision_quality(views, team, quarter, at=moment).awaiting_review:
            due.setdefault(ref.decision_id, ref)
    members = set(people)
    members.update(o.owner for o in okr.objectives)
    members.update(kr.owner for kr in krs)
    members.update(r.facilitator for r in retros.retros)
    members.update(i.owner for i in retros.all_items)
    members.update(ref.decider for ref in due.values())
    board = delegation_board(views, at=moment)
    overdue = [
        card
        for row in board.owners
        for card in row.delegations
        if card.overdue and (card.owner in members or card.delegator in members)
    ]
    return RetroBrief(
        team=team,
        period=period,
        at=okr.at,
        position=views.position,
        last_retro=last,
        since=last.held_on if last else None,
        open_action_items=retros.open_items,
        key_results=[_movement(kr, since) for kr in krs],
        decisions_due_for_review=sorted(due.values(), key=lambda r: r.review_on or ""),
        overdue_delegations=sorted(overdue, key=lambda c: c.due),
    )

"""My day (``/``): what is waiting for me, each with its action in place.

Everything comes from the views, as the API reads them, in one read: the prompts to answer
(:func:`projections.prompt_inbox`), the check-ins due on my key results
(:func:`projections.okr_progress` of this quarter: open, mine, stale), on my delegations and
the acknowledgements I owe as delegator (:func:`projections.delegation_board`), the decisions
I must decide or review, and my open retro actions
(:func:`projections.retro_follow_through`). Only the teams I may look at are read, as the
API's ``see_team`` would allow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ledger.api import in_thread, koers_of
from ledger.domain import COMMANDS
from ledger.web._forms import Form, form_of
from ledger.web._reads import at_of, read_view
from ledger.web._render import render, visible_teams
from ledger.web._session import Viewer
from projections import (
    KoersViews,
    delegation_board,
    okr_progress,
    prompt_inbox,
    retro_follow_through,
)
from projections._numbers import quarter_of
from projections.delegation_board import DelegationCard
from projections.okr import KeyResultProgress
from projections.prompts import InboxItem
from projections.retro_follow_through import ActionItem

__all__ = ["Waiting", "router", "waiting_for"]

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Unacknowledged:
    """A check-in an owner sent on a delegation I made, waiting for my acknowledgement."""

    check_in_id: str
    checked_in_at: str
    status: str
    card: DelegationCard


@dataclass(frozen=True)
class DecisionDue:
    """A decision I am the decider of: to decide (open) or to review (its date arrived)."""

    decision_id: str
    team: str
    question: str
    open: bool  # to decide; else to review
    due: str  # decide by, or review on


@dataclass(frozen=True)
class Waiting:
    """What is waiting for one person, at ``at`` (the views' moment)."""

    at: str
    period: str
    prompts: list[InboxItem]
    key_results: list[KeyResultProgress]
    delegations: list[DelegationCard]
    acknowledgements: list[Unacknowledged]
    to_decide: list[DecisionDue]
    to_review: list[DecisionDue]
    actions: list[ActionItem]

    @property
    def count(self) -> int:
        parts = (self.prompts, self.key_results, self.delegations, self.acknowledgements,
                 self.to_decide, self.to_review, self.actions)  # fmt: skip
        return sum(len(part) for part in parts)


def _decisions(views: KoersViews, handle: str, teams: list[str], today: str) -> list[DecisionDue]:
    rows = views.rows(
        "SELECT * FROM decisions WHERE decider = ? AND status IN ('open', 'decided') "
        "ORDER BY position",
        handle,
    )
    return [
        DecisionDue(
            r["decision_id"],
            r["team"],
            r["question"],
            r["status"] == "open",
            r["decide_by"] if r["status"] == "open" else r["review_on"],
        )
        for r in rows
        if r["team"] in teams and (r["status"] == "open" or r["review_on"] <= today)
    ]


def _unacknowledged(views: KoersViews, cards: list[DelegationCard]) -> list[Unacknowledged]:
    by_id = {c.delegation_id: c for c in cards if c.unacknowledged}
    if not by_id:
        return []
    marks = ", ".join("?" for _ in by_id)
    rows = views.rows(
        f"SELECT * FROM delegation_check_ins WHERE acknowledged_at IS NULL "
        f"AND delegation_id IN ({marks}) ORDER BY position",
        *by_id,
    )
    return [Unacknowledged(r["check_in_id"], r["checked_in_at"], r["status"],
                           by_id[r["delegation_id"]]) for r in rows]  # fmt: skip


def waiting_for(views: KoersViews, handle: str, teams: list[str]) -> Waiting:
    """What waits for ``handle`` in ``teams`` (those the person may look at)."""
    board = delegation_board(views, involving=handle)
    at = datetime.fromisoformat(board.at).astimezone(UTC)
    period = quarter_of(at)
    cards = [c for row in board.owners for c in row.delegations]
    key_results = [
        kr
        for team in teams
        for objective in okr_progress(views, team, period, at=at).objectives
        for kr in objective.key_results
        if kr.owner == handle and kr.status == "open" and kr.stale
    ]
    actions = [
        item
        for team in teams
        for item in retro_follow_through(views, team, at=at).open_items
        if item.owner == handle
    ]
    decisions = _decisions(views, handle, teams, at.date().isoformat())
    return Waiting(
        at=board.at,
        period=period,
        prompts=prompt_inbox(views, handle, at=at).open,
        key_results=key_results,
        delegations=[c for c in cards if c.owner == handle and c.check_in_overdue],
        acknowledgements=_unacknowledged(views, [c for c in cards if c.delegator == handle]),
        to_decide=[d for d in decisions if d.open],
        to_review=[d for d in decisions if not d.open],
        actions=sorted(actions, key=lambda i: i.due),
    )


def _forms(waiting: Waiting) -> dict[str, list[Form]]:
    """Each waiting thing's action in place, by what it acts on; back to My day after."""
    forms: dict[str, list[Form]] = {}
    for prompt in waiting.prompts:
        forms[prompt.prompt_id] = [form_of(COMMANDS["prompt.answer"], target=prompt.prompt_id)]
    for kr in waiting.key_results:
        forms[kr.key_result_id] = [form_of(COMMANDS["key_result.check_in"],
                                           target=kr.key_result_id)]  # fmt: skip
    for card in waiting.delegations:
        forms[card.delegation_id] = [form_of(COMMANDS["delegation.check_in"],
                                             target=card.delegation_id)]  # fmt: skip
    for ack in waiting.acknowledgements:
        forms[ack.check_in_id] = [form_of(COMMANDS["delegation.ack"],
                                          target=ack.card.delegation_id,
                                          fixed={"check_in_id": ack.check_in_id})]  # fmt: skip
    for decision in [*waiting.to_decide, *waiting.to_review]:
        command = COMMANDS["decision.decide" if decision.open else "decision.review"]
        forms[decision.decision_id] = [form_of(command, target=decision.decision_id)]
    for item in waiting.actions:
        forms[item.item_id] = [form_of(COMMANDS["retro.done"], target=item.retro_id,
                                       fixed={"item_id": item.item_id})]  # fmt: skip
    return forms


@router.get("/")
async def my_day(request: Request, me: Viewer) -> Response:
    """What is waiting for me, each with its action folded in place."""
    teams = await in_thread(visible_teams, koers_of(request), me.handle)
    waiting, problem = await read_view(
        request, lambda v: waiting_for(v, me.handle, teams), at_of(request)
    )
    forms = _forms(waiting) if waiting is not None else {}
    return await render(request, me, "day.html", title="My day", waiting=waiting, forms=forms,
                        banner=problem)  # fmt: skip

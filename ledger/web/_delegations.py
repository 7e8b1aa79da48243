"""Delegations: my board (``/me/delegations``: what I own, what I delegated) and one
delegation (``/delegation/<id>``): its brief, check-ins and acknowledgements, and the forms
of who may act on it (the owner checks in; the delegator acknowledges, completes, revokes;
both renegotiate).

The board is ``GET /delegation-board`` (:func:`projections.delegation_board`, the asker's own
delegations); one delegation is read as ``GET /delegations/<id>`` and its history as
``GET /delegations/<id>/history`` read them: who may not read it gets 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ledger.api import in_thread, koers_of
from ledger.domain import COMMANDS
from ledger.domain.delegations import Delegation, DelegationStatus
from ledger.errors import KoersError
from ledger.web._forms import Form, form_of
from ledger.web._reads import at_of, read_view
from ledger.web._render import render
from ledger.web._session import Viewer
from ledger.web._things import not_found, readable
from projections import delegation_board
from projections.delegation_board import DelegationBoard, DelegationCard

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Board:
    """Mine as owner (the API's board) and those I delegated to others."""

    mine: DelegationBoard
    delegated: list[DelegationCard]


@router.get("/me/delegations")
async def board_page(request: Request, me: Viewer) -> Response:
    """The delegations I own, those I delegated, and the form to delegate."""

    def read(views: Any) -> Board:
        everyone = delegation_board(views)
        cards = [c for row in everyone.owners for c in row.delegations if c.delegator == me.handle]
        return Board(delegation_board(views, owner=me.handle), cards)

    board, problem = await read_view(request, read, at_of(request))
    delegate = form_of(COMMANDS["delegation.create"], next="/me/delegations")
    return await render(request, me, "delegations.html", title="Delegations", board=board,
                        delegate=delegate, banner=problem)  # fmt: skip


@dataclass
class CheckIn:
    """One check-in of the owner and, once given, the delegator's acknowledgement."""

    check_in_id: str
    at: Any
    status: str
    progress: str
    acknowledged_at: Any = None
    note: str = ""
    forms: list[Form] = field(default_factory=list)


#: What a renegotiation, a completion or a revocation says.
_CHANGED = ("reason", "due", "boundaries", "level", "feedback", "feedforward")


def _story(events: list[Any]) -> tuple[list[CheckIn], list[dict[str, Any]]]:
    """The check-ins (with their acknowledgements) and the other changes, oldest first."""
    check_ins: dict[str, CheckIn] = {}
    changes: list[dict[str, Any]] = []
    for event in events[1:]:
        if isinstance(event, Delegation.CheckedIn):
            check_ins[str(event.check_in_id)] = CheckIn(
                str(event.check_in_id), event.timestamp, event.status.value, event.progress
            )
        elif isinstance(event, Delegation.CheckInAcknowledged):
            entry = check_ins[str(event.check_in_id)]
            entry.acknowledged_at, entry.note = event.timestamp, event.note
        else:
            fields = {k: getattr(v, "value", v) for k, v in vars(event).items()
                      if k in _CHANGED}  # fmt: skip
            changes.append({"what": type(event).__name__.lower(), "at": event.timestamp,
                            "actor": event.actor, "fields": fields})  # fmt: skip
    return list(check_ins.values()), changes


def _forms(d: Delegation, me: str, check_ins: list[CheckIn]) -> list[Form]:
    """The forms ``me`` may use on an active delegation (acknowledging sits by its check-in)."""
    if d.status is not DelegationStatus.ACTIVE:
        return []
    here = f"/delegation/{d.id}"
    names = []
    if me == d.owner:
        names.append("delegation.check_in")
    if me in (d.owner, d.delegator):
        names.append("delegation.renegotiate")
    if me == d.delegator:
        names += ["delegation.complete", "delegation.revoke"]
        for entry in check_ins:
            if entry.acknowledged_at is None:
                entry.forms.append(form_of(COMMANDS["delegation.ack"], target=str(d.id),
                                           next=here,
                                           fixed={"check_in_id": entry.check_in_id}))  # fmt: skip
    return [form_of(COMMANDS[name], target=str(d.id), next=here) for name in names]


def _card(board: DelegationBoard, delegation_id: str) -> DelegationCard | None:
    found = [c for row in board.owners for c in row.delegations
             if c.delegation_id == delegation_id]  # fmt: skip
    return found[0] if found else None


@router.get("/delegation/{delegation_id}")
async def delegation_page(request: Request, delegation_id: str, me: Viewer) -> Response:
    """One delegation: the brief, its rhythm, check-ins and acknowledgements, what changed."""
    delegation, problem = await readable(request, me, "delegation", Delegation, delegation_id)
    if delegation is None:
        return await not_found(request, me, "There is no such delegation, or it is not yours: "
                               "a delegation is for its delegator and owner.",
                               problem)  # fmt: skip
    try:
        events = await in_thread(koers_of(request).event_history, delegation.id)
    except KoersError as e:
        events, problem = [], str(e)
    check_ins, changes = _story(events)
    forms = _forms(delegation, me.handle, check_ins)
    board, later = await read_view(request, delegation_board, at_of(request))
    card = _card(board, str(delegation.id)) if board else None
    return await render(request, me, "delegation.html", title=delegation.title,
                        d=delegation, card=card, check_ins=check_ins, changes=changes,
                        forms=forms, banner=problem or later)  # fmt: skip

"""The delegation board (docs/metrics.md §3), each number worked out by hand.

Evaluated at 2026-02-15T00:00Z.
"""

from __future__ import annotations

import uuid
from datetime import date
from uuid import UUID

import pytest

from ledger.application import Koers
from projections import delegation_board
from projections.delegation_board import DelegationBoard
from tests.views.test_views_support import app, find, moment, on, views_of

__all__ = ["app"]

AT = moment("2026-02-15")


def _delegate(  # noqa: PLR0917
    app: Koers, delegator: str, owner: str, title: str, cadence: int, due: str
) -> UUID:
    return app.delegate(
        actor=delegator, delegator=delegator, owner=owner, title=title, why="w",
        desired_result="r", level="consult", cadence_days=cadence, due=date.fromisoformat(due),
    ).id  # fmt: skip


def _check_in(app: Koers, d: UUID, owner: str, when: str) -> UUID:
    with on(when):
        app.delegation_check_in(d, actor=owner, status="on_track", progress="p", key=when)
    return uuid.uuid5(d, when)


@pytest.fixture
def board(app: Koers) -> DelegationBoard:
    with on("2026-01-01T00:00"):
        d1 = _delegate(app, "ann", "bob", "D1", 7, "2026-02-10")
        d4 = _delegate(app, "ann", "dan", "D4", 7, "2026-03-01")
    first = _check_in(app, d1, "bob", "2026-01-03T10:00")  # window 0 (Jan 1–8)
    second = _check_in(app, d1, "bob", "2026-01-05T10:00")  # window 0 again
    _check_in(app, d1, "bob", "2026-01-16T10:00")  # window 2 (Jan 15–22)
    _check_in(app, d1, "bob", "2026-01-30T10:00")  # window 4 (Jan 29–Feb 5)
    with on("2026-01-31T10:00"):
        for check_in in (first, second):
            app.acknowledge_check_in(d1, actor="ann", check_in_id=check_in)
        app.complete_delegation(d4, actor="ann", feedback="good", feedforward="next time: earlier")
    with on("2026-02-01T00:00"):
        d2 = _delegate(app, "ann", "bob", "D2", 14, "2026-03-31")
    _check_in(app, d2, "bob", "2026-02-10T00:00")  # window 0 (Feb 1–15)
    with on("2026-02-12T00:00"):
        d3 = _delegate(app, "cara", "dan", "D3", 7, "2026-02-28")
    with on("2026-02-13T00:00"):
        app.renegotiate(d3, actor="dan", reason="waiting on legal", due=date(2026, 3, 15))
    with views_of(app) as views:
        return delegation_board(views, AT)


def test_a_card_with_overdue_work_and_missed_check_ins(board: DelegationBoard) -> None:
    bob = find(board.owners, owner="bob")
    d1 = find(bob.delegations, title="D1")
    assert (d1.overdue, d1.days_overdue) == (True, 5)  # due Feb 10, at Feb 15
    assert d1.check_ins == 4
    assert d1.unacknowledged == 2  # the first two were acknowledged
    assert d1.last_check_in == "2026-01-30T10:00:00.000000+00:00"
    assert d1.next_check_in_due == "2026-02-06T10:00:00.000000+00:00"  # Jan 30 + 7 days
    assert d1.check_in_overdue is True  # Feb 15 > Feb 6
    # 45 days since Jan 1 → 6 whole 7-day windows (0–5); check-ins fall in windows 0, 0, 2, 4
    assert (d1.windows, d1.windows_with_check_in, d1.adherence) == (6, 3, "0.5000")


def test_owner_rows_pool_their_delegations(board: DelegationBoard) -> None:
    assert [o.owner for o in board.owners] == ["bob", "dan"]  # D4 (dan) is completed
    bob = find(board.owners, owner="bob")
    assert [d.title for d in bob.delegations] == ["D1", "D2"]  # by due date
    d2 = find(bob.delegations, title="D2")
    assert (d2.windows, d2.windows_with_check_in, d2.adherence) == (1, 1, "1.0000")  # 14 // 14
    assert d2.check_in_overdue is False  # next due Feb 24
    assert (bob.open, bob.overdue, bob.check_in_overdue) == (2, 1, 1)
    assert (bob.windows, bob.windows_with_check_in, bob.adherence) == (7, 4, "0.5714")  # 4 / 7
    (d3,) = find(board.owners, owner="dan").delegations
    assert (d3.due, d3.overdue, d3.renegotiations) == ("2026-03-15", False, 1)
    assert (d3.windows, d3.adherence, d3.check_in_overdue) == (0, None, False)  # 3 days old
    assert (board.open, board.overdue) == (3, 1)


def test_one_owner_only(app: Koers, board: DelegationBoard) -> None:
    with views_of(app) as views:
        only = delegation_board(views, AT, owner="dan")
    assert [o.owner for o in only.owners] == ["dan"]
    assert only.open == 1

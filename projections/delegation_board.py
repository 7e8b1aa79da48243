"""The delegation board: open delegations per owner (docs/metrics.md §3)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from projections._numbers import r4, ratio
from projections._query import columns, evaluated_at, rows_in, stamp
from projections._sql import Row, parse_moment
from projections.views import KoersViews

__all__ = ["DelegationBoard", "DelegationCard", "OwnerRow", "delegation_board"]


@dataclass(frozen=True)
class DelegationCard:
    delegation_id: str
    title: str
    delegator: str
    owner: str
    level: str
    cadence_days: int
    due: str
    delegated_at: str
    overdue: bool
    days_overdue: int
    renegotiations: int
    check_ins: int
    last_check_in: str | None
    last_status: str | None
    unacknowledged: int
    next_check_in_due: str
    check_in_overdue: bool
    windows: int
    windows_with_check_in: int
    adherence: str | None


@dataclass(frozen=True)
class OwnerRow:
    owner: str
    open: int
    overdue: int
    check_in_overdue: int
    windows: int
    windows_with_check_in: int
    adherence: str | None
    delegations: list[DelegationCard]


@dataclass(frozen=True)
class DelegationBoard:
    at: str
    position: int
    open: int
    overdue: int
    owners: list[OwnerRow]


def delegation_board(
    views: KoersViews,
    at: datetime | None = None,
    owner: str | None = None,
    owners: Collection[str] | None = None,
    involving: str | None = None,
) -> DelegationBoard:
    """Active delegations grouped by owner (one owner's only, if ``owner`` is given; those
    of ``owners`` only, a team's people say, if they are given; those a person owns or
    delegated, with ``involving``)."""
    moment = evaluated_at(views, at)
    chosen = {owner} if owner is not None else set(owners) if owners is not None else None
    if chosen is None:
        rows = views.rows("SELECT * FROM delegations WHERE status = 'active' ORDER BY position")
    else:
        rows = [r for r in rows_in(views, "delegations", "owner", sorted(chosen))
                if r["status"] == "active"]  # fmt: skip
    if owner is not None and owners is not None:
        rows = [r for r in rows if r["owner"] in owners]
    if involving is not None:
        rows = [r for r in rows if involving in (r["owner"], r["delegator"])]
    check_ins: dict[str, list[Row]] = defaultdict(list)
    ids = [r["delegation_id"] for r in rows]
    for c in rows_in(views, "delegation_check_ins", "delegation_id", ids):
        check_ins[c["delegation_id"]].append(c)
    cards = [_card(r, check_ins[r["delegation_id"]], moment) for r in rows]
    by_owner: dict[str, list[DelegationCard]] = defaultdict(list)
    for card in sorted(cards, key=lambda c: c.due):  # stable: ties keep the delegation order
        by_owner[card.owner].append(card)
    return DelegationBoard(
        at=stamp(moment),
        position=views.position,
        open=len(cards),
        overdue=sum(c.overdue for c in cards),
        owners=[_owner(name, by_owner[name]) for name in sorted(by_owner)],
    )


def _owner(name: str, cards: list[DelegationCard]) -> OwnerRow:
    windows = sum(c.windows for c in cards)
    hit = sum(c.windows_with_check_in for c in cards)
    return OwnerRow(
        owner=name,
        open=len(cards),
        overdue=sum(c.overdue for c in cards),
        check_in_overdue=sum(c.check_in_overdue for c in cards),
        windows=windows,
        windows_with_check_in=hit,
        adherence=r4(ratio(hit, windows)),
        delegations=cards,
    )


def _card(row: Row, check_ins: list[Row], at: datetime) -> DelegationCard:
    start = parse_moment(row["delegated_at"])
    cadence = timedelta(days=int(row["cadence_days"]))
    times = sorted(parse_moment(c["checked_in_at"]) for c in check_ins)
    windows = max(0, (at - start) // cadence)
    hit = len({(t - start) // cadence for t in times} & set(range(windows)))
    last = max(check_ins, key=lambda c: int(c["position"])) if check_ins else None
    next_due = (times[-1] if times else start) + cadence
    due = date.fromisoformat(row["due"])
    return DelegationCard(
        **columns(row, "delegation_id", "title", "delegator", "owner", "level", "due"),
        cadence_days=int(row["cadence_days"]),
        delegated_at=row["delegated_at"],
        overdue=at.date() > due,
        days_overdue=max(0, (at.date() - due).days),
        renegotiations=int(row["renegotiations"]),
        check_ins=len(check_ins),
        last_check_in=None if last is None else last["checked_in_at"],
        last_status=None if last is None else last["status"],
        unacknowledged=sum(1 for c in check_ins if c["acknowledged_at"] is None),
        next_check_in_due=stamp(next_due),
        check_in_overdue=at > next_due,
        windows=windows,
        windows_with_check_in=hit,
        adherence=r4(ratio(hit, windows)),
    )

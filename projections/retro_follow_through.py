"""Retro follow-through per team (and period): action items and team health (docs/metrics.md
§4). An action item carried over into a later retro keeps its id: it is one item."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from ledger.domain.retros import TOO_FEW_RESPONSES, pulse_shown
from projections._numbers import mean, r2, r4, ratio
from projections._query import as_decimal, columns, evaluated_at, rows_in, stamp
from projections._sql import Row
from projections.views import KoersViews

__all__ = ["ActionItem", "RetroFollowThrough", "RetroPoint", "retro_follow_through"]


@dataclass(frozen=True)
class RetroPoint:
    retro_id: str
    held_on: str
    period: str
    format: str
    facilitator: str
    went_well: int
    to_improve: int
    ideas: int
    action_items: int
    pulse: dict[str, str]
    health: str | None  # mean of the pulse dimensions, 1–5


@dataclass(frozen=True)
class ActionItem:
    item_id: str
    retro_id: str  # the latest retro (in scope) the item is in
    text: str
    owner: str
    due: str
    state: str  # open / done / dropped / carried_over (continued outside the scope)
    carried_over: bool
    overdue: bool


@dataclass(frozen=True)
class RetroFollowThrough:
    team: str
    period: str | None
    at: str
    position: int
    retros: list[RetroPoint]
    items: int
    open: int
    done: int
    dropped: int
    carried_out: int
    carried_over: int
    completion_rate: str | None
    health_change: str | None
    open_items: list[ActionItem]
    all_items: list[ActionItem]


def retro_follow_through(
    views: KoersViews,
    team: str,
    period: str | None = None,
    at: datetime | None = None,
    *,
    last_only: bool = False,
) -> RetroFollowThrough:
    """Follow-through of the retros ``team`` held (in ``period``, or all of them; the last
    one alone with ``last_only``, as the team room shows it)."""
    moment = evaluated_at(views, at)
    retros = views.rows("SELECT * FROM retros WHERE team = ? ORDER BY position", team)
    if period is not None:
        retros = [r for r in retros if r["period"] == period]
    retros.sort(key=lambda r: (r["held_on"], int(r["position"])))
    order = {r["retro_id"]: n for n, r in enumerate(retros)}
    if last_only:
        retros = retros[-1:]
    ids = [r["retro_id"] for r in retros]
    instances = rows_in(views, "action_items", "retro_id", ids)
    if last_only and instances:  # their earlier instances say whether they were carried over
        item_ids = sorted({i["item_id"] for i in instances})
        instances = [i for i in rows_in(views, "action_items", "item_id", item_ids)
                     if i["retro_id"] in order]  # fmt: skip
    pulses = _pulses(views, ids)
    per_retro = Counter(i["retro_id"] for i in instances)
    pulses_of: dict[str, list[Row]] = {}
    for pulse in pulses:
        pulses_of.setdefault(pulse["retro_id"], []).append(pulse)
    points = [_point(r, per_retro[r["retro_id"]], pulses_of.get(r["retro_id"], []))
              for r in retros]  # fmt: skip
    items = _items(instances, order, moment.date())
    healths = [as_decimal(p.health) for p in points if p.health is not None]
    counts = {state: sum(1 for i in items if i.state == state) for state in _STATES}
    return RetroFollowThrough(
        team=team,
        period=period,
        at=stamp(moment),
        position=views.position,
        retros=points,
        items=len(items),
        open=counts["open"],
        done=counts["done"],
        dropped=counts["dropped"],
        carried_out=counts["carried_over"],
        carried_over=sum(1 for i in items if i.carried_over),
        completion_rate=r4(ratio(counts["done"], len(items))),
        health_change=r2(healths[-1] - healths[-2]) if len(healths) >= 2 else None,
        open_items=[i for i in items if i.state == "open"],
        all_items=items,
    )


_STATES = ("open", "done", "dropped", "carried_over")


def _pulses(views: KoersViews, ids: list[str]) -> list[Row]:
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    return views.rows(f"SELECT * FROM retro_pulse WHERE retro_id IN ({marks})", *ids)


def shown_pulse(row: Row, withheld: str | None = TOO_FEW_RESPONSES) -> Row:
    """A ``retro_pulse`` row as it may be shown: from too few responses, its score replaced
    by ``withheld`` (``docs/metrics.md``, retro follow-through)."""
    if pulse_shown(int(row["responses"])):
        return row
    return {**row, "score": withheld}


def _point(retro: Row, action_items: int, pulses: list[Row]) -> RetroPoint:
    """One retro's point on the chart, from its action items' count and its pulses."""
    mine = sorted(pulses, key=_dimension)
    scored = [p for p in mine if pulse_shown(int(p["responses"]))]
    return RetroPoint(
        retro_id=retro["retro_id"],
        held_on=retro["held_on"],
        period=retro["period"],
        format=retro["format"],
        facilitator=retro["facilitator"],
        went_well=int(retro["went_well"]),
        to_improve=int(retro["to_improve"]),
        ideas=int(retro["ideas"]),
        action_items=action_items,
        pulse={p["dimension"]: shown_pulse(p)["score"] for p in mine},
        health=r2(mean(as_decimal(p["score"]) for p in scored)),
    )


def _dimension(pulse: Row) -> str:
    return str(pulse["dimension"])


def _items(instances: list[Row], order: dict[str, int], today: date) -> list[ActionItem]:
    """One entry per item id: its latest instance in scope, flagged if ever carried over."""
    latest: dict[str, Row] = {}
    carried: set[str] = set()
    for row in sorted(instances, key=lambda i: (order[i["retro_id"]], int(i["position"]))):
        latest[row["item_id"]] = row
        if row["state"] == "carried_over":
            carried.add(row["item_id"])
    return [
        ActionItem(
            **columns(row, "retro_id", "text", "owner", "due", "state"),
            item_id=item_id,
            carried_over=item_id in carried,
            overdue=row["state"] == "open" and date.fromisoformat(row["due"]) < today,
        )
        for item_id, row in latest.items()
    ]

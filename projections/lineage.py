"""Lineage: what led to a thing and what came of it (docs/lineage.md), from the
``lineage_nodes`` and ``lineage_links`` tables.

The graph is walked both ways from the thing asked about: its ancestors (following links
backwards: what led here) and its descendants (following them forwards: what came of it),
each as far as the links go, in time order: what came of a thing is what was linked to it
after it was reached (a decision linked to a key result in July did not come of a retro item
that led to the key result in August). A reader sees only the things ``shown`` lets through: a thing
hidden from them is left out, and the walk does not go through it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from projections._query import columns, evaluated_at, stamp
from projections._sql import Row, ident
from projections.views import KoersViews

__all__ = ["Lineage", "LineageLink", "LineageNode", "lineage"]


@dataclass(frozen=True)
class LineageNode:
    id: str
    kind: str  # retro_item, action_item, decision, key_result, objective, delegation
    title: str
    team: str  # empty for a delegation (it has no team of its own)
    people: list[str]  # who it is on: owner, decider, delegator
    retro_id: str | None  # the retro of a retro item or an action item
    status: str  # as it stands now: a decision's, an action item's, a key result's state
    recorded_at: str
    recorded_by: str


@dataclass(frozen=True)
class LineageLink:
    from_id: str  # what led to it
    to_id: str  # what came of it
    kind: str  # the command that recorded the link: retro.action, decision.link, ...
    at: str
    actor: str
    position: int


@dataclass(frozen=True)
class Lineage:
    id: str
    node: LineageNode
    ancestors: list[LineageNode]  # what led here, nearest first
    descendants: list[LineageNode]  # what came of it, nearest first
    links: list[LineageLink]  # every link between the nodes shown, oldest first
    at: str
    position: int


def lineage(
    views: KoersViews,
    node_id: str,
    *,
    shown: Callable[[LineageNode], bool] = lambda _: True,
) -> Lineage | None:
    """The lineage of ``node_id``, or ``None`` when the views know no such thing (or
    ``shown`` hides it)."""
    start = _node(views, node_id)
    if start is None or not shown(start):
        return None
    seen: dict[str, LineageNode] = {start.id: start}
    links: dict[int, LineageLink] = {}
    ancestors = _walk(views, start.id, "to_id", "from_id", shown=shown, seen=seen, links=links)
    descendants = _walk(views, start.id, "from_id", "to_id", shown=shown, seen=seen, links=links)
    return Lineage(
        id=start.id,
        node=start,
        ancestors=ancestors,
        descendants=descendants,
        links=sorted(links.values(), key=lambda link: link.position),
        at=stamp(evaluated_at(views, None)),
        position=views.position,
    )


def _walk(
    views: KoersViews,
    start: str,
    here: str,
    there: str,
    *,
    shown: Callable[[LineageNode], bool],
    seen: dict[str, LineageNode],
    links: dict[int, LineageLink],
) -> list[LineageNode]:
    """The things reached from ``start`` along links whose ``here`` end is a thing reached,
    in time order: forwards (descendants) a link counts only if recorded after the link that
    reached its ``here`` end, backwards (ancestors) only if recorded before it. A thing is
    walked again when it is reached by a link that lets more through (earlier forwards,
    later backwards)."""
    forwards = here == "from_id"
    found: list[LineageNode] = []
    bound: dict[str, int | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        limit = bound[node]
        for row in views.rows(
            f"SELECT * FROM lineage_links WHERE {here} = ? ORDER BY position", node
        ):
            position = int(row["position"])
            if limit is not None and (position < limit if forwards else position > limit):
                continue
            other = seen.get(row[there]) or _node(views, row[there])
            if other is None or not shown(other) or other.id == start:
                continue
            links[position] = _link(row)
            if other.id not in seen:
                seen[other.id] = other
            if other not in found:
                found.append(other)
            if other.id not in bound or _lets_more(position, bound[other.id], forwards):
                bound[other.id] = position
                queue.append(other.id)
    return found


def _lets_more(position: int, than: int | None, forwards: bool) -> bool:
    if than is None:
        return False
    return position < than if forwards else position > than


def _link(row: Row) -> LineageLink:
    return LineageLink(**columns(row, "from_id", "to_id", "kind", "at", "actor"),
                       position=int(row["position"]))  # fmt: skip


def _node(views: KoersViews, node_id: str) -> LineageNode | None:
    key = ident(node_id.strip().lower())
    rows = views.rows("SELECT * FROM lineage_nodes WHERE node_id = ?", key)
    if not rows:
        return None
    row = rows[0]
    return LineageNode(
        id=row["node_id"],
        kind=row["kind"],
        title=row["title"],
        team=row["team"],
        people=[p for p in str(row["people"]).split(",") if p],
        retro_id=row["retro_id"],
        status=_status(views, row),
        recorded_at=row["at"],
        recorded_by=row["actor"],
    )


_STATUS: dict[str, str] = {
    "decision": "SELECT status, outcome_quality, process_quality FROM decisions "
    "WHERE decision_id = ?",
    "action_item": "SELECT state AS status FROM action_items WHERE item_id = ? "
    "ORDER BY position DESC",
    "key_result": "SELECT status, target FROM key_results WHERE kr_id = ?",
    "objective": "SELECT status FROM objectives WHERE objective_id = ?",
    "delegation": "SELECT status FROM delegations WHERE delegation_id = ?",
}


def _status(views: KoersViews, node: Row) -> str:
    """How the thing stands now: e.g. ``reviewed (outcome 4/5, process 5/5)``, ``open
    (target 3)``, ``done``; empty for a retro item (it has no state)."""
    sql = _STATUS.get(node["kind"])
    rows = views.rows(sql, node["node_id"]) if sql else []
    if not rows:
        return ""
    row = rows[0]
    status = str(row["status"])
    if row.get("outcome_quality") is not None:
        status += f" (outcome {row['outcome_quality']}/5, process {row['process_quality']}/5)"
    if row.get("target") is not None:
        status += f" (target {row['target']})"
    return status

"""How events change the lineage tables: ``lineage_nodes`` (the things a link may join: retro
items, action items, decisions, key results, objectives, delegations) and ``lineage_links``
(one row per event that says what led to what: docs/lineage.md).

A link goes from what led to something to what came of it:

========================  ===================================  ===========================
event                     from                                 to
========================  ===================================  ===========================
retro.action (from_item)  the retro item                       the action item
decision.link             the linked thing (a retro's item)    the decision
key_result.retarget       what it cites                        the key result
delegation.create         what it cites                        the delegation
========================  ===================================  ===========================

These handlers run after the facts tables' handlers of the same event (a key result's team
is its objective's, a retro item's its retro's).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from ledger.domain import IN_A_RETRO, Decision, Delegation, KeyResult, Objective, Retro
from projections._sql import Tx, ident, moment
from projections._types import Handlers

__all__ = ["HANDLERS"]


def _node(tx: Tx, e: Any, position: int, node: UUID, kind: str, **more: Any) -> None:
    """Record a node once (an action item carried over keeps its id: it stays one node)."""
    if tx.one("SELECT node_id FROM lineage_nodes WHERE node_id = ?", ident(node)) is not None:
        return
    tx.run(
        "INSERT INTO lineage_nodes (node_id, kind, team, people, title, retro_id, at, actor, "
        "position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ident(node),
        kind,
        more.get("team") or "",
        ",".join(p for p in more.get("people", ()) if p),
        more.get("title") or "",
        ident(more.get("retro_id")),
        moment(e.timestamp),
        e.actor,
        position,
    )


def _link(
    tx: Tx, e: Any, position: int, source: UUID | None, kind: str, *, to: UUID | None = None
) -> None:
    """Record that ``source`` led to ``to`` (default: the event's aggregate), if it cites."""
    if source is None:
        return
    tx.run(
        "INSERT INTO lineage_links (position, from_id, to_id, kind, at, actor) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        position,
        ident(source),
        ident(to or e.originator_id),
        kind,
        moment(e.timestamp),
        e.actor,
    )


def _team_of(tx: Tx, sql: str, ident_: UUID) -> str:
    row = tx.one(sql, ident(ident_))
    return "" if row is None else str(row["team"])


def objective_set(tx: Tx, e: Objective.Set, position: int) -> None:
    _node(tx, e, position, e.originator_id, "objective", team=e.team, people=(e.owner,),
          title=e.title)  # fmt: skip


def kr_added(tx: Tx, e: KeyResult.Added, position: int) -> None:
    team = _team_of(tx, "SELECT team FROM objectives WHERE objective_id = ?", e.objective_id)
    _node(tx, e, position, e.originator_id, "key_result", team=team, people=(e.owner,),
          title=e.title)  # fmt: skip


def kr_retargeted(tx: Tx, e: KeyResult.Retargeted, position: int) -> None:
    _link(tx, e, position, e.cites, "key_result.retarget")


def decision_opened(tx: Tx, e: Decision.Opened, position: int) -> None:
    _node(tx, e, position, e.originator_id, "decision", team=e.team, people=(e.decider,),
          title=e.question)  # fmt: skip


def decision_linked(tx: Tx, e: Decision.Linked, position: int) -> None:
    link = e.link
    source = link.item_id if link.kind in IN_A_RETRO else link.target_id
    _link(tx, e, position, source, "decision.link")


def delegated(tx: Tx, e: Delegation.Delegated, position: int) -> None:
    _node(tx, e, position, e.originator_id, "delegation", people=(e.owner, e.delegator),
          title=e.title)  # fmt: skip
    _link(tx, e, position, e.cites, "delegation.create")


def _retro_team(tx: Tx, retro: UUID) -> str:
    return _team_of(tx, "SELECT team FROM retros WHERE retro_id = ?", retro)


def item_added(tx: Tx, e: Retro.ItemAdded, position: int) -> None:
    _node(tx, e, position, e.item_id, "retro_item", team=_retro_team(tx, e.originator_id),
          title=e.text, retro_id=e.originator_id)  # fmt: skip


def action_item_added(tx: Tx, e: Retro.ActionItemAdded, position: int) -> None:
    _node(tx, e, position, e.item_id, "action_item", team=_retro_team(tx, e.originator_id),
          people=(e.owner,), title=e.text, retro_id=e.originator_id)  # fmt: skip
    _link(tx, e, position, e.from_item, "retro.action", to=e.item_id)


HANDLERS: Handlers = {
    Objective.Set: objective_set,
    KeyResult.Added: kr_added,
    KeyResult.Retargeted: kr_retargeted,
    Decision.Opened: decision_opened,
    Decision.Linked: decision_linked,
    Delegation.Delegated: delegated,
    Retro.ItemAdded: item_added,
    Retro.ActionItemAdded: action_item_added,
}

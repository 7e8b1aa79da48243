"""How decision events change the facts tables: ``decisions``, ``decision_links`` and the
matrix's ``decision_criteria``, ``decision_scores``, ``decision_positions`` and
``decision_roles``.

A decision's period is the quarter (UTC) in which it was opened.
"""

from __future__ import annotations

from typing import Any

from ledger.domain import Decision
from projections._numbers import quarter_of
from projections._sql import Tx, day, dec, flag, ident, moment
from projections._types import Handlers, stamped

__all__ = ["HANDLERS"]


def opened(tx: Tx, e: Decision.Opened, position: int) -> None:
    tx.run(
        "INSERT INTO decisions (decision_id, team, period, question, reversibility, decider, "
        "options_count, criteria_count, information_level, opened_at, decide_by, status, "
        "position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)",
        ident(e.originator_id),
        e.team,
        quarter_of(e.timestamp),
        e.question,
        e.reversibility.value,
        e.decider,
        len(e.options),
        len(e.criteria),
        e.information_level,
        moment(e.timestamp),
        day(e.decide_by),
        position,
    )
    for criterion in e.criteria:
        tx.run(
            "INSERT INTO decision_criteria (decision_id, criterion, weight, position) "
            "VALUES (?, ?, ?, ?)",
            ident(e.originator_id),
            criterion.name,
            dec(criterion.weight),
            position,
        )
    for role in ("recommender", "approver"):
        _name_role(tx, e, role, getattr(e, role), position)


def _name_role(tx: Tx, e: Any, role: str, person: str | None, position: int) -> None:
    """The role's person from now on (none: no row); a new approver has not approved."""
    if person is None:
        return
    tx.run(
        "INSERT INTO decision_roles (decision_id, role, person, named_at, approved_at, position) "
        "VALUES (?, ?, ?, ?, NULL, ?) ON CONFLICT (decision_id, role) DO UPDATE SET "
        "person = excluded.person, named_at = excluded.named_at, approved_at = NULL, "
        "position = excluded.position WHERE decision_roles.person <> excluded.person",
        ident(e.originator_id),
        role,
        person,
        moment(e.timestamp),
        position,
    )


def option_added(tx: Tx, e: Decision.OptionAdded, position: int) -> None:
    tx.run(
        "UPDATE decisions SET options_count = options_count + 1 WHERE decision_id = ?",
        ident(e.originator_id),
    )


def information_updated(tx: Tx, e: Decision.InformationUpdated, position: int) -> None:
    tx.run(
        "UPDATE decisions SET information_level = ? WHERE decision_id = ?",
        e.information_level,
        ident(e.originator_id),
    )


def made(tx: Tx, e: Decision.Made, position: int) -> None:
    tx.run(
        "UPDATE decisions SET status = 'decided', decided_at = ?, chosen = ?, confidence = ?, "
        "review_on = ?, information_at_decision = ? WHERE decision_id = ?",
        moment(e.timestamp),
        e.chosen,
        dec(e.confidence),
        day(e.review_on),
        e.information_level,
        ident(e.originator_id),
    )


def reviewed(tx: Tx, e: Decision.Reviewed, position: int) -> None:
    tx.run(
        "UPDATE decisions SET status = 'reviewed', reviewed_at = ?, outcome_quality = ?, "
        "process_quality = ?, as_expected = ? WHERE decision_id = ?",
        moment(e.timestamp),
        e.outcome_quality,
        e.process_quality,
        flag(e.as_expected),
        ident(e.originator_id),
    )


reversed_ = stamped(
    "UPDATE decisions SET status = 'reversed', reversed_at = ? WHERE decision_id = ?"
)


def superseded(tx: Tx, e: Decision.Superseded, position: int) -> None:
    tx.run(
        "UPDATE decisions SET status = 'superseded', superseded_at = ?, superseded_by = ? "
        "WHERE decision_id = ?",
        moment(e.timestamp),
        ident(e.by_decision_id),
        ident(e.originator_id),
    )


def linked(tx: Tx, e: Decision.Linked, position: int) -> None:
    tx.run(
        "INSERT INTO decision_links (decision_id, kind, target_id, item_id, linked_at) "
        "VALUES (?, ?, ?, ?, ?)",
        ident(e.originator_id),
        e.link.kind.value,
        ident(e.link.target_id),
        ident(e.link.item_id) or "",
        moment(e.timestamp),
    )


def roles_named(tx: Tx, e: Decision.RolesNamed, position: int) -> None:
    _name_role(tx, e, "recommender", e.recommender, position)
    _name_role(tx, e, "approver", e.approver, position)


approved = stamped(
    "UPDATE decision_roles SET approved_at = ? WHERE decision_id = ? AND role = 'approver'"
)


def scored(tx: Tx, e: Decision.Scored, position: int) -> None:
    """The person's latest score of the cell; ``times_scored`` counts every one."""
    tx.run(
        "INSERT INTO decision_scores (decision_id, person, option, criterion, score, note, "
        "scored_at, times_scored, position) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?) "
        "ON CONFLICT (decision_id, person, option, criterion) DO UPDATE SET "
        "score = excluded.score, note = excluded.note, scored_at = excluded.scored_at, "
        "times_scored = decision_scores.times_scored + 1",
        ident(e.originator_id),
        e.actor,
        e.option,
        e.criterion,
        e.score,
        e.note,
        moment(e.timestamp),
        position,
    )


def position_taken(tx: Tx, e: Decision.PositionTaken, position: int) -> None:
    tx.run(
        "INSERT INTO decision_positions (decision_id, person, stance, note, taken_at, position) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (decision_id, person) DO UPDATE SET "
        "stance = excluded.stance, note = excluded.note, taken_at = excluded.taken_at",
        ident(e.originator_id),
        e.actor,
        e.position.value,
        e.note,
        moment(e.timestamp),
        position,
    )


HANDLERS: Handlers = {
    Decision.Opened: opened,
    Decision.OptionAdded: option_added,
    Decision.InformationUpdated: information_updated,
    Decision.Made: made,
    Decision.Reviewed: reviewed,
    Decision.Reversed: reversed_,
    Decision.Superseded: superseded,
    Decision.Linked: linked,
    Decision.RolesNamed: roles_named,
    Decision.Approved: approved,
    Decision.Scored: scored,
    Decision.PositionTaken: position_taken,
}

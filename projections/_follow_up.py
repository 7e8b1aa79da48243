"""How delegation, retro and prompt events change the facts tables."""

from __future__ import annotations

import json

from ledger.domain import Delegation, ItemKind, Prompt, Retro
from projections._sql import Tx, day, dec, ident, moment
from projections._types import Handlers, stamped

__all__ = ["HANDLERS"]


def delegated(tx: Tx, e: Delegation.Delegated, position: int) -> None:
    tx.run(
        "INSERT INTO delegations (delegation_id, delegator, owner, title, level, cadence_days, "
        "due, status, delegated_at, ended_at, renegotiations, position) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, NULL, 0, ?)",
        ident(e.originator_id),
        e.delegator,
        e.owner,
        e.title,
        e.level.value,
        e.cadence_days,
        day(e.due),
        moment(e.timestamp),
        position,
    )


def delegation_checked_in(tx: Tx, e: Delegation.CheckedIn, position: int) -> None:
    tx.run(
        "INSERT INTO delegation_check_ins (check_in_id, delegation_id, checked_in_at, status, "
        "acknowledged_at, position) VALUES (?, ?, ?, ?, NULL, ?)",
        ident(e.check_in_id),
        ident(e.originator_id),
        moment(e.timestamp),
        e.status.value,
        position,
    )


def acknowledged(tx: Tx, e: Delegation.CheckInAcknowledged, position: int) -> None:
    tx.run(
        "UPDATE delegation_check_ins SET acknowledged_at = ? WHERE check_in_id = ?",
        moment(e.timestamp),
        ident(e.check_in_id),
    )


def renegotiated(tx: Tx, e: Delegation.Renegotiated, position: int) -> None:
    tx.run(
        "UPDATE delegations SET due = ?, level = ?, renegotiations = renegotiations + 1 "
        "WHERE delegation_id = ?",
        day(e.due),
        e.level.value,
        ident(e.originator_id),
    )


def _end_delegation(tx: Tx, e: Delegation.Event, status: str) -> None:
    tx.run(
        "UPDATE delegations SET status = ?, ended_at = ? WHERE delegation_id = ?",
        status,
        moment(e.timestamp),
        ident(e.originator_id),
    )


def completed(tx: Tx, e: Delegation.Completed, position: int) -> None:
    _end_delegation(tx, e, "completed")


def revoked(tx: Tx, e: Delegation.Revoked, position: int) -> None:
    _end_delegation(tx, e, "revoked")


def held(tx: Tx, e: Retro.Held, position: int) -> None:
    tx.run(
        "INSERT INTO retros (retro_id, team, period, held_on, format, facilitator, went_well, "
        "to_improve, ideas, position) VALUES (?, ?, ?, ?, ?, ?, 0, 0, 0, ?)",
        ident(e.originator_id),
        e.team,
        e.period,
        day(e.held_on),
        e.format,
        e.facilitator,
        position,
    )


_ITEM_COLUMNS = {
    ItemKind.WENT_WELL: "went_well",
    ItemKind.TO_IMPROVE: "to_improve",
    ItemKind.IDEA: "ideas",
}


def item_added(tx: Tx, e: Retro.ItemAdded, position: int) -> None:
    column = _ITEM_COLUMNS[e.kind]  # a fixed column name, never user text
    tx.run(f"UPDATE retros SET {column} = {column} + 1 WHERE retro_id = ?", ident(e.originator_id))


def pulse(tx: Tx, e: Retro.PulseRecorded | Retro.PulseScored, position: int) -> None:
    """A dimension's pulse is what its last event says: a typed-in score, or the mean and
    count of people's own scores (never one person's score)."""
    score = e.score if isinstance(e, Retro.PulseRecorded) else e.mean
    tx.run(
        "INSERT INTO retro_pulse (retro_id, dimension, score, responses) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (retro_id, dimension) DO UPDATE SET score = excluded.score, "
        "responses = excluded.responses",
        ident(e.originator_id),
        e.dimension,
        dec(score),
        e.responses,
    )


def action_added(tx: Tx, e: Retro.ActionItemAdded, position: int) -> None:
    tx.run(
        "INSERT INTO action_items (retro_id, item_id, text, owner, due, state, carried_from, "
        "carried_to, added_at, ended_at, position) VALUES (?, ?, ?, ?, ?, 'open', ?, NULL, ?, "
        "NULL, ?)",
        ident(e.originator_id),
        ident(e.item_id),
        e.text,
        e.owner,
        day(e.due),
        ident(e.carried_from),
        moment(e.timestamp),
        position,
    )


def _end_action(tx: Tx, e: Retro.Event, item: object, state: str, to: str | None) -> None:
    tx.run(
        "UPDATE action_items SET state = ?, carried_to = ?, ended_at = ? "
        "WHERE retro_id = ? AND item_id = ?",
        state,
        to,
        moment(e.timestamp),
        ident(e.originator_id),
        str(item),
    )


def action_completed(tx: Tx, e: Retro.ActionItemCompleted, position: int) -> None:
    _end_action(tx, e, e.item_id, "done", None)


def action_dropped(tx: Tx, e: Retro.ActionItemDropped, position: int) -> None:
    _end_action(tx, e, e.item_id, "dropped", None)


def action_carried(tx: Tx, e: Retro.ActionItemCarriedOver, position: int) -> None:
    _end_action(tx, e, e.item_id, "carried_over", ident(e.to_retro_id))


def issued(tx: Tx, e: Prompt.Issued, position: int) -> None:
    tx.run(
        "INSERT INTO prompts (prompt_id, person, kind, question, triggered_by, issued_at, state, "
        "position) VALUES (?, ?, ?, ?, ?, ?, 'open', ?)",
        ident(e.originator_id),
        e.to,
        e.kind,
        e.question,
        json.dumps(list(e.triggered_by)),
        moment(e.timestamp),
        position,
    )


def answered(tx: Tx, e: Prompt.Answered, position: int) -> None:
    tx.run(
        "UPDATE prompts SET state = 'answered', answer = ?, answered_at = ? WHERE prompt_id = ?",
        e.answer,
        moment(e.timestamp),
        ident(e.originator_id),
    )


def snoozed(tx: Tx, e: Prompt.Snoozed, position: int) -> None:
    tx.run(
        "UPDATE prompts SET state = 'snoozed', snoozed_until = ? WHERE prompt_id = ?",
        moment(e.until),
        ident(e.originator_id),
    )


dismissed = stamped("UPDATE prompts SET state = 'dismissed', dismissed_at = ? WHERE prompt_id = ?")


HANDLERS: Handlers = {
    Delegation.Delegated: delegated,
    Delegation.CheckedIn: delegation_checked_in,
    Delegation.CheckInAcknowledged: acknowledged,
    Delegation.Renegotiated: renegotiated,
    Delegation.Completed: completed,
    Delegation.Revoked: revoked,
    Retro.Held: held,
    Retro.ItemAdded: item_added,
    Retro.PulseRecorded: pulse,
    Retro.PulseScored: pulse,
    Retro.ActionItemAdded: action_added,
    Retro.ActionItemCompleted: action_completed,
    Retro.ActionItemDropped: action_dropped,
    Retro.ActionItemCarriedOver: action_carried,
    Prompt.Issued: issued,
    Prompt.Answered: answered,
    Prompt.Snoozed: snoozed,
    Prompt.Dismissed: dismissed,
}

"""How goal events change the facts tables: objectives, key results, check-ins, targets, weights.

KPI events change nothing (no view shows KPIs yet); they are tracked like every event.
"""

from __future__ import annotations

from collections.abc import Callable

from ledger.domain import KeyResult, Objective
from projections._sql import Tx, dec, ident, moment
from projections._types import Handlers, stamped

__all__ = ["HANDLERS"]


def objective_set(tx: Tx, e: Objective.Set, position: int) -> None:
    tx.run(
        "INSERT INTO objectives (objective_id, team, period, title, owner, parent_id, status, "
        "score, set_at, ended_at, position) VALUES (?, ?, ?, ?, ?, ?, 'open', NULL, ?, NULL, ?)",
        ident(e.originator_id),
        e.team,
        e.period,
        e.title,
        e.owner,
        ident(e.parent_id),
        moment(e.timestamp),
        position,
    )


def objective_realigned(tx: Tx, e: Objective.Realigned, position: int) -> None:
    tx.run(
        "UPDATE objectives SET parent_id = ? WHERE objective_id = ?",
        ident(e.parent_id),
        ident(e.originator_id),
    )


def objective_scored(tx: Tx, e: Objective.Scored, position: int) -> None:
    tx.run(
        "UPDATE objectives SET status = 'closed', score = ?, ended_at = ? WHERE objective_id = ?",
        dec(e.score),
        moment(e.timestamp),
        ident(e.originator_id),
    )


objective_dropped = stamped(
    "UPDATE objectives SET status = 'dropped', ended_at = ? WHERE objective_id = ?"
)


def kr_added(tx: Tx, e: KeyResult.Added, position: int) -> None:
    tx.run(
        "INSERT INTO key_results (kr_id, objective_id, title, metric, start_value, "
        "original_target, target, unit, owner, cadence_days, status, close_score, added_at, "
        "ended_at, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', NULL, ?, NULL, ?)",
        ident(e.originator_id),
        ident(e.objective_id),
        e.title,
        e.metric.value,
        dec(e.start),
        dec(e.target),
        dec(e.target),
        e.unit,
        e.owner,
        e.cadence_days,
        moment(e.timestamp),
        position,
    )
    _target(
        tx, e.originator_id, position, target=str(e.target), at=moment(e.timestamp), why="original"
    )


def _target(tx: Tx, kr_id: object, position: int, *, target: str, at: str | None, why: str) -> None:
    tx.run(
        "INSERT INTO kr_targets (kr_id, position, target, changed_at, reason) "
        "VALUES (?, ?, ?, ?, ?)",
        str(kr_id),
        position,
        target,
        at,
        why,
    )


def kr_checked_in(tx: Tx, e: KeyResult.CheckedIn, position: int) -> None:
    tx.run(
        "INSERT INTO kr_check_ins (check_in_id, kr_id, as_of, recorded_at, value, confidence, "
        "corrected_at, position) VALUES (?, ?, ?, ?, ?, ?, NULL, ?)",
        ident(e.check_in_id),
        ident(e.originator_id),
        moment(e.as_of),
        moment(e.timestamp),
        dec(e.value),
        e.confidence,
        position,
    )


def kr_check_in_corrected(tx: Tx, e: KeyResult.CheckInCorrected, position: int) -> None:
    tx.run(
        "UPDATE kr_check_ins SET value = ?, confidence = ?, corrected_at = ? WHERE check_in_id = ?",
        dec(e.value),
        e.confidence,
        moment(e.timestamp),
        ident(e.check_in_id),
    )


def kr_retargeted(tx: Tx, e: KeyResult.Retargeted, position: int) -> None:
    tx.run(
        "UPDATE key_results SET target = ? WHERE kr_id = ?", dec(e.target), ident(e.originator_id)
    )
    _target(
        tx, e.originator_id, position, target=str(e.target), at=moment(e.timestamp), why=e.reason
    )


kr_dropped = stamped("UPDATE key_results SET status = 'dropped', ended_at = ? WHERE kr_id = ?")


def kr_closed(tx: Tx, e: KeyResult.Closed, position: int) -> None:
    tx.run(
        "UPDATE key_results SET status = 'closed', close_score = ?, ended_at = ? WHERE kr_id = ?",
        dec(e.score),
        moment(e.timestamp),
        ident(e.originator_id),
    )


def weighed(kind: str) -> Callable[[Tx, Objective.Weighed | KeyResult.Weighed, int], None]:
    """A new weight of an objective or key result in the roll-up above it (its history kept)."""

    def handler(tx: Tx, e: Objective.Weighed | KeyResult.Weighed, position: int) -> None:
        tx.run(
            "INSERT INTO roll_up_weights (item_id, position, kind, weight, reason, weighed_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            ident(e.originator_id),
            position,
            kind,
            dec(e.weight),
            e.reason,
            moment(e.timestamp),
        )

    return handler


HANDLERS: Handlers = {
    Objective.Set: objective_set,
    Objective.Realigned: objective_realigned,
    Objective.Scored: objective_scored,
    Objective.Dropped: objective_dropped,
    Objective.Weighed: weighed("objective"),
    KeyResult.Added: kr_added,
    KeyResult.CheckedIn: kr_checked_in,
    KeyResult.CheckInCorrected: kr_check_in_corrected,
    KeyResult.Retargeted: kr_retargeted,
    KeyResult.Dropped: kr_dropped,
    KeyResult.Closed: kr_closed,
    KeyResult.Weighed: weighed("key_result"),
}

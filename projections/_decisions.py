"""How decision events change the facts tables: ``decisions`` and ``decision_links``.

A decision's period is the quarter (UTC) in which it was opened.
"""

from __future__ import annotations

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


HANDLERS: Handlers = {
    Decision.Opened: opened,
    Decision.OptionAdded: option_added,
    Decision.InformationUpdated: information_updated,
    Decision.Made: made,
    Decision.Reviewed: reviewed,
    Decision.Reversed: reversed_,
    Decision.Superseded: superseded,
    Decision.Linked: linked,
}

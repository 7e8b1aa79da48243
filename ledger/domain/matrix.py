"""The decision matrix: options scored against weighted criteria, positions, and the roles
of a recommender and an approver.

The commands are declared here and recorded by :class:`~ledger.domain.decisions.Decision`
(its ``Scored``, ``PositionTaken``, ``RolesNamed`` and ``Approved`` events).

Invariants:
- scores are whole numbers 1–5, for an option on the table and one of the decision's
  criteria, given while the decision is open; a person's latest score of a cell counts (the
  earlier ones stay in the history);
- a position is agree, disagree-and-commit or object, taken by a consulted person (again
  and again: the latest counts) until the decision is reversed or superseded;
- while an approver is named, the decision is made only after that approver approved it
  (naming another approver asks the new one).

The weighted totals (docs/metrics.md, "The decision matrix"), computed by :func:`weigh`:

- a person's total for an option = Σ over the criteria of weight × that person's latest
  score; given only when the person scored the option on every criterion;
- an option's weighted total = the mean of the complete person totals for it (null when
  nobody scored it on every criterion);
- the highest-scored options are those with the largest weighted total (several: a tie);
  the chosen option was the highest-scored when it is among them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import Any, TypedDict

from ledger.domain._commands import Command
from ledger.domain._fields import NOTE, Choice, Handle, Text, Whole
from ledger.domain.access import APPROVER, CONSULTED, DECIDER, LEAD, RECOMMENDER

__all__ = [
    "APPROVE",
    "APPROVER_FIELD",
    "MATRIX_COMMANDS",
    "NAME_ROLES",
    "RECOMMENDER_FIELD",
    "SCORE",
    "TAKE_POSITION",
    "Position",
    "Scores",
    "weigh",
]


class Position(Enum):
    AGREE = "agree"
    DISAGREE_AND_COMMIT = "disagree_and_commit"
    OBJECT = "object"


class Cell(TypedDict):
    score: int
    note: str


#: Who scored what: person -> option key -> criterion name -> their latest score and note.
Scores = dict[str, dict[str, dict[str, Cell]]]

RECOMMENDER_FIELD = Handle(
    name="recommender",
    help="Who recommends an option to the decider (optional).",
    default=None,
    example="bram",
)
APPROVER_FIELD = Handle(
    name="approver",
    help="Who must approve before the decision is made (optional).",
    default=None,
    example="chen",
)
_NOTE = NOTE  # a score's or a position's note: optional, up to 2,000 characters

SCORE = Command(
    "decision.score",
    "Score one option against one criterion, 1–5 (scoring it again replaces your score).",
    (
        Text(name="option", help="The option's key.", most=40, line=True, example="a"),
        Text(name="criterion", help="The criterion's name.", most=80, line=True, example="speed"),
        Whole(
            name="score",
            help="How well the option meets the criterion: 1 (poorly) – 5 (very well).",
            low=1,
            high=5,
            example=4,
        ),
        _NOTE,
    ),
    route="scores",
    example="<id> --option a --criterion speed --score 4 --note 'One pipeline'",
    event="Scored",
    may=(DECIDER, CONSULTED, RECOMMENDER, APPROVER),
)
TAKE_POSITION = Command(
    "decision.position",
    "Record your position as someone consulted: agree, disagree_and_commit or object.",
    (
        Choice(
            name="position",
            of=Position,
            help="agree, disagree_and_commit (you would choose otherwise, and commit) or object.",
            example="disagree_and_commit",
        ),
        _NOTE,
    ),
    route="positions",
    runs="take_position",
    method="take_position",
    example="<id> --position disagree_and_commit --note 'I would wait a quarter'",
    event="PositionTaken",
    may=(CONSULTED,),
)
NAME_ROLES = Command(
    "decision.roles",
    "Name the recommender and/or the approver of an open decision (a role left out stays).",
    (RECOMMENDER_FIELD, APPROVER_FIELD),
    runs="name_decision_roles",
    method="name_roles",
    example="<id> --approver cem",
    event="RolesNamed",
    may=(LEAD, DECIDER),
)
APPROVE = Command(
    "decision.approve",
    "Approve an open decision as its approver: the decider may then decide.",
    (_NOTE,),
    example="<id> --note 'Go ahead'",
    event="Approved",
    may=(APPROVER,),
)

MATRIX_COMMANDS = (SCORE, TAKE_POSITION, NAME_ROLES, APPROVE)


def _person_total(cells: Mapping[str, Cell], weights: Mapping[str, Decimal]) -> Decimal | None:
    """Σ weight × score over the criteria, or ``None`` when a criterion is not scored."""
    if not weights or any(name not in cells for name in weights):
        return None
    return sum((w * cells[name]["score"] for name, w in weights.items()), Decimal(0))


def weigh(
    scores: Scores,
    options: Sequence[str],
    weights: Mapping[str, Decimal],
    chosen: str | None,
) -> dict[str, Any]:
    """The matrix's numbers (see the module docstring): per option its weighted total and
    how many people gave a complete score; per person their totals; the highest-scored
    options, whether that is a tie, and whether the chosen option is among them."""
    per_person = {
        person: {o: _person_total(by_option.get(o, {}), weights) for o in options}
        for person, by_option in sorted(scores.items())
    }
    totals: dict[str, Decimal | None] = {}
    scorers: dict[str, int] = {}
    for option in options:
        complete = [t for t in (ts[option] for ts in per_person.values()) if t is not None]
        scorers[option] = len(complete)
        totals[option] = sum(complete, Decimal(0)) / len(complete) if complete else None
    known = [t for t in totals.values() if t is not None]
    top = max(known) if known else None
    highest = [o for o, t in totals.items() if t is not None and t == top]
    return {
        "out_of": 5 * sum(weights.values(), Decimal(0)),
        "totals": {o: _rounded(t) for o, t in totals.items()},
        "scorers": scorers,
        "per_person": {p: {o: _rounded(t) for o, t in ts.items()} for p, ts in per_person.items()},
        "highest": highest,
        "tie": len(highest) > 1,
        "chosen_was_highest": None if chosen is None or not highest else chosen in highest,
    }


def _rounded(total: Decimal | None) -> Decimal | None:
    """A total to 2 decimals, half up (docs/metrics.md §0), from the unrounded mean."""
    return None if total is None else total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

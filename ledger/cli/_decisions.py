"""`koers decision …`: open, decide, review, reverse, supersede, link."""

from __future__ import annotations

from typing import Annotated

import typer

from ledger.cli._common import (
    Actor,
    DataDir,
    Json,
    Key,
    actor_of,
    koers_app,
    parse_date,
    parse_decimal,
    parse_uuid,
    report,
)
from ledger.cli._reads import list_command, show_command
from ledger.domain import Criterion, Option, Risk

__all__ = ["decision"]

decision = typer.Typer(help="Decisions: question, options, criteria, the call, and its review.")

Ident = Annotated[str, typer.Argument(metavar="ID")]
Reason = Annotated[str, typer.Option(help="Why (required: history keeps it).")]

decision.command("show", epilog="\b\nExample: koers decision show <id> --as-of 2026-09-01")(
    show_command("decision")
)
decision.command("list", epilog="\b\nExample: koers decision list --team platform --json")(
    list_command("decision", ["team", "question", "reversibility", "status", "decider"], ["team"])
)


def _option(text: str) -> Option:
    key, sep, title = text.partition("=")
    if not sep or not key.strip() or not title.strip():
        raise typer.BadParameter(f"{text!r}: write an option as key=title, e.g. a='Build it'")
    return Option(key.strip(), title.strip())


def _criterion(text: str) -> Criterion:
    name, sep, weight = text.partition("=")
    if not sep or not name.strip():
        raise typer.BadParameter(f"{text!r}: write a criterion as name=weight, e.g. cost=2")
    return Criterion(name.strip(), parse_decimal(weight, "weight"))


@decision.command(
    "open",
    epilog="\b\nExample: koers decision open --team platform --question "
    "'Move to a monorepo?' --option a='Yes' --option b='No' --criterion speed=3 "
    "--criterion risk=1 --door one_way --information 60 --decider ann "
    "--decide-by 2026-12-15",
)
def decision_open(
    team: Annotated[str, typer.Option(help="The team deciding.")],
    question: Annotated[str, typer.Option(help="The question to answer.")],
    option: Annotated[
        list[str], typer.Option(help="An option as key=title (repeat; at least one).")
    ],
    door: Annotated[str, typer.Option(help="two_way (cheap to undo) or one_way (hard to undo).")],
    information: Annotated[
        int, typer.Option(help="How much of the information you want you have, 0–100 %.")
    ],
    decider: Annotated[str, typer.Option(help="The one person who decides.")],
    decide_by: Annotated[str, typer.Option(help="Decide by this date.")],
    context: Annotated[str, typer.Option(help="Background.")] = "",
    criterion: Annotated[
        list[str] | None, typer.Option(help="A criterion as name=weight (repeat).")
    ] = None,
    likelihood: Annotated[int, typer.Option(help="Risk likelihood 1–5.")] = 3,
    impact: Annotated[int, typer.Option(help="Risk impact 1–5.")] = 3,
    cost_to_reverse: Annotated[str, typer.Option(help="What undoing it would cost.")] = "",
    consulted: Annotated[list[str] | None, typer.Option(help="Someone consulted (repeat).")] = None,
    informed: Annotated[list[str] | None, typer.Option(help="Someone informed (repeat).")] = None,
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Open a decision: put the question and the options on the table."""
    options = [_option(o) for o in option]
    criteria = [_criterion(c) for c in criterion or ()]
    with koers_app(data_dir) as app:
        receipt = app.open_decision(
            actor=actor_of(actor),
            key=key,
            team=team,
            question=question,
            context=context,
            options=options,
            criteria=criteria,
            risk=Risk(likelihood, impact),
            reversibility=door,
            cost_to_reverse=cost_to_reverse,
            information_level=information,
            decider=decider,
            consulted=consulted or (),
            informed=informed or (),
            decide_by=parse_date(decide_by),
        )
    report("decision", receipt, as_json)


@decision.command(
    "add-option",
    epilog="\b\nExample: koers decision add-option <id> --option c='Only new services'",
)
def decision_add_option(
    ident: Ident,
    option: Annotated[str, typer.Option(help="key=title")],
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Put another option on the table (before deciding)."""
    with koers_app(data_dir) as app:
        receipt = app.add_option(
            parse_uuid(ident), actor=actor_of(actor), key=key, option=_option(option)
        )
    report("decision", receipt, as_json)


@decision.command(
    "inform",
    epilog="\b\nExample: koers decision inform <id> --information 80 "
    "--note 'The spike showed builds 3x faster'",
)
def decision_inform(
    ident: Ident,
    information: Annotated[int, typer.Option(help="The information level now, 0–100 %.")],
    note: Annotated[str, typer.Option(help="What you learned.")] = "",
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Record that you know more (or less) than before deciding."""
    with koers_app(data_dir) as app:
        receipt = app.update_information(
            parse_uuid(ident),
            actor=actor_of(actor),
            key=key,
            information_level=information,
            note=note,
        )
    report("decision", receipt, as_json)


@decision.command(
    "decide",
    epilog="\b\nExample: koers decision decide <id> --option a --rationale "
    "'Fastest path' --expected 'Weekly releases by February' --confidence 0.7 "
    "--review-on 2027-03-01",
)
def decision_decide(
    ident: Ident,
    option: Annotated[str, typer.Option(help="The chosen option's key.")],
    rationale: Annotated[str, typer.Option(help="Why this option.")],
    expected: Annotated[str, typer.Option(help="The outcome you expect.")],
    confidence: Annotated[str, typer.Option(help="Probability 0–1 that it turns out as expected.")],
    review_on: Annotated[str, typer.Option(help="When to review it.")],
    expect_version: Annotated[
        int | None, typer.Option(help="Refuse if the decision moved past this version.")
    ] = None,
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Make the decision: the chosen option, why, what you expect, and when to review."""
    with koers_app(data_dir) as app:
        receipt = app.decide(
            parse_uuid(ident),
            actor=actor_of(actor),
            key=key,
            chosen=option,
            rationale=rationale,
            expected_outcome=expected,
            confidence=parse_decimal(confidence, "probability"),
            review_on=parse_date(review_on),
            expected_version=expect_version,
        )
    report("decision", receipt, as_json)


@decision.command(
    "review",
    epilog="\b\nExample: koers decision review <id> --outcome 4 --process 3 --as-expected "
    "--what-happened 'Weekly releases since February' --lessons 'Ask security earlier'",
)
def decision_review(
    ident: Ident,
    outcome: Annotated[int, typer.Option(help="Outcome quality 1–5.")],
    process: Annotated[
        int, typer.Option(help="Process quality 1–5 (rated apart from the outcome).")
    ],
    what_happened: Annotated[str, typer.Option(help="What happened.")],
    as_expected: Annotated[
        bool, typer.Option("--as-expected/--not-as-expected", help="Did it turn out as expected?")
    ],
    lessons: Annotated[str, typer.Option(help="Lessons.")] = "",
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Review a decision: rate the outcome and the process apart."""
    with koers_app(data_dir) as app:
        receipt = app.review_decision(
            parse_uuid(ident),
            actor=actor_of(actor),
            key=key,
            outcome_quality=outcome,
            process_quality=process,
            as_expected=as_expected,
            what_happened=what_happened,
            lessons=lessons,
        )
    report("decision", receipt, as_json)


@decision.command(
    "reverse",
    epilog="\b\nExample: koers decision reverse <id> --reason 'The vendor doubled its price'",
)
def decision_reverse(
    ident: Ident,
    reason: Reason,
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Reverse a decision (it stays in the history)."""
    with koers_app(data_dir) as app:
        receipt = app.reverse_decision(
            parse_uuid(ident), actor=actor_of(actor), key=key, reason=reason
        )
    report("decision", receipt, as_json)


@decision.command(
    "supersede",
    epilog="\b\nExample: koers decision supersede <id> --by <id> --reason 'We buy instead'",
)
def decision_supersede(
    ident: Ident,
    by: Annotated[str, typer.Option(help="The decision that replaces it.")],
    reason: Reason,
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Mark a decision superseded by a later one."""
    with koers_app(data_dir) as app:
        receipt = app.supersede_decision(
            parse_uuid(ident),
            actor=actor_of(actor),
            key=key,
            by_decision_id=parse_uuid(by),
            reason=reason,
        )
    report("decision", receipt, as_json)


@decision.command(
    "link", epilog="\b\nExample: koers decision link <id> --to objective --target <id>"
)
def decision_link(
    ident: Ident,
    to: Annotated[str, typer.Option(help="objective, key_result, delegation or action_item.")],
    target: Annotated[str, typer.Option(help="The target's id (for an action item: the retro's).")],
    item: Annotated[str | None, typer.Option(help="The action item's id.")] = None,
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Link a decision to an objective, key result, delegation or retro action item."""
    with koers_app(data_dir) as app:
        receipt = app.link_decision(
            parse_uuid(ident),
            actor=actor_of(actor),
            key=key,
            kind=to,
            target_id=parse_uuid(target),
            item_id=parse_uuid(item) if item else None,
        )
    report("decision", receipt, as_json)

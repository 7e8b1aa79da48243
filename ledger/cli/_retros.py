"""`koers retro …` and `koers prompt …`."""

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
    parse_moment,
    parse_uuid,
    report,
)
from ledger.cli._reads import list_command, show_command

__all__ = ["prompt", "retro"]

retro = typer.Typer(help="Retros: items, a team-health pulse and action items.")
prompt = typer.Typer(help="Reflection prompts: questions for one person, and their answers.")

Ident = Annotated[str, typer.Argument(metavar="ID")]
Item = Annotated[str, typer.Option("--item", help="The action item's id (koers retro show).")]

retro.command("show", epilog="\b\nExample: koers retro show <id>")(show_command("retro"))
retro.command("list", epilog="\b\nExample: koers retro list --team platform")(
    list_command("retro", ["team", "period", "held_on", "facilitator"], ["team"])
)
prompt.command("list", epilog="\b\nExample: koers prompt list --to ann --json")(
    list_command("prompt", ["to", "kind", "state", "question"], ["to"])
)
prompt.command("show", epilog="\b\nExample: koers prompt show <id> --json")(show_command("prompt"))


@retro.command(
    "hold",
    epilog="\b\nExample: koers retro hold --team platform --period 'Sprint 42' "
    "--held-on 2026-11-27 --format 'start-stop-continue'",
)
def retro_hold(
    team: Annotated[str, typer.Option(help="The team.")],
    period: Annotated[str, typer.Option(help="What it looks back on, e.g. 'Sprint 42'.")],
    held_on: Annotated[str, typer.Option(help="The day it was held.")],
    format_: Annotated[
        str, typer.Option("--format", help="The format used.")
    ] = "start-stop-continue",
    facilitator: Annotated[str | None, typer.Option(help="Who facilitated (default: you).")] = None,
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Record a retro."""
    with koers_app(data_dir) as app:
        receipt = app.hold_retro(
            actor=actor_of(actor),
            key=key,
            team=team,
            period=period,
            format=format_,
            held_on=parse_date(held_on),
            facilitator=facilitator,
        )
    report("retro", receipt, as_json)


@retro.command(
    "item",
    epilog="\b\nExample: koers retro item <id> --kind to_improve --text 'Reviews wait too long'",
)
def retro_item(
    ident: Ident,
    kind: Annotated[str, typer.Option(help="went_well, to_improve or idea.")],
    text: Annotated[str, typer.Option(help="The item.")],
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Add an item to a retro."""
    with koers_app(data_dir) as app:
        receipt = app.add_retro_item(
            parse_uuid(ident), actor=actor_of(actor), key=key, kind=kind, text=text
        )
    report("retro", receipt, as_json)


@retro.command(
    "pulse",
    epilog="\b\nExample: koers retro pulse <id> --dimension workload --score 3.4 --responses 7",
)
def retro_pulse(
    ident: Ident,
    dimension: Annotated[str, typer.Option(help="e.g. psychological_safety, workload.")],
    score: Annotated[str, typer.Option(help="The average score, 1–5.")],
    responses: Annotated[int, typer.Option(help="How many people answered.")],
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Record a team-health pulse score."""
    with koers_app(data_dir) as app:
        receipt = app.record_pulse(
            parse_uuid(ident),
            actor=actor_of(actor),
            key=key,
            dimension=dimension,
            score=parse_decimal(score),
            responses=responses,
        )
    report("retro", receipt, as_json)


@retro.command(
    "action",
    epilog="\b\nExample: koers retro action <id> --text 'Pair on reviews daily' "
    "--owner chen --due 2026-12-11",
)
def retro_action(
    ident: Ident,
    text: Annotated[str, typer.Option(help="What will be done.")],
    owner: Annotated[str, typer.Option(help="Exactly one owner.")],
    due: Annotated[str, typer.Option(help="Due date.")],
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Add an action item with one owner and a due date."""
    with koers_app(data_dir) as app:
        receipt, item_id = app.add_action_item(
            parse_uuid(ident),
            actor=actor_of(actor),
            key=key,
            text=text,
            owner=owner,
            due=parse_date(due),
        )
    report("retro", receipt, as_json, item=item_id)


@retro.command(
    "done", epilog="\b\nExample: koers retro done <id> --item <id> --note 'Review wait halved'"
)
def retro_done(
    ident: Ident,
    item: Item,
    note: Annotated[str, typer.Option(help="A note.")] = "",
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Mark an action item done."""
    with koers_app(data_dir) as app:
        receipt = app.complete_action_item(
            parse_uuid(ident), actor=actor_of(actor), key=key, item_id=parse_uuid(item), note=note
        )
    report("retro", receipt, as_json)


@retro.command(
    "drop",
    epilog="\b\nExample: koers retro drop <id> --item <id> --reason 'The review rota covers it'",
)
def retro_drop(
    ident: Ident,
    item: Item,
    reason: Annotated[str, typer.Option(help="Why it is dropped.")],
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Drop an action item."""
    with koers_app(data_dir) as app:
        receipt = app.drop_action_item(
            parse_uuid(ident),
            actor=actor_of(actor),
            key=key,
            item_id=parse_uuid(item),
            reason=reason,
        )
    report("retro", receipt, as_json)


@retro.command("carry", epilog="\b\nExample: koers retro carry <id> --item <id> --to <id>")
def retro_carry(
    ident: Ident,
    item: Item,
    to: Annotated[str, typer.Option(help="The later retro it continues in.")],
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Carry an open action item over into a later retro."""
    with koers_app(data_dir) as app:
        receipt = app.carry_over(
            parse_uuid(ident),
            actor=actor_of(actor),
            key=key,
            item_id=parse_uuid(item),
            to_retro_id=parse_uuid(to),
        )
    report("retro", receipt, as_json)


@prompt.command(
    "issue",
    epilog="\b\nExample: koers prompt issue --to bram "
    "--question 'What did the outage teach you?' --kind weekly_review",
)
def prompt_issue(
    to: Annotated[str, typer.Option(help="Who the question is for.")],
    question: Annotated[str, typer.Option(help="The question.")],
    kind: Annotated[str, typer.Option(help="What kind of prompt (e.g. weekly_review).")] = "manual",
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Put a reflection question to someone."""
    with koers_app(data_dir) as app:
        receipt = app.issue_prompt(
            actor=actor_of(actor), key=key, to=to, question=question, kind=kind
        )
    report("prompt", receipt, as_json)


@prompt.command(
    "answer",
    epilog="\b\nExample: koers prompt answer <id> --answer 'Our alerts fire too late' --as bram",
)
def prompt_answer(
    ident: Ident,
    answer: Annotated[str, typer.Option(help="Your answer (it goes into your journal).")],
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Answer a prompt."""
    with koers_app(data_dir) as app:
        receipt = app.answer_prompt(
            parse_uuid(ident), actor=actor_of(actor), key=key, answer=answer
        )
    report("prompt", receipt, as_json)


@prompt.command(
    "snooze",
    epilog="\b\nExample: koers prompt snooze <id> --until 2026-12-01T09:00+01:00 --as bram",
)
def prompt_snooze(
    ident: Ident,
    until: Annotated[str, typer.Option(help="Until when, e.g. 2026-12-01T09:00+01:00.")],
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Snooze a prompt."""
    with koers_app(data_dir) as app:
        receipt = app.snooze_prompt(
            parse_uuid(ident), actor=actor_of(actor), key=key, until=parse_moment(until)
        )
    report("prompt", receipt, as_json)


@prompt.command(
    "dismiss",
    epilog="\b\nExample: koers prompt dismiss <id> --reason 'Covered in the retro' --as bram",
)
def prompt_dismiss(
    ident: Ident,
    reason: Annotated[str, typer.Option(help="Why (optional).")] = "",
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Dismiss a prompt."""
    with koers_app(data_dir) as app:
        receipt = app.dismiss_prompt(
            parse_uuid(ident), actor=actor_of(actor), key=key, reason=reason
        )
    report("prompt", receipt, as_json)

"""`koers delegation …`: delegate, check in, acknowledge, renegotiate, complete, revoke."""

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
    parse_uuid,
    report,
)
from ledger.cli._reads import list_command, show_command

__all__ = ["delegation"]

delegation = typer.Typer(help="Delegations: work handed to one owner, with a rhythm.")

Ident = Annotated[str, typer.Argument(metavar="ID")]
Reason = Annotated[str, typer.Option(help="Why (required: history keeps it).")]

delegation.command("show", epilog="\b\nExample: koers delegation show <id>")(
    show_command("delegation")
)
delegation.command("list", epilog="\b\nExample: koers delegation list --owner bram")(
    list_command("delegation", ["title", "delegator", "owner", "level", "due", "status"], ["owner"])
)


@delegation.command(
    "create",
    epilog="\b\nExample: koers delegation create --owner bram --title "
    "'Hiring plan' --why 'You know the team best' --result 'A plan for 3 hires' "
    "--level agree --due 2026-12-20 --as ann",
)
def delegation_create(
    owner: Annotated[str, typer.Option(help="The one new owner.")],
    title: Annotated[str, typer.Option(help="What is delegated.")],
    why: Annotated[str, typer.Option(help="Why, and why them.")],
    result: Annotated[str, typer.Option(help="The desired result.")],
    level: Annotated[
        str, typer.Option(help="tell, sell, consult, agree, advise, inquire or delegate.")
    ],
    due: Annotated[str, typer.Option(help="Due date.")],
    boundaries: Annotated[str, typer.Option(help="Budget, time, what not to do.")] = "",
    cadence: Annotated[int, typer.Option(help="Days between check-ins.")] = 7,
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Delegate work to one owner (you, --as, are the delegator)."""
    with koers_app(data_dir) as app:
        receipt = app.delegate(
            actor=actor_of(actor),
            key=key,
            owner=owner,
            title=title,
            why=why,
            desired_result=result,
            boundaries=boundaries,
            level=level,
            cadence_days=cadence,
            due=parse_date(due),
        )
    report("delegation", receipt, as_json)


@delegation.command(
    "check-in",
    epilog="\b\nExample: koers delegation check-in <id> --status at_risk "
    "--progress '2 of 3 roles approved' --as bram",
)
def delegation_check_in(
    ident: Ident,
    status: Annotated[str, typer.Option(help="on_track, at_risk or blocked.")],
    progress: Annotated[str, typer.Option(help="Where it stands.")],
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Check in on a delegation (the owner does)."""
    with koers_app(data_dir) as app:
        receipt = app.delegation_check_in(
            parse_uuid(ident), actor=actor_of(actor), key=key, status=status, progress=progress
        )
    report("delegation", receipt, as_json)


@delegation.command(
    "ack",
    epilog="\b\nExample: koers delegation ack <id> --check-in <id> --note 'Ask finance' --as ann",
)
def delegation_ack(
    ident: Ident,
    check_in: Annotated[str, typer.Option(help="The check-in's id (koers delegation show).")],
    note: Annotated[str, typer.Option(help="A note back.")] = "",
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Acknowledge a check-in (the delegator does)."""
    with koers_app(data_dir) as app:
        receipt = app.acknowledge_check_in(
            parse_uuid(ident),
            actor=actor_of(actor),
            key=key,
            check_in_id=parse_uuid(check_in),
            note=note,
        )
    report("delegation", receipt, as_json)


@delegation.command(
    "renegotiate",
    epilog="\b\nExample: koers delegation renegotiate <id> --due 2027-01-15 "
    "--reason 'The budget arrives in January' --as bram",
)
def delegation_renegotiate(
    ident: Ident,
    reason: Reason,
    due: Annotated[str | None, typer.Option(help="A new due date.")] = None,
    boundaries: Annotated[str | None, typer.Option(help="New boundaries.")] = None,
    level: Annotated[str | None, typer.Option(help="A new decision-rights level.")] = None,
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Renegotiate due date, boundaries or level."""
    with koers_app(data_dir) as app:
        receipt = app.renegotiate(
            parse_uuid(ident),
            actor=actor_of(actor),
            key=key,
            reason=reason,
            due=parse_date(due) if due else None,
            boundaries=boundaries,
            level=level,
        )
    report("delegation", receipt, as_json)


@delegation.command(
    "complete",
    epilog="\b\nExample: koers delegation complete <id> --feedback 'Clear plan, on time' "
    "--feedforward 'Involve finance sooner' --as ann",
)
def delegation_complete(
    ident: Ident,
    feedback: Annotated[str, typer.Option(help="What went well and what did not.")],
    feedforward: Annotated[str, typer.Option(help="What to do next time.")],
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Complete a delegation with feedback and feedforward (the delegator does)."""
    with koers_app(data_dir) as app:
        receipt = app.complete_delegation(
            parse_uuid(ident),
            actor=actor_of(actor),
            key=key,
            feedback=feedback,
            feedforward=feedforward,
        )
    report("delegation", receipt, as_json)


@delegation.command(
    "revoke",
    epilog="\b\nExample: koers delegation revoke <id> --reason 'Hiring is frozen' --as ann",
)
def delegation_revoke(
    ident: Ident,
    reason: Reason,
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Revoke a delegation."""
    with koers_app(data_dir) as app:
        receipt = app.revoke_delegation(
            parse_uuid(ident), actor=actor_of(actor), key=key, reason=reason
        )
    report("delegation", receipt, as_json)

"""`koers objective …`, `koers kr …` and `koers kpi …`."""

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
    parse_decimal,
    parse_moment,
    parse_uuid,
    report,
)
from ledger.cli._reads import list_command, show_command

__all__ = ["kpi", "kr", "objective"]

objective = typer.Typer(help="Objectives: what a team wants to achieve this quarter, and why.")
kr = typer.Typer(help="Key results: measurable results of an objective, with check-ins.")
kpi = typer.Typer(help="KPIs: a team's 3–5 key performance indicators.")

Reason = Annotated[str, typer.Option(help="Why (required: history keeps it).")]
Ident = Annotated[str, typer.Argument(metavar="ID")]

objective.command("show", epilog="\b\nExample: koers objective show <id>")(
    show_command("objective")
)
objective.command("list", epilog="\b\nExample: koers objective list --team platform")(
    list_command("objective", ["team", "period", "title", "owner", "status"], ["team", "owner"])
)
kr.command("show", epilog="\b\nExample: koers kr show <id> --json")(show_command("key_result"))
kr.command("list", epilog="\b\nExample: koers kr list --owner bram")(
    list_command("key_result", ["title", "metric", "start", "target", "owner", "status"], ["owner"])
)
kpi.command("show", epilog="\b\nExample: koers kpi show <id>")(show_command("kpi"))
kpi.command("list", epilog="\b\nExample: koers kpi list --team platform --owner ann")(
    list_command("kpi", ["team", "name", "target", "direction", "kind", "owner"], ["team", "owner"])
)


@objective.command(
    "set",
    epilog="\b\nExample: koers objective set --team platform --period 2026-Q4 "
    "--title 'Ship weekly' --why 'Customers wait too long' --owner ann",
)
def objective_set(
    team: Annotated[str, typer.Option(help="The team it belongs to.")],
    title: Annotated[str, typer.Option(help="What you want to achieve.")],
    why: Annotated[str, typer.Option(help="Why it matters.")],
    period: Annotated[str, typer.Option(help="The quarter, e.g. 2026-Q4.")],
    owner: Annotated[str, typer.Option(help="One person accountable.")],
    parent: Annotated[str | None, typer.Option(help="The objective it aligns to.")] = None,
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Set an objective for a team and quarter."""
    parent_id = parse_uuid(parent) if parent else None
    with koers_app(data_dir) as app:
        receipt = app.set_objective(
            actor=actor_of(actor),
            key=key,
            team=team,
            title=title,
            why=why,
            period=period,
            owner=owner,
            parent_id=parent_id,
        )
    report("objective", receipt, as_json)


@objective.command(
    "realign",
    epilog="\b\nExample: koers objective realign <id> --parent <id> "
    "--reason 'It serves the company objective now'",
)
def objective_realign(
    ident: Ident,
    reason: Reason,
    parent: Annotated[str | None, typer.Option(help="The new parent (omit: no parent).")] = None,
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Align an objective to another parent objective (or to none)."""
    with koers_app(data_dir) as app:
        receipt = app.realign_objective(
            parse_uuid(ident),
            actor=actor_of(actor),
            key=key,
            reason=reason,
            parent_id=parse_uuid(parent) if parent else None,
        )
    report("objective", receipt, as_json)


@objective.command(
    "score",
    epilog="\b\nExample: koers objective score <id> --score 0.7 "
    "--learnings 'Flaky tests cost us a month'",
)
def objective_score(
    ident: Ident,
    score: Annotated[str, typer.Option(help="0.0–1.0 at the end of the period.")],
    learnings: Annotated[str, typer.Option(help="What you learned.")],
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Score an objective at the end of its period (0.0–1.0) and record the learnings."""
    with koers_app(data_dir) as app:
        receipt = app.score_objective(
            parse_uuid(ident),
            actor=actor_of(actor),
            key=key,
            score=parse_decimal(score, "score"),
            learnings=learnings,
        )
    report("objective", receipt, as_json)


@objective.command(
    "drop", epilog="\b\nExample: koers objective drop <id> --reason 'Merged into onboarding'"
)
def objective_drop(
    ident: Ident,
    reason: Reason,
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Drop an objective (it stays in the history)."""
    with koers_app(data_dir) as app:
        receipt = app.drop_objective(
            parse_uuid(ident), actor=actor_of(actor), key=key, reason=reason
        )
    report("objective", receipt, as_json)


@kr.command(
    "add",
    epilog="\b\nExample: koers kr add --objective <id> --title 'Lead time' "
    "--metric decrease --start 10 --target 2 --unit days --owner bram",
)
def kr_add(
    objective_id: Annotated[str, typer.Option("--objective", help="The objective's id.")],
    title: Annotated[str, typer.Option(help="What is measured.")],
    metric: Annotated[
        str, typer.Option(help="increase, decrease, keep_above, keep_below or milestone.")
    ],
    start: Annotated[str, typer.Option(help="The value at the start.")],
    target: Annotated[str, typer.Option(help="The value to reach.")],
    owner: Annotated[str, typer.Option(help="Exactly one owner.")],
    unit: Annotated[str, typer.Option(help="The unit, e.g. %, days, EUR.")] = "",
    cadence: Annotated[int, typer.Option(help="Days between check-ins.")] = 7,
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Add a key result to an objective."""
    with koers_app(data_dir) as app:
        receipt = app.add_key_result(
            actor=actor_of(actor),
            key=key,
            objective_id=parse_uuid(objective_id),
            title=title,
            metric=metric,
            start=parse_decimal(start),
            target=parse_decimal(target),
            unit=unit,
            owner=owner,
            cadence_days=cadence,
        )
    report("key-result", receipt, as_json)


@kr.command(
    "check-in",
    epilog="\b\nExample: koers kr check-in <id> --value 7 --confidence 6 "
    "--note 'CI is faster' --blocker 'waiting on legal'",
)
def kr_check_in(
    ident: Ident,
    value: Annotated[str, typer.Option(help="The measured value.")],
    confidence: Annotated[int, typer.Option(help="0–10: how sure you are to make the target.")],
    as_of: Annotated[
        str | None, typer.Option(help="When the value was true (default now; never in the future).")
    ] = None,
    note: Annotated[str, typer.Option(help="A note.")] = "",
    blocker: Annotated[list[str] | None, typer.Option(help="A blocker (repeat for more).")] = None,
    expect_version: Annotated[
        int | None, typer.Option(help="Refuse if the key result moved past this version.")
    ] = None,
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Record a check-in on a key result."""
    with koers_app(data_dir) as app:
        receipt = app.check_in(
            parse_uuid(ident),
            actor=actor_of(actor),
            key=key,
            value=parse_decimal(value),
            confidence=confidence,
            as_of=parse_moment(as_of),
            note=note,
            blockers=tuple(blocker or ()),
            expected_version=expect_version,
        )
    report("key-result", receipt, as_json)


@kr.command(
    "correct",
    epilog="\b\nExample: koers kr correct <id> --check-in <id> --value 6 "
    "--confidence 5 --reason 'A rollback was counted as a deploy'",
)
def kr_correct(
    ident: Ident,
    check_in: Annotated[str, typer.Option(help="The check-in's id (koers kr show).")],
    value: Annotated[str, typer.Option(help="The corrected value.")],
    confidence: Annotated[int, typer.Option(help="The corrected confidence, 0–10.")],
    reason: Reason,
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Correct a check-in: a new event; the original stays in the history."""
    with koers_app(data_dir) as app:
        receipt = app.correct_check_in(
            parse_uuid(ident),
            actor=actor_of(actor),
            key=key,
            check_in_id=parse_uuid(check_in),
            value=parse_decimal(value),
            confidence=confidence,
            reason=reason,
        )
    report("key-result", receipt, as_json)


@kr.command(
    "retarget",
    epilog="\b\nExample: koers kr retarget <id> --target 3 --reason '2 days is out of reach'",
)
def kr_retarget(
    ident: Ident,
    target: Annotated[str, typer.Option(help="The new target.")],
    reason: Reason,
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Change a key result's target (the original target is kept)."""
    with koers_app(data_dir) as app:
        receipt = app.retarget(
            parse_uuid(ident),
            actor=actor_of(actor),
            key=key,
            target=parse_decimal(target),
            reason=reason,
        )
    report("key-result", receipt, as_json)


@kr.command("drop", epilog="\b\nExample: koers kr drop <id> --reason 'SSO moved to Q1'")
def kr_drop(
    ident: Ident,
    reason: Reason,
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Drop a key result (it takes no more check-ins)."""
    with koers_app(data_dir) as app:
        receipt = app.drop_key_result(
            parse_uuid(ident), actor=actor_of(actor), key=key, reason=reason
        )
    report("key-result", receipt, as_json)


@kr.command(
    "close",
    epilog="\b\nExample: koers kr close <id> --score 0.6 --learnings 'Caching helped most'",
)
def kr_close(
    ident: Ident,
    score: Annotated[str, typer.Option(help="0.0–1.0.")],
    learnings: Annotated[str, typer.Option(help="What you learned.")] = "",
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Close a key result at the end of the period with a score."""
    with koers_app(data_dir) as app:
        receipt = app.close_key_result(
            parse_uuid(ident),
            actor=actor_of(actor),
            key=key,
            score=parse_decimal(score),
            learnings=learnings,
        )
    report("key-result", receipt, as_json)


@kpi.command(
    "define",
    epilog="\b\nExample: koers kpi define --team platform --name 'Lead time for changes' "
    "--target 24 --unit hours --direction lower_is_better --kind leading --owner ann",
)
def kpi_define(
    team: Annotated[str, typer.Option(help="The team.")],
    name: Annotated[str, typer.Option(help="What is measured.")],
    owner: Annotated[str, typer.Option(help="One owner.")],
    target: Annotated[str, typer.Option(help="The target value.")],
    direction: Annotated[str, typer.Option(help="higher_is_better or lower_is_better.")],
    kind: Annotated[str, typer.Option(help="leading or lagging.")],
    unit: Annotated[str, typer.Option(help="The unit.")] = "",
    next_step: Annotated[str, typer.Option(help="The next step to move it.")] = "",
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Define one of a team's KPIs."""
    with koers_app(data_dir) as app:
        receipt = app.define_kpi(
            actor=actor_of(actor),
            key=key,
            team=team,
            name=name,
            owner=owner,
            target=parse_decimal(target),
            direction=direction,
            kind=kind,
            unit=unit,
            next_step=next_step,
        )
    report("kpi", receipt, as_json)


@kpi.command(
    "measure",
    epilog="\b\nExample: koers kpi measure <id> --value 30 --as-of 2026-11-02 "
    "--note 'Release freeze week'",
)
def kpi_measure(
    ident: Ident,
    value: Annotated[str, typer.Option(help="The measured value.")],
    as_of: Annotated[str | None, typer.Option(help="When it was true (default now).")] = None,
    note: Annotated[str, typer.Option(help="A note.")] = "",
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Record a KPI measurement."""
    with koers_app(data_dir) as app:
        receipt = app.measure_kpi(
            parse_uuid(ident),
            actor=actor_of(actor),
            key=key,
            value=parse_decimal(value),
            as_of=parse_moment(as_of),
            note=note,
        )
    report("kpi", receipt, as_json)


@kpi.command(
    "next-step", epilog="\b\nExample: koers kpi next-step <id> --step 'Split the monolith build'"
)
def kpi_next_step(
    ident: Ident,
    next_step: Annotated[str, typer.Option("--step", help="The next step.")],
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Set a KPI's next step."""
    with koers_app(data_dir) as app:
        receipt = app.set_kpi_next_step(
            parse_uuid(ident), actor=actor_of(actor), key=key, next_step=next_step
        )
    report("kpi", receipt, as_json)


@kpi.command(
    "retire",
    epilog="\b\nExample: koers kpi retire <id> --reason 'Replaced by deploy frequency'",
)
def kpi_retire(
    ident: Ident,
    reason: Reason,
    actor: Actor = None,
    key: Key = "",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Retire a KPI."""
    with koers_app(data_dir) as app:
        receipt = app.retire_kpi(parse_uuid(ident), actor=actor_of(actor), key=key, reason=reason)
    report("kpi", receipt, as_json)

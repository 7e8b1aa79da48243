"""`koers demo`: load a realistic quarter for two teams (deterministic, idempotent)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ledger.cli._common import DataDir, Json, as_json, koers_app, parse_date
from ledger.demo import load_demo

__all__ = ["demo"]


def demo(
    today: Annotated[
        str | None,
        typer.Option(help="Pretend today is this day (the demo quarter is the one before it)."),
    ] = None,
    as_json_output: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Load a realistic quarter for two teams: objectives with weekly check-ins, a dozen
    decisions, delegations, retros and prompts. Running it again adds nothing.

    Example: koers demo && koers decision list
    """
    day = parse_date(today) if today else None
    with (
        koers_app(data_dir, writes=True) as app,
        typer.progressbar(length=1, label="loading the demo", file=sys.stderr) as bar,
    ):
        state = {"done": 0}

        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - state["done"])
            state["done"] = done

        summary = load_demo(app, today=day, progress=progress)
    if as_json_output:
        as_json(
            {
                "period": summary.period,
                "created": summary.created,
                "already_present": summary.already_present,
                "commands": summary.commands,
            }
        )
        return
    typer.echo(
        f"demo quarter {summary.period} ({summary.starts} – {summary.ends}) for "
        f"{len(summary.teams)} teams, {len(summary.people)} people: {summary.created} "
        f"commands recorded, {summary.already_present} were there already"
    )

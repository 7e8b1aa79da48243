"""`koers objective …`, `koers kr …` and `koers kpi …`: reads here, writes from the table."""

from __future__ import annotations

import typer

from ledger.cli._boards import kpi_board, objective_tree
from ledger.cli._commands import add_commands
from ledger.cli._reads import add_reads
from ledger.domain import COMMANDS

__all__ = ["kpi", "kr", "objective"]

objective = typer.Typer(help="Objectives: what a team wants to achieve this quarter, and why.")
kr = typer.Typer(help="Key results: measurable results of an objective, with check-ins.")
kpi = typer.Typer(help="KPIs: a team's 3–5 key performance indicators.")

add_reads(objective, "objective")
objective.command("tree")(objective_tree)
add_reads(kr, "key_result")
add_reads(kpi, "kpi")

kpi.command("board")(kpi_board)


for group, kind in ((objective, "objective"), (kr, "key_result"), (kpi, "kpi")):
    add_commands(group, COMMANDS.of_kind(kind))

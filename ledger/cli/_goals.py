"""`koers objective …`, `koers kr …` and `koers kpi …`: reads here, writes from the table."""

from __future__ import annotations

import typer

from ledger.cli._boards import kpi_board, objective_tree
from ledger.cli._commands import add_commands
from ledger.cli._reads import list_command, show_command
from ledger.domain import COMMANDS

__all__ = ["kpi", "kr", "objective"]

objective = typer.Typer(help="Objectives: what a team wants to achieve this quarter, and why.")
kr = typer.Typer(help="Key results: measurable results of an objective, with check-ins.")
kpi = typer.Typer(help="KPIs: a team's 3–5 key performance indicators.")

objective.command("show", epilog="\b\nExample: koers objective show <id>")(
    show_command("objective")
)
objective.command("list", epilog="\b\nExample: koers objective list --team platform")(
    list_command("objective", ["team", "period", "title", "owner", "status"], ["team", "owner"])
)
objective.command("tree")(objective_tree)
kr.command("show", epilog="\b\nExample: koers kr show <id> --json")(show_command("key_result"))
kr.command("list", epilog="\b\nExample: koers kr list --owner bram")(
    list_command("key_result", ["title", "metric", "start", "target", "owner", "status"], ["owner"])
)
kpi.command("show", epilog="\b\nExample: koers kpi show <id>")(show_command("kpi"))
kpi.command("list", epilog="\b\nExample: koers kpi list --team platform --owner ann")(
    list_command("kpi", ["team", "name", "target", "direction", "kind", "owner"], ["team", "owner"])
)

kpi.command("board")(kpi_board)


for group, kind in ((objective, "objective"), (kr, "key_result"), (kpi, "kpi")):
    add_commands(group, COMMANDS.of_kind(kind))

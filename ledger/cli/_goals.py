"""`koers objective …`, `koers kr …` and `koers kpi …`: reads here, writes from the table."""

from __future__ import annotations

from ledger.cli._boards import kpi_board, objective_tree
from ledger.cli._commands import add_commands
from ledger.cli._reads import add_reads
from ledger.cli._tree import group
from ledger.domain import COMMANDS

__all__ = ["kpi", "kr", "objective"]

objective = group("objective")
kr = group("kr")
kpi = group("kpi")

add_reads(objective, "objective")
objective.command("tree")(objective_tree)
add_reads(kr, "key_result")
add_reads(kpi, "kpi")

kpi.command("board")(kpi_board)


for typer_group, kind in ((objective, "objective"), (kr, "key_result"), (kpi, "kpi")):
    add_commands(typer_group, COMMANDS.of_kind(kind))

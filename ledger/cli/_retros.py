"""`koers retro …` and `koers prompt …`: reads here, writes from the table."""

from __future__ import annotations

import typer

from ledger.cli._commands import add_commands
from ledger.cli._reads import add_reads
from ledger.domain import COMMANDS

__all__ = ["prompt", "retro"]

retro = typer.Typer(help="Retros: items, a team-health pulse and action items.")
prompt = typer.Typer(help="Reflection prompts: questions for one person, and their answers.")

add_reads(retro, "retro")
add_reads(prompt, "prompt")

for group, kind in ((retro, "retro"), (prompt, "prompt")):
    add_commands(group, COMMANDS.of_kind(kind))

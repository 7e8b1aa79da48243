"""`koers retro …` and `koers prompt …`: reads here, writes from the table."""

from __future__ import annotations

from ledger.cli._commands import add_commands
from ledger.cli._reads import add_reads
from ledger.cli._tree import group
from ledger.domain import COMMANDS

__all__ = ["prompt", "retro"]

retro = group("retro")
prompt = group("prompt")

add_reads(retro, "retro")
add_reads(prompt, "prompt")

for typer_group, kind in ((retro, "retro"), (prompt, "prompt")):
    add_commands(typer_group, COMMANDS.of_kind(kind))

"""`koers retro …` and `koers prompt …`: reads here, writes from the table."""

from __future__ import annotations

import typer

from ledger.cli._commands import add_commands
from ledger.cli._reads import list_command, show_command
from ledger.domain import COMMANDS

__all__ = ["prompt", "retro"]

retro = typer.Typer(help="Retros: items, a team-health pulse and action items.")
prompt = typer.Typer(help="Reflection prompts: questions for one person, and their answers.")

retro.command("show", epilog="\b\nExample: koers retro show <id>")(show_command("retro"))
retro.command("list", epilog="\b\nExample: koers retro list --team platform")(
    list_command("retro", ["team", "period", "held_on", "facilitator"], ["team"])
)
prompt.command("list", epilog="\b\nExample: koers prompt list --to ann --json")(
    list_command("prompt", ["to", "kind", "state", "question"], ["to"])
)
prompt.command("show", epilog="\b\nExample: koers prompt show <id> --json")(show_command("prompt"))

for group, kind in ((retro, "retro"), (prompt, "prompt")):
    add_commands(group, COMMANDS.of_kind(kind))

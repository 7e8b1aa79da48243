"""`koers delegation …`: reads here, writes from the command table."""

from __future__ import annotations

import typer

from ledger.cli._commands import add_commands
from ledger.cli._reads import list_command, show_command
from ledger.domain import COMMANDS

__all__ = ["delegation"]

delegation = typer.Typer(help="Delegations: work handed to one owner, with a rhythm.")

delegation.command("show", epilog="\b\nExample: koers delegation show <id>")(
    show_command("delegation")
)
delegation.command("list", epilog="\b\nExample: koers delegation list --owner bram")(
    list_command("delegation", ["title", "delegator", "owner", "level", "due", "status"], ["owner"])
)

add_commands(delegation, COMMANDS.of_kind("delegation"))

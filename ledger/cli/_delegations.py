"""`koers delegation …`: reads here, writes from the command table."""

from __future__ import annotations

import typer

from ledger.cli._commands import add_commands
from ledger.cli._reads import add_reads
from ledger.domain import COMMANDS

__all__ = ["delegation"]

delegation = typer.Typer(help="Delegations: work handed to one owner, with a rhythm.")

add_reads(delegation, "delegation")

add_commands(delegation, COMMANDS.of_kind("delegation"))

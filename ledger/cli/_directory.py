"""`koers people …` and `koers teams …`: the directory (writes from the command table)."""

from __future__ import annotations

import typer

from ledger.cli._commands import add_commands
from ledger.cli._reads import list_command
from ledger.domain import COMMANDS

__all__ = ["people", "teams"]

people = typer.Typer(help="People: who uses Koers, known by a handle, with org-wide roles.")
teams = typer.Typer(help="Teams: the org tree, with each member's role (viewer, member, lead).")

people.command("list", epilog="\b\nExample: koers people list --json")(
    list_command("person", ["handle", "name", "email", "time_zone", "org_roles"])
)
teams.command("list", epilog="\b\nExample: koers teams list")(
    list_command("team", ["slug", "name", "parent", "members"])
)
add_commands(people, COMMANDS.of_kind("person"))
add_commands(teams, COMMANDS.of_kind("team"))

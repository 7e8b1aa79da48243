"""`koers notify …`: how a person (or team) is told of prompts, from the command table.

``set`` and ``team`` are the table's ``person.notify`` and ``team.notify`` (the same as
``koers people notify`` and ``koers teams notify``, and ``POST /people/{handle}/notify``);
``show`` prints the channels, webhook URLs masked unless you are their owner or an admin.
"""

from __future__ import annotations

import typer

from ledger.cli._commands import command_function
from ledger.cli._common import Actor, DataDir, Json, actor_of, as_json, koers_app, local_principal
from ledger.cli._output import friendly_errors
from ledger.cli._remote import remote_from_env
from ledger.cli._tree import group
from ledger.domain import COMMANDS

__all__ = ["notify"]

notify = group("notify")
for _verb, _name, _example in (
    ("set", "person.notify", "ann --email on --digest daily --quiet 19:00-08:00"),
    ("team", "team.notify", "platform --slack https://hooks.slack.com/services/T0/B0/XX"),
):
    notify.command(_verb, epilog=f"\b\nExample: koers notify {_verb} {_example}")(
        command_function(COMMANDS[_name])
    )


@notify.command("show", epilog="\b\nExample: koers notify show ann")
def show(
    name: str = typer.Argument(..., metavar="HANDLE|SLUG", help="The person (or --team)."),
    team: bool = typer.Option(False, "--team", help="NAME is a team's slug."),
    actor: Actor = None,
    as_json_output: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Show a person's (or team's) channels and preferences."""
    kind = "team" if team else "person"
    with friendly_errors():
        remote = remote_from_env()
        if remote is not None:
            with remote:
                path = f"/teams/{name}/notify" if team else f"/people/{name}/notify"
                shown = remote.get(path)
        else:
            with koers_app(data_dir) as app:
                shown = app.notifications(local_principal(actor_of(actor)), kind, name)
    if as_json_output:
        as_json(shown)
        return
    for key, value in shown.items():
        typer.echo(f"{key:7} {', '.join(value) if isinstance(value, list) else value}")

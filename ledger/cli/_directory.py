"""`koers people …` and `koers teams …`: the directory (writes from the command table)."""

from __future__ import annotations

import typer

from ledger.cli._address import base_url
from ledger.cli._commands import add_commands
from ledger.cli._common import Actor, DataDir, Json, actor_of, as_json, koers_app, local_settings
from ledger.cli._reads import add_reads
from ledger.cli._tree import group
from ledger.domain import COMMANDS

__all__ = ["calendar_link", "directory", "login_link", "people", "teams", "token"]

people = group("people")
teams = group("teams")

add_reads(people, "person")
add_reads(teams, "team")
directory = group("directory")
token = group("token")
add_reads(token, "token")
add_commands(token, COMMANDS.of_kind("token"))
add_commands(people, COMMANDS.of_kind("person"))
add_commands(teams, COMMANDS.of_kind("team"))


@directory.command("import", epilog="\b\nExample: koers directory import --as ann")
def import_(actor: Actor = None, as_json_output: Json = False, data_dir: DataDir = None) -> None:
    """Add the people and teams the ledger mentions that the directory lacks.

    Each person becomes a member of the teams whose items name them; set the leads
    afterwards (`koers teams member <team> <handle> --role lead`). Running it again adds
    nothing.
    """
    with koers_app(data_dir) as app:
        found = app.import_directory(actor=actor_of(actor))
    if as_json_output:
        as_json(found)
        return
    typer.echo(f"added {len(found.people)} people: {', '.join(found.people) or '-'}")
    typer.echo(f"added {len(found.teams)} teams: {', '.join(found.teams) or '-'}")
    typer.echo(f"added {len(found.members)} memberships (role member): "
               + (", ".join(f"{h} in {t}" for t, h in found.members) or "-"))  # fmt: skip
    for reason in found.skipped:
        typer.echo(f"skipped {reason}", err=True)
    if found.members:
        typer.echo("next: name each team's leads: koers teams member <team> <handle> --role lead")


def login_link(
    handle: str = typer.Argument(..., help="Whom the link signs in (a person's handle)."),
    actor: Actor = None,
    data_dir: DataDir = None,
) -> None:
    """Print a one-time link that signs a person in to the web page (it works once, for
    KOERS_LOGIN_LINK_MINUTES minutes). Its base is KOERS_PUBLIC_URL, else the address of the
    `koers serve` running on this data directory."""
    settings = local_settings(data_dir)
    base, guessed = base_url(settings)
    with koers_app(data_dir) as app:
        secret = app.issue_login_link(
            handle, actor=actor_of(actor), minutes=settings.access.login_link_minutes
        )
    _say_if_guessed(base, guessed)
    typer.echo(f"{base}/login?token={secret}")


def _say_if_guessed(base: str, guessed: bool) -> None:
    if guessed:
        typer.echo(
            f"koers: no koers serve runs on this data directory, so the link names {base}; "
            "if the web page is elsewhere, set KOERS_PUBLIC_URL",
            err=True,
        )


def calendar_link(
    handle: str = typer.Argument(..., help="Whose calendar feed (a person's handle)."),
    revoke: bool = typer.Option(False, "--revoke", help="End the link; make no new one."),
    actor: Actor = None,
    data_dir: DataDir = None,
) -> None:
    """Print the secret address of a person's calendar feed (iCalendar, for calendar apps):
    their review, decide-by, check-in, retro and action dates. A new link replaces the one
    before; its base is KOERS_PUBLIC_URL, else the address of the running `koers serve`."""
    settings = local_settings(data_dir)
    with koers_app(data_dir, writes=True) as app:
        if revoke:
            app.revoke_calendar_link(handle, actor=actor_of(actor))
        else:
            secret = app.issue_calendar_link(handle, actor=actor_of(actor))
    if revoke:
        typer.echo(f"revoked: {handle}'s calendar link no longer works")
        return
    base, guessed = base_url(settings)
    _say_if_guessed(base, guessed)
    typer.echo(f"{base}/calendar/{secret}.ics")

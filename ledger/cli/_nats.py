"""``koers nats``: the users of the embedded nats-server (who may connect, and how).

Every part of Koers signs in as its own user (``admin``, ``app``, ``workers``, ``views``);
an administrator adds read-only users for analytics and reads any user's connection URL.
A secret is printed only by ``user add`` (once) and ``credentials`` (on purpose); ``list``
shows names and roles. The files live in ``<data dir>/nats/credentials/`` (see
docs/store.md); a change reaches a running server at once (its config is reloaded).
"""

from __future__ import annotations

from pathlib import Path

import typer

from ledger.cli._common import DataDir, Json, local_settings
from ledger.cli._output import emit_json, friendly_errors
from ledger.cli._tree import group
from ledger.embedded import (
    READER,
    ROLES,
    Credential,
    ServerPaths,
    ServerState,
    add_reader,
    all_credentials,
    read_credential,
    reload_users,
    remove_reader,
    running_state,
)
from ledger.errors import ConfigurationError

__all__ = ["nats"]

nats = group("nats", no_args_is_help=True)
user = typer.Typer(help="Add, remove and list the NATS users.", no_args_is_help=True)
nats.add_typer(user, name="user")


def _paths(data_dir: Path | None) -> ServerPaths:
    settings = local_settings(data_dir).store
    if settings.url is not None:
        raise ConfigurationError(
            "NATS_URL is set: the users of that server are its administrator's (its own "
            "config). These commands manage the embedded server of a data directory: unset "
            "NATS_URL"
        )
    return ServerPaths(settings.data_dir.absolute())


def _connection(credential: Credential, state: ServerState | None) -> str:
    """The URL to connect with, or the user and secret and why there is no URL yet."""
    if state is not None:
        return credential.url(state.url)
    return (
        f"user {credential.user}\npassword {credential.password}\n"
        f"(no server runs for this data directory now, so its port is unknown: start "
        f"'koers serve', then run 'koers nats credentials {credential.user}' for the URL)"
    )


@user.command("add", epilog="Example: koers nats user add analytics --read-only")
def add(
    name: str = typer.Argument(..., help="The new user's name (e.g. analytics)."),
    read_only: bool = typer.Option(
        False, "--read-only", help="Read the ledger only (the one kind of user you can add)."
    ),
    data_dir: DataDir = None,
) -> None:
    """Add a read-only NATS user and print its connection URL (with its secret: shown once)."""
    with friendly_errors():
        if not read_only:
            raise ConfigurationError(
                "only read-only users can be added (Koers's own users are made for it): "
                f"run 'koers nats user add {name} --read-only'"
            )
        paths = _paths(data_dir)
        credential = add_reader(paths, name)
        state = reload_users(paths.data_dir)
        typer.echo(_connection(credential, state))
        typer.echo(
            f"koers: NATS user {name!r} may read the ledger (direct gets, consumers) and nothing "
            f"else; keep the URL secret, it holds the password",
            err=True,
        )


@user.command("remove", epilog="Example: koers nats user remove analytics")
def remove(
    name: str = typer.Argument(..., help="The read-only user to remove."),
    data_dir: DataDir = None,
) -> None:
    """Remove a read-only NATS user: it can no longer connect (a running server reloads)."""
    with friendly_errors():
        paths = _paths(data_dir)
        remove_reader(paths, name)
        reload_users(paths.data_dir)
        typer.echo(f"removed NATS user {name}")


@user.command("list", epilog="Example: koers nats user list --json")
def list_users(data_dir: DataDir = None, as_json: Json = False) -> None:
    """The NATS users of the data directory and their roles (no secrets)."""
    with friendly_errors():
        rows = [{"user": c.user, "role": c.role} for c in all_credentials(_paths(data_dir))]
        if as_json:
            emit_json(rows)
            return
        if not rows:
            typer.echo("no NATS users yet: the first start of the server makes them")
        for row in rows:
            typer.echo(f"{row['user']:<16} {_ROLE_HELP.get(row['role'], row['role'])}")


_ROLE_HELP = {
    "admin": "admin: everything; Koers uses it only to create streams",
    "app": "app: API and CLI: appends events, reads; no delete, purge or update",
    "workers": "workers: reads the ledger, appends prompts, owns schedules and dead letters",
    "views": "views: reads the ledger only",
    READER: "reader: reads the ledger only (added by an administrator)",
}


@nats.command("credentials", epilog="Example: koers nats credentials admin")
def credentials(
    name: str = typer.Argument(
        ..., help=f"A role ({', '.join(ROLES)}) or a read-only user's name."
    ),
    data_dir: DataDir = None,
) -> None:
    """Print a NATS user's connection URL, secret included (for an administrator)."""
    with friendly_errors():
        paths = _paths(data_dir)
        typer.echo(_connection(read_credential(paths, name), running_state(paths.data_dir)))

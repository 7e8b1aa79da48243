"""What every `koers` subcommand shares: the application, options, parsing and output.

Light to import (a read through a running serve uses it): the application, the store and the
domain are imported by the functions that use them."""

from __future__ import annotations

import dataclasses
import getpass
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import typer

from ledger.cli._output import emit_json, fail, friendly_errors
from ledger.settings import RemoteSettings, Settings, user_from_env

if TYPE_CHECKING:
    from ledger.application import Koers, Receipt
    from ledger.domain import Principal

__all__ = [
    "Actor",
    "DataDir",
    "Json",
    "Key",
    "OldKey",
    "as_json",
    "koers_app",
    "local_settings",
    "parse_date",
    "parse_decimal",
    "parse_moment",
    "parse_period",
    "parse_uuid",
    "report",
]

Actor = Annotated[
    str | None,
    typer.Option(
        "--as",
        metavar="HANDLE",
        help="Who does this (a person's handle) [env KOERS_USER; default: your login].",
        show_default=False,
    ),
]
Key = Annotated[
    str,
    typer.Option(
        "--idempotency-key",
        metavar="KEY",
        help="Idempotency key: run the same command again with the same key and it takes "
        "effect once (safe to retry after a timeout or a crash).",
    ),
]
#: ``--key``, the idempotency key's old spelling: hidden, and still taken (with a note)
#: by every command none of whose fields is called a key (docs/commands.md, "Names").
OldKey = Annotated[
    str,
    typer.Option("--key", metavar="KEY", hidden=True, help="Deprecated: --idempotency-key."),
]
DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Data directory of the embedded store [env KOERS_DATA_DIR].",
        show_default=False,
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def actor_of(actor: str | None) -> str:
    """``--as`` when given (even empty: the domain refuses an empty handle), else the user."""
    if actor is not None:
        return actor
    return user_from_env() or getpass.getuser()


def local_credential() -> str:
    """The credential of the command line on the machine that holds the data."""
    return f"local:{getpass.getuser()}"


def local_principal(actor: str) -> Principal:
    """The command line on the machine that holds the data: the local administrator (it could
    write to the store directly anyway), recording events for ``actor``."""
    from ledger.domain import Principal

    return Principal(actor, local_credential(), local=True)


def local_settings(data_dir: Path | None = None) -> Settings:
    """The settings of a command that works on the data itself (the data directory, or the
    store of ``NATS_URL``). With ``KOERS_API_URL`` set the command line works through the
    API, so such a command is refused rather than run on some local data."""
    if RemoteSettings.from_env() is not None:
        fail(
            "this command works on the machine that holds the data, and KOERS_API_URL is set: "
            "through the API the command line runs the commands of the table (e.g. `koers "
            "objective set`), `list`, `show` and `history`. Unset KOERS_API_URL to use the "
            "local data directory",
            "bad_input",
        )
    return Settings.from_env(data_dir=data_dir)


@contextmanager
def koers_app(data_dir: Path | None = None, *, writes: bool = False) -> Iterator[Koers]:
    """The application on the configured store (built by :func:`ledger.bootstrap.bootstrap`);
    closed (and an embedded server it started stopped) afterwards. Errors become one line
    and an exit code.

    A read never creates the ledger's streams. A command that ``writes`` on the embedded
    store of a data directory creates them where there has been no ledger yet (the first
    command on a new data directory, as ``koers init`` would), and stops where one was
    deleted (exit 6); on a ``NATS_URL`` only ``koers init`` creates them."""
    from ledger.bootstrap import bootstrap
    from ledger.domain import proved_by

    with friendly_errors():
        settings = local_settings(data_dir)
        if writes and not settings.store.url:
            from ledger.cli._init import refuse_lost_ledger

            refuse_lost_ledger(settings)
            settings = settings.with_store(create_stream=True)
        with (
            bootstrap(settings) as runtime,
            proved_by(local_credential()),  # every write of the command line
        ):
            yield runtime.app


def parse_uuid(value: str, what: str = "id") -> UUID:
    try:
        return UUID(value.strip())
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an id: copy it from `koers … list`") from None


_QUARTER = re.compile(r"(19|2[0-9])[0-9]{2}-Q[1-4]")


def parse_period(value: str) -> str:
    """A ``--period``: a quarter, written as 2026-Q4."""
    if not _QUARTER.fullmatch(value):
        raise typer.BadParameter(
            f"{value!r} is not a quarter: give it as 2026-Q4", param_hint="--period"
        )
    return value


def parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date: write it as 2026-12-31") from None


def parse_moment(value: str | None) -> datetime:
    """An aware moment; ``now`` or nothing means now; a date means its start (UTC)."""
    if value is None or value.strip().lower() == "now":
        return datetime.now(UTC)
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a time: write it as 2026-11-02T09:00+01:00 or 2026-11-02"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_decimal(value: str, what: str = "number") -> Decimal:
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        raise typer.BadParameter(f"{value!r} is not a {what}") from None
    if not number.is_finite():
        raise typer.BadParameter(f"{value!r} is not a finite {what}")
    return number


def as_json(value: Any) -> None:
    from ledger.application._reads import plain

    emit_json(plain(value))


def report(kind: str, receipt: Receipt, as_json_output: bool = False, **extra: Any) -> None:
    """One line saying what was recorded (or that it had been, for a retried command)."""
    from ledger.application._reads import plain

    if as_json_output:
        as_json({**dataclasses.asdict(receipt), "kind": kind, **extra})
        return
    done = "already recorded" if receipt.replayed else "recorded"
    where = f", position {receipt.position}" if receipt.position is not None else ""
    more = "".join(f", {k.replace('_', ' ')} {plain(v)}" for k, v in extra.items())
    typer.echo(f"{done}: {kind} {receipt.id} (version {receipt.version}{where}{more})")
    if receipt.secret is not None:  # alone on the last line, so `| tail -1` gets it
        kept = "sealed, to sign with" if kind == "webhook" else "only its hash"
        typer.echo(f"the secret, shown this once (Koers keeps {kept}):", err=True)
        typer.echo(receipt.secret)
    elif kind == "token" and receipt.replayed:
        typer.echo("the secret was shown when the token was made; it is not kept", err=True)

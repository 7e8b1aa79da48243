"""The command line's writes, built from the command table: ``koers <kind> <verb>``.

Each command gets an option per field (``--as-of`` for ``as_of``, or the field's own
``option``), its help from the field's description, and a worked example in its help. Values
go to the application as the text typed, unconverted: the domain's one check reads and bounds
them, so the command line refuses exactly what the API refuses (exit 2, naming the option).
Changes take the thing's id as their argument and ``--expect-version``; every command takes
``--idempotency-key`` (safe retries), ``--as``, ``--json`` and ``--data-dir``. The key's old
spelling ``--key`` is still taken, hidden and with a note, except by commands with a field
(or a part of one) called ``key``, where it read as that field (``decision add-option``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer

from ledger.application import Receipt
from ledger.cli._common import (
    Actor,
    DataDir,
    Json,
    Key,
    OldKey,
    actor_of,
    koers_app,
    local_principal,
    parse_uuid,
    report,
)
from ledger.cli._kinds import group_of
from ledger.cli._output import friendly_errors
from ledger.cli._remote import remote_for
from ledger.domain import Command
from ledger.domain._fields import Boolean, Choice, Field, Handles, Record, Records, Texts
from ledger.errors import InvalidValue

__all__ = [
    "add_commands",
    "bespoke_option",
    "command_function",
    "option_values",
]

ExpectVersion = Annotated[
    str | None,
    typer.Option(
        "--expect-version",
        metavar="VERSION",
        help="Refuse (exit 3) if the thing moved past this version since you looked.",
        show_default=False,
    ),
]
Ident = Annotated[str, typer.Argument(metavar="ID", help="The id of the thing to change.")]


def _argument(field: Field) -> inspect.Parameter:
    """A field the command line takes as an argument (``koers people add ann``)."""
    argument = typer.Argument(metavar=field.metavar, help=field.help, show_default=False)
    return inspect.Parameter(
        field.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Annotated[str, argument]
    )


def _parameter(field: Field) -> inspect.Parameter:
    if isinstance(field, Boolean):
        return _yes_no(field)
    many = isinstance(field, Texts | Handles)
    kind: Any = list[str] | None if many else str | None
    metavar = field.metavar
    if isinstance(field, Choice):
        metavar = "|".join(str(m.value) for m in field.of)
    shown = field.default if not field.required and field.default not in (None, "", ()) else None
    more = f" [default: {shown}]" if shown is not None else ""
    option = typer.Option(field.flag, help=field.help + more, show_default=False, metavar=metavar)
    if field.required and not many:
        kind = str
    default = inspect.Parameter.empty if field.required and not many else None
    return inspect.Parameter(
        field.name,
        inspect.Parameter.KEYWORD_ONLY,
        default=default,
        annotation=Annotated[kind, option],
    )


def _yes_no(field: Boolean) -> inspect.Parameter:
    """``--as-expected/--not-as-expected``."""
    flags = f"{field.flag}/--not-{field.flag.removeprefix('--')}"
    option = typer.Option(flags, help=field.help, show_default=False)
    default = inspect.Parameter.empty if field.required else None
    kind: Any = bool if field.required else bool | None
    return inspect.Parameter(
        field.name, inspect.Parameter.KEYWORD_ONLY, default=default,
        annotation=Annotated[kind, option],
    )  # fmt: skip


def bespoke_option(
    name: str, flag: str, help: str, *, metavar: str = "TEXT", many: bool = False
) -> inspect.Parameter:
    """An option a command's bespoke reader parses itself (``--option a='Yes'``); it is
    never required here, the declaration says what is missing."""
    kind: Any = list[str] | None if many else str | None
    option = typer.Option(flag, help=help, show_default=False, metavar=metavar)
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[kind, option]
    )


def _common(command: Command) -> list[inspect.Parameter]:
    keyword = inspect.Parameter.KEYWORD_ONLY
    common = [
        inspect.Parameter("actor", keyword, default=None, annotation=Actor),
        inspect.Parameter("key", keyword, default="", annotation=Key),
        inspect.Parameter("as_json", keyword, default=False, annotation=Json),
        inspect.Parameter("data_dir", keyword, default=None, annotation=DataDir),
    ]
    if not names_a_key(command):
        common.insert(2, inspect.Parameter("old_key", keyword, default="", annotation=OldKey))
    if not command.creates:
        common.insert(
            0, inspect.Parameter("expect", keyword, default=None, annotation=ExpectVersion)
        )
    return common


def option_values(command: Command, options: dict[str, Any]) -> dict[str, Any]:
    """The command's values from the options typed (those not typed are left out)."""
    return {
        f.name: options[f.name] for f in command.fields if options.get(f.name) not in (None, [])
    }


_COMMON_FLAGS = {
    "actor": "--as",
    "key": "--idempotency-key",
    "expected_version": "--expect-version",
}


def names_a_key(command: Command) -> bool:
    """Whether a field of the command, or a part of one, is called ``key`` (an option's key):
    there ``--key`` would read as that field, so the idempotency key's old spelling is not
    taken."""
    return any("key" in _part_names(f) for f in command.fields)


def _part_names(field: Any) -> set[str]:
    """A field's name and those of its parts (a record's, or each record's of a list)."""
    record = getattr(field, "item", field)
    return {field.name, *(p.name for p in getattr(record, "parts", ()))}


def idempotency_key(options: dict[str, Any]) -> str:
    """The ``--idempotency-key`` typed, or the deprecated ``--key`` (with a note on stderr)."""
    key, old = options.pop("key"), options.pop("old_key", "")
    if old:
        if key and key != old:
            raise typer.BadParameter("give the key once, as --idempotency-key", param_hint="--key")
        typer.echo("koers: --key is deprecated: write --idempotency-key", err=True)
    return str(key or old)


def _in_flags(
    command: Command, error: InvalidValue, more: Mapping[str, str] | None = None
) -> InvalidValue:
    """The same error, naming the options typed (``--cadence``) instead of the fields;
    ``more`` names the bespoke options of parts (``risk.impact`` → ``--impact``)."""
    names = {f.name: f.metavar if f.name in command.arguments else f.flag for f in command.fields}
    return error.renamed(names | _COMMON_FLAGS | dict(more or {}))


@contextmanager
def _named_as_typed(command: Command, flags: Mapping[str, str] | None) -> Iterator[None]:
    """A value refused inside is refused naming the options typed (:func:`_in_flags`)."""
    try:
        yield
    except InvalidValue as e:
        raise _in_flags(command, e, flags) from None


Execute = Callable[
    [Command, UUID | str | None, dict[str, Any], str | None, str, str | None], Receipt
]


@contextmanager
def _executor(data_dir: Path | None) -> Iterator[Execute]:
    """Where a command runs: the API of ``KOERS_API_URL`` (with the token's rights), else the
    ``koers serve`` running on the data directory, else the application on the local data
    (both as its administrator)."""
    with friendly_errors():
        remote = remote_for(data_dir)
    if remote is not None:
        local = remote.local  # the local administrator names who acts, as below
        with friendly_errors(), remote:
            yield lambda command, target, values, actor, key, expected: remote.execute(
                command, target, values, actor=actor_of(actor) if local else actor, key=key,
                expected_version=expected,
            )  # fmt: skip
        return
    with koers_app(data_dir, writes=True) as app:
        yield lambda command, target, values, actor, key, expected: app.execute(
            command, target, values, principal=local_principal(actor_of(actor)), key=key,
            expected_version=expected,
        )  # fmt: skip


def command_function(
    command: Command,
    values_of: Callable[[Command, dict[str, Any]], dict[str, Any]] | None = None,
    *,
    bespoke: Iterable[inspect.Parameter] = (),
    flags: Mapping[str, str] | None = None,
) -> Callable[..., None]:
    """The typer function of ``command``.

    Fields of several parts (:class:`Record`, :class:`Records`) have no generic option: a
    command with them adds ``bespoke`` options (:func:`bespoke_option`) and ``values_of``
    reads them into the values the domain checks; ``flags`` names those options in errors.
    """
    read = values_of or option_values

    def run(**options: Any) -> None:
        ident = options.pop("ident", None)
        named = command.named_by is not None
        target = ident if ident is None or named else parse_uuid(ident)
        values = read(command, options)
        actor, key = options.pop("actor"), idempotency_key(options)
        with friendly_errors(), _named_as_typed(command, flags):
            command.check(values)  # refused before a store or a serve is reached (or started)
        with _executor(options.pop("data_dir")) as execute, _named_as_typed(command, flags):
            receipt = execute(command, target, values, actor, key, options.pop("expect", None))
        extra = {command.part: receipt.item_id} if command.part and receipt.item_id else {}
        report(command.kind, receipt, options.get("as_json", False), **extra)

    arguments = [_argument(command.field(name)) for name in command.arguments]
    options = [
        _parameter(f)
        for f in command.fields
        if not isinstance(f, Record | Records) and f.name not in command.arguments
    ]
    parameters = [*arguments, *options, *bespoke]
    if not command.creates:
        parameters.insert(0, _target(command))
    run.__signature__ = inspect.Signature([*parameters, *_common(command)])  # type: ignore[attr-defined]
    run.__name__ = command.handler
    run.__doc__ = command.description or command.summary
    return run


def _target(command: Command) -> inspect.Parameter:
    """The argument naming the thing a change acts on: its id, or its name (a team's slug)."""
    annotation: Any = Ident
    if command.named_by is not None:
        help = f"The {command.kind.replace('_', ' ')}'s {command.named_by.name}."
        annotation = Annotated[str, typer.Argument(metavar=command.named_by.metavar, help=help)]
    return inspect.Parameter(
        "ident", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=annotation
    )


def add_commands(
    group: typer.Typer,
    commands: Iterable[Command],
    bespoke: Mapping[str, Callable[..., None]] | None = None,
) -> None:
    """Add ``koers <group> <verb>`` for each command (with its example in the help);
    ``bespoke`` holds the typer functions of commands that read some options themselves
    (:func:`command_function` with a ``values_of``), by command name."""
    for command in commands:
        verb = command.verb.replace("_", "-")
        example = f"koers {group_of(command.kind)} {verb} {command.example}".rstrip()
        function = (bespoke or {}).get(command.name) or command_function(command)
        group.command(verb, epilog=f"\b\nExample: {example}")(function)

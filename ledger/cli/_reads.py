"""Reads: `show` and `list` for every kind, and `koers history`."""

from collections.abc import Callable, Sequence
from typing import Annotated, Any

import orjson
import typer

from ledger.application._reads import event_fields, plain, state_of
from ledger.cli._common import DataDir, Json, as_json, koers_app, parse_moment, parse_uuid
from ledger.cli._kinds import group_of
from ledger.domain import AGGREGATES

__all__ = ["history", "list_command", "print_fields", "print_table", "show_command"]

AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Show it as it stood at this moment (recorded time), e.g. 2026-10-01T12:00+02:00.",
        show_default=False,
    ),
]


def _cell(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return "-"
    return orjson.dumps(value).decode()


def print_fields(state: dict[str, Any]) -> None:
    width = max(len(k) for k in state)
    for key, value in state.items():
        typer.echo(f"{key.ljust(width)}  {_cell(value)}")


def print_table(rows: list[dict[str, Any]], columns: Sequence[str]) -> None:
    if not rows:
        typer.echo("(none)")
        return
    cells = [[_cell(r.get(c))[:60] for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    typer.echo("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)))
    for row in cells:
        typer.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))


def show_command(kind: str) -> Callable[..., None]:
    cls = AGGREGATES[kind]

    def show(
        ident: Annotated[str, typer.Argument(metavar="ID", help=f"The {kind}'s id.")],
        as_of: AsOf = None,
        as_json_output: Json = False,
        data_dir: DataDir = None,
    ) -> None:
        aggregate_id = parse_uuid(ident)
        moment = parse_moment(as_of) if as_of else None
        with koers_app(data_dir) as app:
            if moment is None:
                aggregate = app.load(cls, aggregate_id)
            else:
                aggregate = app.load_as_of(cls, aggregate_id, moment)
            state = state_of(aggregate)
        if as_json_output:
            as_json(state)
        else:
            print_fields(state)

    show.__doc__ = f"Show one {kind.replace('_', ' ')} (as it is now, or --as-of a past moment)."
    return show


def list_command(
    kind: str, columns: Sequence[str], filters: Sequence[str] = ()
) -> Callable[..., None]:
    cls = AGGREGATES[kind]

    group = group_of(kind)
    can = " and ".join(f"--{f}" for f in filters) or "nothing"

    def list_(
        team: Annotated[str | None, typer.Option(help="Only this team's.")] = None,
        owner: Annotated[str | None, typer.Option(help="Only this person's.")] = None,
        to: Annotated[str | None, typer.Option(help="Only those for this person.")] = None,
        as_json_output: Json = False,
        data_dir: DataDir = None,
    ) -> None:
        wanted = {k: v for k, v in {"team": team, "owner": owner, "to": to}.items() if v}
        for name in wanted:
            if name not in filters:
                raise typer.BadParameter(
                    f"`koers {group} list` has no --{name} filter; it filters by {can}"
                )
        with koers_app(data_dir) as app:
            rows = [state_of(a) for a in app.all_of(cls)]
        rows = [r for r in rows if all(r.get(k) == v for k, v in wanted.items())]
        if as_json_output:
            as_json(rows)
        else:
            print_table(rows, ["id", *columns])

    list_.__doc__ = f"List every {kind.replace('_', ' ')}."
    return list_


def history(
    ident: Annotated[str, typer.Argument(metavar="ID", help="Any goal, decision, … id.")],
    as_json_output: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Every event of one aggregate: what happened, who did it (and the credential they
    proved it with), and when.

    Example: koers history <id> --json
    """
    aggregate_id = parse_uuid(ident)
    with koers_app(data_dir) as app:
        events = app.event_history(aggregate_id)
    rows = [
        {
            "version": event.originator_version,
            "event": type(event).__qualname__,
            "actor": event.actor,
            "credential": event.credential,
            "recorded": plain(event.timestamp),
            "fields": event_fields(event),
        }
        for event in events
    ]
    if as_json_output:
        as_json(rows)
        return
    for row in rows:
        via = f"  ({row['credential']})" if row["credential"] else ""
        typer.echo(
            f"{row['version']:>4}  {row['recorded']}  {row['actor']:<12} {row['event']}{via}"
        )
        for key, value in row["fields"].items():
            typer.echo(f"        {key}: {_cell(value)}")

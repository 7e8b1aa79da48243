"""Reads: `show` and `list` for every kind, and `koers history`.

Each kind's ``list`` and ``show`` are declared once, in :data:`READS` (light data: its
columns, filters and examples), and made by :func:`add_reads`; ``koers <group> list`` and
``show`` are built from it without importing the group's module (the command table, the
domain). Through a running serve (:func:`ledger.cli._remote.remote_for`) such a read imports
nothing heavy: the application and the domain are imported only to read the local data.
"""

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import orjson
import typer

from ledger.cli._common import (
    DataDir,
    Json,
    as_json,
    koers_app,
    parse_moment,
    parse_uuid,
)
from ledger.cli._kinds import group_of
from ledger.cli._output import emit_json, friendly_errors
from ledger.cli._remote import Remote, RemoteProblem, remote_for, remote_from_env
from ledger.errors import ConfigurationError, NotFound

if TYPE_CHECKING:
    from ledger.application import Koers
    from projections.views import KoersViews

__all__ = [
    "READS",
    "Reads",
    "add_reads",
    "history",
    "list_command",
    "print_fields",
    "print_table",
    "read_source",
    "show_command",
]


@dataclass(frozen=True)
class Reads:
    """A kind's ``list`` (its columns, the filters it takes, an example's options) and, where
    it has one, its ``show`` (an example's arguments)."""

    columns: tuple[str, ...]
    filters: tuple[str, ...] = ()
    list_example: str = ""
    show_example: str | None = None


#: Every kind's list and show, by kind (its ``koers`` group is :func:`group_of` the kind).
READS: dict[str, Reads] = {
    "objective": Reads(("team", "period", "title", "owner", "status"), ("team", "owner"),
                       "--team platform", "<id>"),
    "key_result": Reads(("title", "metric", "start", "target", "owner", "status"), ("owner",),
                        "--owner bram", "<id> --json"),
    "kpi": Reads(("team", "name", "target", "direction", "kind", "owner"), ("team", "owner"),
                 "--team platform --owner ann", "<id>"),
    "decision": Reads(("team", "question", "reversibility", "status", "decider"), ("team",),
                      "--team platform --json", "<id> --as-of 2026-09-01"),
    "delegation": Reads(("title", "delegator", "owner", "level", "due", "status"), ("owner",),
                        "--owner bram", "<id>"),
    "retro": Reads(("team", "period", "held_on", "facilitator"), ("team",), "--team platform",
                   "<id>"),
    "prompt": Reads(("to", "kind", "state", "question"), ("to",), "--to ann --json",
                    "<id> --json"),
    "person": Reads(("handle", "name", "email", "time_zone", "org_roles"), (), "--json"),
    "team": Reads(("slug", "name", "parent", "members")),
    "token": Reads(("handle", "label", "expires_at", "read_only", "on_behalf", "revoked")),
}  # fmt: skip

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


def _records(value: Any) -> list[dict[str, Any]] | None:
    """A list of records (reviews, updates) as such; ``None`` for anything else."""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return value
    return None


def print_fields(state: dict[str, Any], indent: str = "") -> None:
    """One line per field; a record (a review, the check-ins by id) as its own fields indented
    under its name, a list of records numbered, so nothing reads as a line of JSON."""
    width = max((len(k) for k in state), default=0)
    for key, value in state.items():
        records = _records(value)
        if isinstance(value, dict) and value:
            typer.echo(f"{indent}{key}")
            print_fields(value, indent + "  ")
        elif records is not None:
            typer.echo(f"{indent}{key}")
            for number, record in enumerate(records, 1):
                typer.echo(f"{indent}  {number}.")
                print_fields(record, indent + "    ")
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            names = ", ".join(value) or "-"  # consulted, informed, blockers
            typer.echo(f"{indent}{key.ljust(width)}  {names}")
        else:
            typer.echo(f"{indent}{key.ljust(width)}  {_cell(value)}")


def print_table(rows: list[dict[str, Any]], columns: Sequence[str]) -> None:
    if not rows:
        typer.echo("(none)")
        return
    cells = [[_cell(r.get(c))[:60] for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    typer.echo("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)))
    for row in cells:
        typer.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))


def read_command(kind: str, verb: str) -> typer.Typer:
    """A one-command typer app of ``koers <group> list|show`` for ``kind`` (from READS)."""
    reads = READS[kind]
    one = typer.Typer()
    if verb == "list":
        example = f"koers {group_of(kind)} list {reads.list_example}".rstrip()
        one.command("list", epilog=f"\b\nExample: {example}")(
            list_command(kind, reads.columns, reads.filters)
        )
    else:
        example = f"koers {group_of(kind)} show {reads.show_example}"
        one.command("show", epilog=f"\b\nExample: {example}")(show_command(kind))
    return one


def add_reads(group: typer.Typer, kind: str) -> None:
    """Add ``show`` (where the kind has one) and ``list`` of ``kind`` to its group."""
    verbs = ("show", "list") if READS[kind].show_example is not None else ("list",)
    for verb in verbs:
        group.registered_commands += read_command(kind, verb).registered_commands


@contextmanager
def read_source(data_dir: Path | None, kind: str = "") -> "Iterator[Remote | Koers]":
    """What a read of ``kind`` (any: empty) reads: the API of ``KOERS_API_URL`` (what the
    token's person may see), else the ``koers serve`` running on the data directory (for the
    lists and things the API reads), else the local data."""
    with friendly_errors():
        remote = remote_from_env()
        if remote is None and kind in READ_KINDS:
            remote = remote_for(data_dir)
        if remote is not None and kind and kind not in READ_KINDS:
            raise ConfigurationError(
                f"the API has no reads of {kind.replace('_', ' ')}s: run this on the machine "
                f"that holds the data (unset KOERS_API_URL there)"
            )
    if remote is not None:
        with friendly_errors(), remote:
            yield remote
        return
    with koers_app(data_dir) as app:
        yield app


def _remote_show(remote: Remote, kind: str, ident: UUID, as_of: str | None) -> dict[str, Any]:
    params = {"as_of": as_of} if as_of else {}
    try:
        state: dict[str, Any] = remote.get(f"{READ_KINDS[kind]}/{ident}", params)
    except RemoteProblem as e:
        if e.status == 404:
            raise NotFound(kind.replace("_", " "), ident) from None
        raise
    return state


def _remote_history(remote: Remote, ident: UUID) -> list[dict[str, Any]]:
    """The history of a thing of any kind the API reads (it answers 404 for other kinds)."""
    for path in READ_KINDS.values():
        try:
            rows: list[dict[str, Any]] = remote.get(f"{path}/{ident}/history")
        except RemoteProblem as e:
            if e.status != 404:
                raise
        else:
            return rows
    raise NotFound("thing", ident, "`koers <kind> list` shows the ids you may see")


#: The kinds the API has reads for (lists, one thing, its history), with their collection's
#: path (``ledger.domain.collection`` of the kind: a test holds them to it).
READ_KINDS = {
    "objective": "/objectives", "key_result": "/key-results", "kpi": "/kpis",
    "decision": "/decisions", "delegation": "/delegations", "retro": "/retros",
    "prompt": "/prompts",
}  # fmt: skip


def show_command(kind: str) -> Callable[..., None]:
    def show(
        ident: Annotated[str, typer.Argument(metavar="ID", help=f"The {kind}'s id.")],
        as_of: AsOf = None,
        as_json_output: Json = False,
        data_dir: DataDir = None,
    ) -> None:
        aggregate_id = parse_uuid(ident)
        moment = parse_moment(as_of) if as_of else None
        with read_source(data_dir, kind) as source:
            if isinstance(source, Remote):
                state = _remote_show(source, kind, aggregate_id, as_of)
                if as_json_output:  # the API's JSON is plain already
                    emit_json(state)
                    return
            elif moment is None:
                state = _local_show(source, kind, aggregate_id)
            else:
                from ledger.application._reads import complete_state
                from ledger.domain import AGGREGATES

                found = source.load_as_of(AGGREGATES[kind], aggregate_id, moment)
                state = complete_state(found, source.event_history)
        if as_json_output:
            as_json(state)
        else:
            print_fields(state)

    show.__doc__ = f"Show one {kind.replace('_', ' ')} (as it is now, or --as-of a past moment)."
    return show


def list_command(
    kind: str, columns: Sequence[str], filters: Sequence[str] = ()
) -> Callable[..., None]:
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
        with read_source(data_dir, kind) as source:
            if isinstance(source, Remote):
                rows = list(source.every(READ_KINDS[kind], wanted))
            elif kind in READ_KINDS:
                rows = _local_list(source, kind, wanted)
            else:
                from ledger.application._reads import complete_state
                from ledger.domain import AGGREGATES

                every = source.all_of(AGGREGATES[kind])
                rows = [complete_state(a, source.event_history) for a in every]
        rows = [r for r in rows if all(r.get(k) == v for k, v in wanted.items())]
        if as_json_output and isinstance(source, Remote):
            emit_json(rows)  # the API's JSON is plain already
        elif as_json_output:
            as_json(rows)
        else:
            print_table(rows, ["id", *columns])

    list_.__doc__ = f"List every {kind.replace('_', ' ')}."
    return list_


@contextmanager
def _kind_views(app: "Koers", kind: str) -> "Iterator[KoersViews]":
    """Views of the things of one kind, made in memory from that kind's events alone: the
    command line with no serve running keeps no views, and reads (as a list always did) only
    the events of the kind it lists."""
    from ledger.application._kinds import event_topics
    from ledger.domain import AGGREGATES
    from projections import memory_views, replay

    views = memory_views()
    try:
        replay(app, views, topics=event_topics(AGGREGATES[kind]))
        yield views
    finally:
        views.close()


def _local_list(app: "Koers", kind: str, wanted: dict[str, str]) -> list[dict[str, Any]]:
    """Every thing of ``kind`` matching ``wanted`` (all of them: the command line on the
    machine that holds the data is its administrator)."""
    from ledger.application import ReadScope
    from projections import thing_page

    with _kind_views(app, kind) as views:
        page = thing_page(views, kind, ReadScope("", everything=True), wanted,
                          limit=sys.maxsize, offset=0)  # fmt: skip
    return [orjson.loads(state) for state in page.items]


def _local_show(app: "Koers", kind: str, ident: UUID) -> dict[str, Any]:
    """One thing of ``kind`` as it is now (``NotFound`` if there is none)."""
    from ledger.application import ReadScope
    from projections import thing_state

    with _kind_views(app, kind) as views:
        found = thing_state(views, kind, ReadScope("", everything=True), str(ident))
    if found is None:
        raise NotFound(kind.replace("_", " "), ident)
    state: dict[str, Any] = orjson.loads(found[1])
    return state


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
    with read_source(data_dir) as source:
        if isinstance(source, Remote):
            rows = _remote_history(source, aggregate_id)
        else:
            from ledger.application._reads import history_row
            from ledger.nats._subjects import event_type

            events = source.event_history(aggregate_id)
            rows = [history_row(event, event_type(event)) for event in events]
    if as_json_output:
        as_json(rows)
        return
    for row in rows:
        via = f"  ({row['credential']})" if row["credential"] else ""
        typer.echo(f"{row['version']:>4}  {row['recorded']}  {row['actor']:<12} {row['type']}{via}")
        for key, value in row["fields"].items():
            typer.echo(f"        {key}: {_cell(value)}")

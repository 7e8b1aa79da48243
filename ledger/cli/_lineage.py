"""``koers lineage <id>``: what led to a thing and what came of it, as ``GET /lineage/{id}``
answers it (over the API when ``KOERS_API_URL`` is set, else from the local data)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ledger.cli._common import DataDir, Json, as_json, parse_moment, parse_uuid
from ledger.cli._output import friendly_errors
from ledger.cli._reads import AsOf, read_source
from ledger.cli._remote import Remote, RemoteProblem
from ledger.errors import NotFound

__all__ = ["lineage"]

_WHAT = "a retro item, action item, decision, key result, objective or delegation"


def lineage(
    ident: Annotated[str, typer.Argument(metavar="ID", help=f"The id of {_WHAT}.")],
    as_of: AsOf = None,
    as_json_output: Json = False,
    data_dir: DataDir = None,
) -> None:
    """What led to a thing (its ancestors) and what came of it (its descendants), each link
    with its kind, time and actor (docs/lineage.md).

    Example: koers lineage 3f2c9a4e-0000-4000-8000-000000000000
    """
    thing = parse_uuid(ident)
    moment = parse_moment(as_of) if as_of else None
    with read_source(data_dir) as source:
        if isinstance(source, Remote):
            try:
                found: dict[str, Any] | None = source.get(
                    f"lineage/{thing}", {"as_of": as_of} if as_of else {}
                )
            except RemoteProblem as e:
                if e.status != 404:
                    raise
                found = None
        else:
            from projections import as_json as plain_result
            from projections import lineage as lineage_of
            from projections import views_as_of

            views = views_as_of(source, time=moment)
            try:
                result = lineage_of(views, str(thing))
                found = None if result is None else plain_result(result)
            finally:
                views.close()
    if found is None:
        with friendly_errors():
            raise NotFound(_WHAT, thing, "koers retro show, koers decision list and the "
                           "others list the ids")  # fmt: skip
    if as_json_output:
        as_json(found)
        return
    _echo(found)


def _echo(found: dict[str, Any]) -> None:
    nodes = {n["id"]: n for n in (found["node"], *found["ancestors"], *found["descendants"])}
    typer.echo(_line(found["node"]))
    for title, key in (("led here", "ancestors"), ("came of it", "descendants")):
        typer.echo(f"\n{title}:")
        if not found[key]:
            typer.echo("  (nothing)")
        for node in found[key]:
            typer.echo(f"  {_line(node)}")
    typer.echo("\nlinks:")
    if not found["links"]:
        typer.echo("  (none)")
    for link in found["links"]:
        source, target = nodes[link["from_id"]], nodes[link["to_id"]]
        typer.echo(f"  {link['at']}  {link['actor']}  {link['kind']}: "
                   f"{_short(source)} -> {_short(target)}")  # fmt: skip


def _short(node: dict[str, Any]) -> str:
    return f"{node['kind'].replace('_', ' ')} {node['id'][:8]}"


def _line(node: dict[str, Any]) -> str:
    status = f"  [{node['status']}]" if node["status"] else ""
    team = f"  ({node['team']})" if node["team"] else ""
    return f"{node['kind'].replace('_', ' ')} {node['id']}: {node['title']}{team}{status}"

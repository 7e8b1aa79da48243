"""``koers objective tree`` and ``koers kpi board``: the alignment from the company down and
a team's KPI view, the numbers ``GET /org/alignment`` and ``GET /teams/{team}/kpis`` answer
(over the API when ``KOERS_API_URL`` is set, else from the local data)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ledger.cli._common import DataDir, Json, as_json, parse_period
from ledger.cli._reads import print_table, read_source
from ledger.cli._remote import Remote

__all__ = ["kpi_board", "objective_tree"]

KPI_COLUMNS = ("name", "kind", "current", "target", "direction", "status", "trend", "next_step")


def objective_tree(
    period: Annotated[str, typer.Option("--period", help="The quarter, e.g. 2026-Q4.")],
    as_json_output: Json = False,
    data_dir: DataDir = None,
) -> None:
    """The alignment trees of a quarter from the company down: each objective without a
    parent, its children under it, every one's progress rolled up (docs/metrics.md §1).

    Example: koers objective tree --period 2026-Q4
    """
    parse_period(period)
    with read_source(data_dir) as source:
        if isinstance(source, Remote):
            tree: dict[str, Any] = source.get("org/alignment", {"period": period})
        else:
            from projections import as_json as plain_result
            from projections import memory_views, org_alignment, replay

            views = memory_views()
            try:
                replay(source, views)
                tree = plain_result(org_alignment(views, period))
            finally:
                views.close()
    if as_json_output:
        as_json(tree)
        return
    if not tree["trees"]:
        typer.echo(f"(no objectives in {period})")
    for root in tree["trees"]:
        _echo_node(root, "")


def _echo_node(node: dict[str, Any], indent: str) -> None:
    track = (node["track"] or node["status"]).replace("_", " ")
    percent = f"{float(node['progress']) * 100:.0f} %"
    weight = f"  weighs {node['weight']}" if node.get("weight", "1") != "1" else ""
    typer.echo(
        f"{indent}{node['title']}  [{node['team']}, {node['period']}]  {percent}  {track}{weight}"
    )
    for child in node["children"]:
        _echo_node(child, indent + "  ")


def kpi_board(
    team: Annotated[str, typer.Argument(help="The team.")],
    as_json_output: Json = False,
    data_dir: DataDir = None,
) -> None:
    """A team's KPIs: latest value against target, status (on target / watch / off target),
    trend over the last 4 measurements and next step (docs/metrics.md §8); a warning, never
    a refusal, when the team tracks more than 5.

    Example: koers kpi board platform --json
    """
    with read_source(data_dir) as source:
        if isinstance(source, Remote):
            board: dict[str, Any] = source.get(f"teams/{team}/kpis")
        else:
            from projections import as_json as plain_result
            from projections import kpi_board as board_of
            from projections import team_kpis

            board = plain_result(board_of(team, team_kpis(source, team)))
    if as_json_output:
        as_json(board)
        return
    rows = [
        {**k, "name": k["name"] + (" (retired)" if k["retired"] else "")} for k in board["kpis"]
    ]
    print_table(rows, KPI_COLUMNS)
    if board["warning"]:
        typer.echo(f"warning: {board['warning']}", err=True)

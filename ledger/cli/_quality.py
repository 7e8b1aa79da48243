"""``koers decision quality --by <handle>``: one decider's calibration over a period, the
numbers ``GET /people/{handle}/decision-quality`` answers (over the API when
``KOERS_API_URL`` is set, where the person themself and leads of their teams may read it;
else from the local data, where the local administrator reads everyone's)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ledger.cli._common import DataDir, Json, as_json, parse_period
from ledger.cli._reads import print_table, read_source
from ledger.cli._remote import Remote

__all__ = ["decider_quality"]

BAND_COLUMNS = ("low", "high", "reviews", "mean_confidence", "share_as_expected")


def decider_quality(
    by: Annotated[str, typer.Option("--by", help="The decider, by handle.")],
    period: Annotated[
        str | None,
        typer.Option("--period", help="Only decisions opened in this quarter, e.g. 2026-Q4."),
    ] = None,
    as_json_output: Json = False,
    data_dir: DataDir = None,
) -> None:
    """One decider's calibration: the Brier score over their reviewed decisions, bands of
    stated confidence against the share that went as expected, and the count
    (docs/metrics.md §2).

    Example: koers decision quality --by ann --period 2026-Q4
    """
    if period is not None:
        parse_period(period)
    with read_source(data_dir) as source:
        if isinstance(source, Remote):
            params = {"period": period} if period else {}
            result: dict[str, Any] = source.get(f"people/{by}/decision-quality", params)
        else:
            from projections import as_json as plain_result
            from projections import calibration, memory_views, replay

            source.person(by)  # an unknown handle is told, with the closest ones
            views = memory_views()
            try:
                replay(source, views)
                result = plain_result(calibration(views, decider=by, period=period))
            finally:
                views.close()
    if as_json_output:
        as_json(result)
        return
    brier = result["brier_score"] or "–"
    typer.echo(f"{by}: Brier score {brier} over {result['reviews']} reviewed decisions"
               f"{' opened in ' + period if period else ''} (0 is perfect)")  # fmt: skip
    print_table([b for b in result["bands"] if b["reviews"]], BAND_COLUMNS)

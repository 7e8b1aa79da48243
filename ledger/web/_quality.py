"""Decision quality: a team's (``/team/<slug>/quality?period=…``, the numbers of
``GET /teams/<slug>/decision-quality``), my own calibration as a decider (``/me/quality``)
and a person's (``/person/<handle>/quality?period=…``, as ``GET
/people/<handle>/decision-quality``: for that person and leads of their teams).

Every number is the views' (:func:`projections.decision_quality`, :func:`projections.calibration`);
the charts (:mod:`ledger.web._quality_charts`) draw them, with tables of the same numbers.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ledger.api import in_thread, koers_of, see_team
from ledger.domain import Principal
from ledger.errors import NotFound, UnknownName
from ledger.web._quality_charts import calibration_chart, grid_chart, time_chart
from ledger.web._reads import at_of, read_view
from ledger.web._render import render
from ledger.web._session import Viewer
from ledger.web._things import not_found
from projections import calibration, decision_quality

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
QUARTER = re.compile(r"(19|2[0-9])[0-9]{2}-Q[1-4]")


def _period(request: Request) -> tuple[str, str]:
    """The ``period`` asked for (this quarter if none), and a banner if it is not one."""
    now = datetime.now(UTC)
    this = f"{now.year}-Q{(now.month - 1) // 3 + 1}"
    asked = request.query_params.get("period", "").strip()
    if not asked or QUARTER.fullmatch(asked):
        return asked or this, ""
    return this, f"period: {asked[:40]!r} is not a quarter; write it as {this}. Showing {this}."


@router.get("/team/{slug}/quality")
async def team_quality(request: Request, slug: str, me: Viewer) -> Response:
    """A team's decision quality in a quarter."""
    try:
        await see_team(request, slug)
    except NotFound as e:
        return await not_found(request, me, f"{e}")
    period, wrong = _period(request)
    at = at_of(request)
    quality, problem = await read_view(request, lambda v: decision_quality(v, slug, period), at)
    calibrated, later = await read_view(
        request, lambda v: calibration(v, team=slug, period=period), at
    )
    charts = {}
    if quality is not None and calibrated is not None:
        charts = {"calibration": calibration_chart(calibrated), "grid": grid_chart(quality.grid),
                  "time": time_chart(quality.time_to_decide)}  # fmt: skip
    return await render(request, me, "quality.html", title=f"Decision quality · {slug}",
                        team=slug, period=period, quality=quality, calibrated=calibrated,
                        charts=charts, banner=wrong or problem or later)  # fmt: skip


@router.get("/me/quality")
async def my_quality(request: Request, me: Viewer) -> Response:
    """My calibration over the decisions I made and had reviewed, every team and quarter
    (or one quarter: ``period``)."""
    return await _decider_page(request, me, me.handle)


@router.get("/person/{handle}/quality")
async def person_quality(request: Request, handle: str, me: Viewer) -> Response:
    """A decider's calibration, for that person and leads of their teams (as the API)."""
    return await _decider_page(request, me, handle)


async def _decider_page(request: Request, me: Principal, handle: str) -> Response:
    try:
        teams = await in_thread(koers_of(request).quality_scope, me, handle)
    except (NotFound, UnknownName) as e:
        return await not_found(request, me, f"{e}")
    asked = request.query_params.get("period", "").strip()
    period, wrong = _period(request) if asked else (None, "")
    calibrated, problem = await read_view(
        request,
        lambda v: calibration(v, decider=handle, period=period, teams=teams),
        at_of(request),
    )
    chart = calibration_chart(calibrated) if calibrated is not None else None
    title = "My decision quality" if handle == me.handle else f"Decision quality of {handle}"
    return await render(request, me, "my_quality.html", title=title, who=handle,
                        mine=handle == me.handle, period=period, calibrated=calibrated,
                        chart=chart, banner=wrong or problem)  # fmt: skip

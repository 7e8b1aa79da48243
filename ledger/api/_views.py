"""The views (team dashboards) over HTTP, and the retro brief.

Every view read takes ``as_of`` (a time) or ``position`` (a stream position): the views
rebuilt up to that point ("what did we know then"), in memory, for this request, from the
nearest view checkpoint (one of a few turns at once: :class:`~ledger.api._view_cache.AsOfTurns`).
Without them the live views answer, after waiting (at most :data:`WAIT` seconds) until they
include ``min_position`` (read your writes); 503 if they do not get there. Answers may come
from the cache (:mod:`ledger.api._view_cache`), with an ``ETag``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar
from uuid import UUID

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from ledger.api._auth import principal_of, see_person, see_team
from ledger.api._common import PersonName, TeamName, in_thread, koers_of
from ledger.api._problems import ApiProblem, FieldError
from ledger.api._read_params import (
    MOMENT_SCHEMA,
    MinPosition,
    MinPositionHeader,
    parse_moment,
    within_the_log,
)
from ledger.api._retro_brief import RetroBrief, retro_brief
from ledger.api._schema import QUARTER, VIEW_ERRORS
from ledger.api._view_cache import Entry, ViewCache, matches
from ledger.domain import OrgRole
from ledger.errors import NotFound
from projections import (
    Calibration,
    DecisionQuality,
    DelegationBoard,
    KoersViews,
    KpiBoard,
    Lineage,
    LiveViews,
    OkrProgress,
    OrgAlignment,
    PromptInbox,
    ReflectionJournal,
    RetroFollowThrough,
    calibration,
    decision_quality,
    delegation_board,
    kpi_board,
    lineage,
    memory_views,
    okr_progress,
    org_alignment,
    prompt_inbox,
    reflection_journal,
    replay,
    retro_follow_through,
    team_kpis,
    views_as_of,
)
from projections.lineage import LineageNode
from projections.okr import AlignmentNode

__all__ = ["WAIT", "ViewAt", "router", "view_result"]

router = APIRouter(tags=["views"], responses=VIEW_ERRORS)
T = TypeVar("T")
#: The longest a view read waits for the views to reach ``min_position`` (seconds).
WAIT = 2.0

Team = TeamName
Person = PersonName
Quarter = Annotated[str, Query(pattern=QUARTER, description="The quarter.", examples=["2026-Q4"])]
AsOf = Annotated[
    str | None,
    Query(
        max_length=60,
        description="The views as they were at this moment (recorded time), rebuilt from the "
        "log: e.g. 2026-10-01T12:00:00+02:00, or a date (its start, UTC).",
        json_schema_extra=MOMENT_SCHEMA,
    ),
]
Position = Annotated[
    int | None,
    Query(ge=0, le=2**53, description="The views as they were at this stream position."),
]
_EARLIEST, _LATEST = 1900, 2999


def _moment(as_of: str | None) -> datetime | None:
    moment = parse_moment(as_of)
    if moment is not None and not _EARLIEST <= moment.year <= _LATEST:
        detail = f"{as_of!r} is outside the years {_EARLIEST}–{_LATEST}"
        raise ApiProblem(
            "invalid-request", f"as_of: {detail}", [FieldError(field="as_of", detail=detail)]
        )
    return moment


@dataclass(frozen=True)
class ViewAt:
    """Which views a read wants: as of a moment or a position, or live from a position on."""

    as_of: str | None
    position: int | None
    min_position: int | None


def view_at(
    as_of: AsOf = None,
    position: Position = None,
    min_position: MinPosition = None,
    koers_min_position: MinPositionHeader = None,
) -> ViewAt:
    """The views' parameters every view route takes (a dependency)."""
    wanted = max(min_position or 0, koers_min_position or 0) or None
    return ViewAt(as_of, position, wanted)


At = Annotated[ViewAt, Depends(view_at)]


async def view_result(
    request: Request, query: Callable[[KoersViews], T], at: ViewAt, key: Hashable = None
) -> T:
    """Run ``query`` on the right views (see the module docstring) in a worker thread: the
    API's answer and the web pages' numbers come from here alike. With ``key`` (the view
    and its parameters, the reader already checked), the answer may come from the cache."""
    return (await _entry(request, query, at, key)).result  # type: ignore[no-any-return]


async def _entry(
    request: Request, query: Callable[[KoersViews], T], at: ViewAt, key: Hashable
) -> Entry:
    """The answer, cached or made now (see :mod:`ledger.api._view_cache`)."""
    koers, runner = koers_of(request), request.app.state.runner
    cache: ViewCache = request.app.state.view_cache
    moment, position = _moment(at.as_of), at.position
    if moment is not None or position is not None or runner is None:
        await within_the_log(koers, at.min_position)  # a rebuild reads the whole log anyway
        lasting = key is not None and moment is None and position is not None
        entry = cache.get((key, "as of", position)) if lasting else None
        if entry is not None:
            return entry

        def run() -> tuple[T, int]:
            if runner is not None:
                views = runner.as_of(position, moment)
            elif moment is None and position is None:  # no live views: all of the log, now
                views = memory_views()
                replay(koers, views)
            else:
                views = views_as_of(koers, position=position, time=moment)
            try:
                return query(views), views.position
            finally:
                views.close()

        async with request.app.state.as_of_turns:
            result, reached = await in_thread(run)
        lasting = lasting and reached == position  # a position not written yet may change
        return cache.put((key, "as of", position), reached, result, lasting=True, keep=lasting)
    await _live_at(request, runner, at.min_position)
    now = await _committed(runner.views)
    entry = cache.get((key, now)) if key is not None else None
    if entry is None:
        result = await in_thread(query, runner.views)
        entry = cache.put((key, now), now, result, lasting=False, keep=key is not None)
    return entry


async def _committed(views: KoersViews) -> int:
    """The views' committed position: read here when that costs no query (SQLite views this
    process commits to), else in a thread, so the event loop never waits on PostgreSQL."""
    if views.position_is_cheap:
        return views.committed_position
    return await in_thread(lambda: views.committed_position)


async def _live_at(request: Request, runner: LiveViews, wanted: int | None) -> None:
    """Wait until the live views reflect ``wanted`` (503 if they stopped or do not get there
    within :data:`WAIT`; 400 if no write answered it)."""
    if runner.error is not None:
        raise ApiProblem(
            "unavailable",
            f"the views stopped following the log ({runner.error!r}); restart koers "
            f"serve, or read with as_of or position (rebuilt from the log)",
            headers={"Retry-After": "30"},
        )
    if wanted is None or await _committed(runner.views) >= wanted:
        return  # no thread hop (with views in SQLite)
    if runner.position < wanted:
        await within_the_log(koers_of(request), wanted)
    try:
        await in_thread(runner.wait_for, wanted, WAIT)
    except (TimeoutError, RuntimeError) as e:
        raise ApiProblem(
            "unavailable",
            f"the views are at stream position {runner.position}, not yet at {wanted} "
            f"({e}); retry in a moment",
            headers={"Retry-After": "1"},
        ) from None


async def _answer(
    request: Request, key: Hashable, query: Callable[[KoersViews], Any], at: ViewAt
) -> Response:
    """The view's answer as JSON, with the views' position in ``Koers-Position`` and an
    ``ETag``; 304 when ``If-None-Match`` names that tag (the reader was checked first)."""
    entry = await _entry(request, query, at, key)
    headers = {"Koers-Position": str(getattr(entry.result, "position", 0)), "ETag": entry.etag}
    if matches(request.headers.get("if-none-match"), entry.etag):
        return Response(status_code=304, headers=headers)
    # orjson writes the result dataclasses directly (~50x cheaper than asdict + json here).
    return Response(entry.body, media_type="application/json", headers=headers)


@router.get("/teams/{team}/okr-progress", response_model=OkrProgress, summary="OKR progress")
async def get_okr_progress(
    request: Request,
    *,
    team: Team,
    period: Quarter,
    at: At,
) -> Response:
    """Progress of a team's objectives and key results in a quarter: progress against the
    elapsed time, status (on track / at risk / off track), confidence trend, check-in
    freshness, attainment against the original and amended targets, the alignment tree
    and the check-in history for charts."""
    await see_team(request, team)
    return await _answer(
        request, ("okr", team, period), lambda v: okr_progress(v, team, period), at
    )


@router.get("/org/alignment", response_model=OrgAlignment, summary="Alignment from the top")
async def get_org_alignment(request: Request, *, period: Quarter, at: At) -> Response:
    """Every alignment tree from the company down: the quarter's objectives without a parent,
    each with all its descendants and every node's progress rolled up from its key results
    and its children (docs/metrics.md §1). A tree is shown when it holds an objective of a
    team the person may see (as the OKR progress of that team shows it)."""
    koers, principal = koers_of(request), principal_of(request)
    tree = await view_result(request, lambda v: org_alignment(v, period), at, ("tree", period))
    teams: set[str] = set()
    stack = list(tree.trees)
    while stack:
        node = stack.pop()
        teams.add(node.team)
        stack.extend(node.children)
    seen = {t for t in teams if await in_thread(koers.may_see_team, principal, t)}
    shown = [t for t in tree.trees if _teams_in(t) & seen]
    result = OrgAlignment(period=tree.period, at=tree.at, position=tree.position, trees=shown)
    return Response(orjson.dumps(result), media_type="application/json",
                    headers={"Koers-Position": str(result.position)})  # fmt: skip


def _teams_in(node: AlignmentNode) -> set[str]:
    return {node.team}.union(*(_teams_in(c) for c in node.children))


@router.get("/teams/{team}/kpis", response_model=KpiBoard, summary="KPI view")
async def get_kpis(request: Request, *, team: Team, as_of: AsOf = None) -> Response:
    """A team's KPIs: each one's latest measurement against its target and direction, its
    status (on target / watch / off target), its trend over the last 4 measurements,
    leading or lagging and the next step (docs/metrics.md §8); a warning, never a refusal,
    when the team tracks more than 5. With ``as_of``, as they stood at that moment."""
    await see_team(request, team)
    koers, principal, moment = koers_of(request), principal_of(request), _moment(as_of)
    kpis = await in_thread(team_kpis, koers, team, principal, moment)
    return Response(orjson.dumps(kpi_board(team, kpis)), media_type="application/json")


@router.get(
    "/teams/{team}/decision-quality", response_model=DecisionQuality, summary="Decision quality"
)
async def get_decision_quality(
    request: Request,
    *,
    team: Team,
    period: Quarter,
    at: At,
) -> Response:
    """Decision quality of the decisions a team opened in a quarter: options and criteria,
    time to decide by reversibility and information, stuck two-way doors, under-informed
    one-way doors, review completion, calibration (Brier score), the process-vs-outcome
    grid and the reversal rate."""
    await see_team(request, team)
    return await _answer(
        request, ("quality", team, period), lambda v: decision_quality(v, team, period), at
    )


_ANY_QUARTER = Query(pattern=QUARTER, description="Only decisions opened in this quarter.")


@router.get("/people/{person}/decision-quality", response_model=Calibration,
            summary="A decider's decision quality")  # fmt: skip
async def get_person_decision_quality(
    request: Request, *, person: Person, at: At, period: Annotated[str | None, _ANY_QUARTER] = None
) -> Response:
    """One decider's calibration over a period: the Brier score, bands of stated confidence
    against the share that went as expected, and how many reviewed decisions count
    (docs/metrics.md §2). Read by the person themself (every team's decisions) and by leads
    of their teams or of a team above them (the decisions of the teams that lead leads);
    404 for anyone else."""
    koers, principal = koers_of(request), principal_of(request)
    teams = await in_thread(koers.quality_scope, principal, person)
    return await _answer(
        request,
        ("calibration", person, period, teams),
        lambda v: calibration(v, decider=person, period=period, teams=teams),
        at,
    )


@router.get("/delegation-board", response_model=DelegationBoard, summary="Delegation board")
async def get_delegation_board(
    request: Request,
    *,
    owner: Annotated[str | None, Query(max_length=120, description="Only this owner's.")] = None,
    at: At,
) -> Response:
    """Open delegations per owner: check-in adherence, overdue check-ins and due dates."""
    owner = await _own_unless_auditor(request, owner)
    return await _answer(request, ("board", owner), lambda v: delegation_board(v, owner=owner), at)


@router.get(
    "/teams/{team}/retro-follow-through",
    response_model=RetroFollowThrough,
    summary="Retro follow-through",
)
async def get_retro_follow_through(
    request: Request,
    *,
    team: Team,
    period: Annotated[
        str | None, Query(max_length=40, description="Only retros of this period.")
    ] = None,
    at: At,
) -> Response:
    """Action items of a team's retros: open, done, dropped, carried over, the completion
    rate, and the team-health trend."""
    await see_team(request, team)
    return await _answer(
        request, ("retro", team, period), lambda v: retro_follow_through(v, team, period), at
    )


_THING = "A retro item, action item, decision, key result, objective or delegation."


@router.get("/lineage/{thing_id}", response_model=Lineage, summary="Lineage")
async def get_lineage(
    request: Request,
    *,
    thing_id: Annotated[UUID, Path(description=_THING)],
    at: At,
) -> Response:
    """What led to a thing and what came of it: its ancestors and descendants as far as the
    links go (an action item's retro item, a decision's links, what a retarget or a
    delegation cites), each link with its kind, time and actor (docs/lineage.md). Only the
    things the reader may see are shown; the walk does not pass through the others."""
    koers, principal = koers_of(request), principal_of(request)

    def shown(node: LineageNode) -> bool:
        return koers.may_see_party(principal, node.team, node.people)

    found = await view_result(request, lambda v: lineage(v, str(thing_id), shown=shown), at)
    if found is None:
        raise NotFound("thing", thing_id, "a retro item, action item, decision, key result, "
                       "objective or delegation you may see; GET /lineage/{its id}")  # fmt: skip
    return Response(orjson.dumps(found), media_type="application/json",
                    headers={"Koers-Position": str(found.position)})  # fmt: skip


@router.get("/people/{person}/prompt-inbox", response_model=PromptInbox, summary="Prompt inbox")
async def get_prompt_inbox(
    request: Request,
    *,
    person: Person,
    at: At,
) -> Response:
    """The reflection prompts waiting for a person (and those snoozed)."""
    see_person(request, person)
    return await _answer(request, ("inbox", person), lambda v: prompt_inbox(v, person), at)


@router.get(
    "/people/{person}/reflection-journal",
    response_model=ReflectionJournal,
    summary="Reflection journal",
)
async def get_reflection_journal(
    request: Request,
    *,
    person: Person,
    at: At,
) -> Response:
    """Every answer a person gave to a reflection prompt, oldest first."""
    see_person(request, person)
    return await _answer(request, ("journal", person), lambda v: reflection_journal(v, person), at)


@router.get("/teams/{team}/retro-brief", response_model=RetroBrief, summary="Retro brief")
async def get_retro_brief(
    request: Request,
    *,
    team: Team,
    period: Quarter,
    people: Annotated[
        list[str] | None,
        Query(max_length=50, description="More people whose delegations count as the team's."),
    ] = None,
    at: At,
) -> Response:
    """The one call a retro tool needs: open action items from earlier retros, key-result
    movement since the last retro, decisions due for review (opened in this quarter or the
    three before it) and overdue delegations of the team's people (the owners of its
    objectives and key results, its retros' facilitators and action-item owners, its
    deciders, and anyone named in `people`; delegations have no team of their own)."""
    await see_team(request, team)
    names = tuple(people or ())
    return await _answer(
        request, ("brief", team, period, names),
        lambda v: retro_brief(v, team, period, list(names)), at,
    )  # fmt: skip


async def _own_unless_auditor(request: Request, owner: str | None) -> str | None:
    """The delegation board shows the asker's own delegations (all of them to an auditor)."""
    principal = principal_of(request)
    directory = await in_thread(koers_of(request).directory)
    if principal.local or directory.has(principal.handle, OrgRole.AUDITOR):
        return owner
    if owner not in (None, principal.handle):
        raise NotFound("person", owner, "the delegation board shows your own delegations")
    return principal.handle

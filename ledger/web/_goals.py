"""The team room, an objective's page and a key result's page.

Every number is the OKR view's (:func:`projections.okr_progress`, what
``GET /teams/<team>/okr-progress`` answers); notes and blockers of check-ins come from the
key result itself, as ``GET /key-results/<id>`` shows it. A team, objective or key result the
person may not see answers 404, by the API's own checks.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from ledger.api import in_thread, koers_of, see_team
from ledger.application import Koers
from ledger.domain import AGGREGATES, COMMANDS, KoersAggregate, Principal
from ledger.errors import KoersError, NotFound
from ledger.web._charts import Reference, Series, line_chart
from ledger.web._forms import Form, form_of
from ledger.web._reads import At, at_of, read_view
from ledger.web._render import paged, render, visible_teams
from ledger.web._session import Viewer
from projections import (
    KoersViews,
    KpiStatus,
    delegation_board,
    kpi_board,
    okr_progress,
    retro_follow_through,
    team_kpis,
)
from projections.delegation_board import DelegationCard
from projections.okr import AlignmentNode, KeyResultProgress, OkrProgress

__all__ = ["kr_chart", "router"]

router = APIRouter(include_in_schema=False)
_QUARTER = re.compile(r"(19|2[0-9])[0-9]{2}-Q[1-4]")
ROOM_KPIS = 5  # the method's "3 to 5 KPIs"; more are listed on the team's KPI page
KPI_PAGE = 50
ROOM_DELEGATIONS = 10  # the team room's; all on /team/<slug>/delegations, 50 to a page
DELEGATION_PAGE = 50


def _current_quarter() -> str:
    now = datetime.now(UTC)
    return f"{now.year}-Q{(now.month - 1) // 3 + 1}"


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def kr_chart(kr: KeyResultProgress, *, big: bool = False) -> tuple[Markup, str]:
    """A key result's trend chart (value and confidence per check-in, the target, the
    original target when it was amended) and the sentence that says the same."""
    history = tuple((p.as_of, p.value, p.confidence) for p in kr.history)
    return _drawn_kr_chart(kr.title, kr.unit, kr.target, kr.original_target, history, big=big)


@lru_cache(maxsize=4096)
def _drawn_kr_chart(
    title: str,
    unit: str,
    target: str,
    original: str,
    history: tuple[tuple[str, str, int], ...],
    *,
    big: bool,
) -> tuple[Markup, str]:
    """:func:`kr_chart`, drawn once per set of check-ins (the team room is read far more
    often than its key results change)."""
    points = [(_when(as_of), value) for as_of, value, _ in history]
    series = [
        Series(f"value ({unit})" if unit else "value", [(x, Decimal(v)) for x, v in points]),
        Series("confidence (0–10)", [(_when(at), c) for at, _, c in history],
               css="confidence", axis="right"),
    ]  # fmt: skip
    references = [Reference(f"target {target}", Decimal(target))]
    if original != target:
        references.append(Reference(f"original target {original}", Decimal(original),
                                    css="original"))  # fmt: skip
    if points:
        (first_at, first, first_confidence), (last_at, last, last_confidence) = (
            history[0], history[-1])  # fmt: skip
        sentence = (
            f"{len(points)} check-ins: the value went from {first} "
            f"({_when(first_at):%d %b}) to {last} ({_when(last_at):%d %b}); "
            f"confidence from {first_confidence} to {last_confidence} out of 10."
        )
    else:
        sentence = "No check-ins yet."
    sentence += f" Target {target}" + (f" (originally {original})." if original != target else ".")
    chart = line_chart(series, references, title=f"Trend: {title}", desc=sentence,
                       y_label=unit or "value", right_label="confidence",
                       right_range=(0, 10), big=big)  # fmt: skip
    return chart, sentence


# -- reads the team room needs beyond the API's views ---------------------------------------


def _periods(views: KoersViews, team: str) -> list[str]:
    rows = views.rows("SELECT DISTINCT period FROM objectives WHERE team = ?", team)
    return sorted(r["period"] for r in rows)


def _open_decisions(views: KoersViews, team: str) -> list[dict[str, Any]]:
    return views.rows(
        "SELECT decision_id, question, decider, decide_by, reversibility FROM decisions "
        "WHERE team = ? AND status = 'open' ORDER BY decide_by",
        team,
    )


def _attention(kpi: KpiStatus) -> tuple[bool, bool, bool, str]:
    """Off target first, then on watch, then getting worse, then by name."""
    return (kpi.status != "off_target", kpi.status != "watch", kpi.trend != "worse", kpi.name)


def _room_kpis(kpis: list[KpiStatus]) -> tuple[list[KpiStatus], dict[str, int]]:
    """The tracked KPIs the team room shows, those that need attention first (at most
    :data:`ROOM_KPIS`), and how many are tracked and retired: the rest is on the KPI page."""
    tracked = [k for k in kpis if not k.retired]
    counts = {"tracked": len(tracked), "retired": len(kpis) - len(tracked)}
    return sorted(tracked, key=_attention)[:ROOM_KPIS], counts


def _urgency(card: DelegationCard) -> tuple[bool, bool, str, str]:
    """Overdue first, then those whose check-in is due, then by due date."""
    return (not card.overdue, not card.check_in_overdue, card.due, card.title)


def _team_delegations(
    koers: Koers, principal: Principal, cards: list[DelegationCard]
) -> list[DelegationCard]:
    """Of the open delegations owned by the team's people (``cards``), those the person may
    read."""
    things = {str(d.id): d for d in koers.all_of(AGGREGATES["delegation"])}
    return [card for card in cards if card.delegation_id in things
            and koers.may_read(principal, "delegation", things[card.delegation_id])]  # fmt: skip


async def _missing(request: Request, me: Principal, what: str, banner: str = "") -> Response:
    return await render(request, me, "missing.html", title="Not found", status=404,
                        what=what, banner=banner)  # fmt: skip


async def _unseen_team(request: Request, me: Principal, slug: str) -> Response | None:
    """The 404 page when there is no team ``slug`` the person may see."""
    try:
        await see_team(request, slug)
    except NotFound:
        return await _missing(request, me, "There is no team by that name that you may see.")
    return None


@router.get("/team/{slug}")
async def team_room(request: Request, slug: str, me: Viewer) -> Response:
    """A team's quarter: objectives and key results with their charts, KPIs, alignment, open
    decisions, delegations and the last retro's open actions; as of any moment."""
    if missing := await _unseen_team(request, me, slug):
        return missing
    asked = request.query_params.get("period", "").strip()
    period = asked if _QUARTER.fullmatch(asked) else _current_quarter()
    warning = f"{asked[:20]!r} is not a quarter (write it as 2026-Q3); showing {period}." if (
        asked and asked != period) else ""  # fmt: skip
    at = at_of(request)
    koers = koers_of(request)
    unread = ""  # the store away: the page says so in its banner, as for the views
    try:
        people = set((await in_thread(koers.directory)).members.get(slug, {}))
    except KoersError as e:
        people, unread = set(), str(e)

    def room(views: KoersViews) -> tuple[Any, ...]:  # one read: "as of" replays the log once
        return (okr_progress(views, slug, period), _periods(views, slug),
                _open_decisions(views, slug), retro_follow_through(views, slug, last_only=True),
                delegation_board(views, owners=people))  # fmt: skip

    read, problem = await read_view(request, room, at)
    okr, periods, decisions, retros, board = read or (None, [], [], None, None)
    kpis: list[KpiStatus] = []
    delegations: list[DelegationCard] = []
    if read is not None:
        moment = _when(okr.at) if at.past else None
        cards = [c for row in board.owners for c in row.delegations]
        try:
            kpis = await in_thread(team_kpis, koers, slug, me, moment)
            delegations = await in_thread(_team_delegations, koers, me, cards)
        except KoersError as e:
            problem = str(e)
    last_retro = retros.retros[-1] if retros and retros.retros else None
    actions = [i for i in (retros.open_items if retros else [])
               if last_retro and i.retro_id == last_retro.retro_id]  # fmt: skip
    charts = {k.key_result_id: kr_chart(k) for o in (okr.objectives if okr else [])
              for k in o.key_results}  # fmt: skip
    choices = sorted({*periods, period, _current_quarter()}, reverse=True)
    kpis, kpi_counts = _room_kpis(kpis)
    open_delegations = len(delegations)
    delegations = sorted(delegations, key=_urgency)[:ROOM_DELEGATIONS]
    return await render(
        request, me, "team.html", title=f"Team room: {slug}", banner=problem or unread or warning,
        team=slug, period=period, periods=choices, okr=okr, charts=charts, kpis=kpis,
        kpi_counts=kpi_counts, room_kpis=ROOM_KPIS, open_delegations=open_delegations,
        decisions=decisions, delegations=delegations, last_retro=last_retro,
        actions=actions, at=at, visible=set(await _visible(request, me)),
        kpi_chart=_kpi_chart,
    )  # fmt: skip


@router.get("/team/{slug}/kpis")
async def kpi_page(request: Request, slug: str, me: Viewer) -> Response:
    """Every KPI of a team as it stands now, tracked ones first, by name, with its chart;
    :data:`KPI_PAGE` to a page."""
    if missing := await _unseen_team(request, me, slug):
        return missing
    problem = ""
    kpis: list[KpiStatus] = []
    try:
        kpis = await in_thread(team_kpis, koers_of(request), slug, me, None)
    except KoersError as e:
        problem = str(e)
    rows, paging = paged(kpis, request.query_params.get("page", ""), KPI_PAGE,
                         lambda n: f"/team/{slug}/kpis?page={n}")  # fmt: skip
    board = kpi_board(slug, kpis)
    defining = form_of(COMMANDS["kpi.define"], next=f"/team/{slug}/kpis", fixed={"team": slug})
    return await render(request, me, "kpis.html", title=f"KPIs: {slug}", banner=problem,
                        team=slug, kpis=rows, paging=paging, tracked=board.active,
                        retired=len(kpis) - board.active, warning=board.warning,
                        defining=defining, kpi_chart=_kpi_chart)  # fmt: skip


@router.get("/team/{slug}/delegations")
async def team_delegations(request: Request, slug: str, me: Viewer) -> Response:
    """Every open delegation owned by a team's people, overdue ones first;
    :data:`DELEGATION_PAGE` to a page."""
    if missing := await _unseen_team(request, me, slug):
        return missing
    koers = koers_of(request)
    cards: list[DelegationCard] = []
    try:
        people = set((await in_thread(koers.directory)).members.get(slug, {}))
        board, problem = await read_view(request, lambda v: delegation_board(v, owners=people),
                                         at_of(request))  # fmt: skip
        if board is not None:
            every = [c for row in board.owners for c in row.delegations]
            cards = sorted(await in_thread(_team_delegations, koers, me, every), key=_urgency)
    except KoersError as e:
        problem = str(e)
    rows, paging = paged(cards, request.query_params.get("page", ""), DELEGATION_PAGE,
                         lambda n: f"/team/{slug}/delegations?page={n}")  # fmt: skip
    return await render(request, me, "team_delegations.html", title=f"Delegations: {slug}",
                        banner=problem, team=slug, delegations=rows, paging=paging)  # fmt: skip


async def _visible(request: Request, me: Principal) -> list[str]:
    return await in_thread(visible_teams, koers_of(request), me.handle)


def _kpi_chart(kpi: Any) -> Markup:
    points = tuple((m.as_of, m.value) for m in kpi.history)
    return _drawn_kpi_chart(kpi.name, kpi.unit, kpi.target, kpi.current, points)


@lru_cache(maxsize=4096)
def _drawn_kpi_chart(
    name: str, unit: str, target: str, current: str | None, history: tuple[tuple[str, str], ...]
) -> Markup:
    """A KPI's trend chart, drawn once per set of measurements (a team room with many KPIs
    draws only those measured since it was last shown)."""
    points = [(_when(as_of), Decimal(value)) for as_of, value in history]
    desc = (f"{len(points)} measurements, latest {current} {unit}; target {target}."
            if points else "Not measured yet.")  # fmt: skip
    return line_chart([Series(name, points)], [Reference(f"target {target}", Decimal(target))],
                      title=f"Trend: {name}", desc=desc, y_label=unit)  # fmt: skip


# -- an objective and a key result ------------------------------------------------------------


async def _load(request: Request, me: Principal, kind: str, ident: str) -> KoersAggregate | None:
    """The objective or key result with this id, if the person may see it."""
    koers = koers_of(request)
    try:
        uuid = UUID(ident)
    except ValueError:
        return None

    def load() -> KoersAggregate | None:
        try:
            thing = koers.load(AGGREGATES[kind], uuid)
        except NotFound:
            return None
        return thing if koers.may_read(me, kind, thing) else None

    return await in_thread(load)


async def _progress(request: Request, objective: Any, at: At) -> tuple[OkrProgress | None, str]:
    team, period = objective.team, objective.period
    return await read_view(request, lambda v: okr_progress(v, team, period), at)


def _family(
    okr: OkrProgress, objective_id: str
) -> tuple[AlignmentNode | None, AlignmentNode | None]:
    """The objective's node in the alignment tree and its parent's."""
    stack: list[tuple[AlignmentNode, AlignmentNode | None]] = [(n, None) for n in okr.alignment]
    while stack:
        node, parent = stack.pop()
        if node.objective_id == objective_id:
            return node, parent
        stack.extend((c, node) for c in node.children)
    return None, None


@router.get("/objective/{objective_id}")
async def objective_page(request: Request, objective_id: str, me: Viewer) -> Response:
    """An objective: its key results, its parent and children, and what one can do with it."""
    objective: Any = await _load(request, me, "objective", objective_id)
    if objective is None:
        return await _missing(request, me, "There is no objective with that id that you may see.")
    at = at_of(request)
    okr, problem = await _progress(request, objective, at)
    shown = next((o for o in (okr.objectives if okr else [])
                  if o.objective_id == str(objective.id)), None)  # fmt: skip
    node, parent = _family(okr, str(objective.id)) if okr else (None, None)
    here = f"/objective/{objective.id}"
    target = str(objective.id)
    forms: list[Form] = [
        form_of(COMMANDS["key_result.add"], next=here, fixed={"objective_id": target}),
        form_of(COMMANDS["objective.score"], target=target, next=here),
        form_of(COMMANDS["objective.realign"], target=target, next=here),
        form_of(COMMANDS["objective.weigh"], target=target, next=here),
        form_of(COMMANDS["objective.drop"], target=target, next=here),
    ]
    charts = {k.key_result_id: kr_chart(k) for k in (shown.key_results if shown else [])}
    return await render(
        request, me, "objective.html", title=objective.title, banner=problem,
        objective=objective, shown=shown, node=node, parent=parent, forms=forms, charts=charts,
        visible=set(await _visible(request, me)),
    )  # fmt: skip


@router.get("/key-result/{kr_id}")
async def key_result_page(request: Request, kr_id: str, me: Viewer) -> Response:
    """A key result: its chart, its check-ins, and the forms to check in, retarget, correct,
    close or drop it."""
    kr: Any = await _load(request, me, "key_result", kr_id)
    if kr is None:
        return await _missing(request, me, "There is no key result with that id that you may see.")
    koers = koers_of(request)
    objective = await in_thread(koers.load, AGGREGATES["objective"], kr.objective_id)
    at = at_of(request)
    okr, problem = await _progress(request, objective, at)
    shown = next((k for o in (okr.objectives if okr else []) for k in o.key_results
                  if k.key_result_id == str(kr.id)), None)  # fmt: skip
    here, target = f"/key-result/{kr.id}", str(kr.id)
    entries: dict[str, Any] = {str(k): v for k, v in kr.check_ins.items()}
    latest = shown.history[-1].check_in_id if shown and shown.history else ""
    forms = [
        form_of(COMMANDS["key_result.check_in"], target=target, next=here),
        form_of(COMMANDS["key_result.retarget"], target=target, next=here),
        form_of(COMMANDS["key_result.correct"], target=target, next=here,
                posted={"check_in_id": latest} if latest else None),
        form_of(COMMANDS["key_result.weigh"], target=target, next=here),
        form_of(COMMANDS["key_result.close"], target=target, next=here),
        form_of(COMMANDS["key_result.drop"], target=target, next=here),
    ]  # fmt: skip
    chart = kr_chart(shown, big=True) if shown else None
    return await render(
        request, me, "key_result.html", title=kr.title, banner=problem,
        kr=kr, objective=objective, shown=shown, entries=entries, forms=forms, chart=chart,
    )  # fmt: skip

"""The decision log (``/decision-log``, filtered by a GET form, with the form that opens a
decision) and one decision's page (``/decision/<id>``: the record, its history, its proof
state, "what we knew then", and the forms that move it on).

The log lists what ``GET /decisions`` lists to the same person (:func:`ledger.api.visible_states`),
filtered by the API's own filters (team, decider, status) and, besides, by door,
information level and review due. A decision the person may not read is not found, as in
the API.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ledger.api import (
    ApiProblem,
    in_thread,
    koers_of,
    open_audit,
    parse_moment,
    visible_states,
)
from ledger.domain import COMMANDS, Decision, DecisionStatus, Principal
from ledger.errors import KoersError
from ledger.web._decision_record import Cut, DecisionRecord, links_of, proof_state, record_of
from ledger.web._forms import Form, Input, form_of
from ledger.web._lineage import lineage_of, page_of
from ledger.web._reads import at_of, read_view
from ledger.web._render import paged, render
from ledger.web._session import Viewer
from ledger.web._things import not_found, readable
from projections.decision_quality import BANDS

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
MISSING = ("There is no decision here that you may see: a team's decisions are for its members "
           "and those above it.")  # fmt: skip

#: The log's filters that are the API's own list filters (``GET /decisions?team=…``).
API_FILTERS = ("team", "decider", "status")
DOORS = (("two_way", "two-way door"), ("one_way", "one-way door"))
REVIEWS = (("due", "review due"), ("ahead", "review ahead"))
#: decisions per page of the log, newest first (a long log is read page by page)
LOG_PAGE = 50
#: What one can do with a decision, by its status (the domain still says no where it must).
FORMS = {
    DecisionStatus.OPEN: ("decision.score", "decision.position", "decision.approve",
                          "decision.decide", "decision.inform", "decision.add_option",
                          "decision.roles", "decision.supersede", "decision.link"),
    DecisionStatus.DECIDED: ("decision.review", "decision.position", "decision.reverse",
                             "decision.supersede", "decision.link"),
    DecisionStatus.REVIEWED: ("decision.reverse", "decision.position", "decision.supersede",
                              "decision.link"),
    DecisionStatus.REVERSED: ("decision.link",),
    DecisionStatus.SUPERSEDED: ("decision.link",),
}  # fmt: skip


def _review_state(state: dict[str, Any], today: date) -> str:
    """``due`` (decided, its review day come), ``ahead`` (decided, not yet), else empty."""
    if state["status"] != DecisionStatus.DECIDED.value or not state["review_on"]:
        return ""
    return "due" if date.fromisoformat(state["review_on"]) <= today else "ahead"


def _band(level: int) -> str:
    return next(name for name, low, high in BANDS if low <= level <= high)


def _filtered(states: list[dict[str, Any]], chosen: dict[str, str]) -> list[dict[str, Any]]:
    today = datetime.now(UTC).date()
    wanted = {k: chosen[k] for k in API_FILTERS if chosen.get(k)}
    rows = [s for s in states if all(str(s.get(k)) == v for k, v in wanted.items())]
    if chosen.get("door"):
        rows = [s for s in rows if s["reversibility"] == chosen["door"]]
    if chosen.get("information"):
        rows = [s for s in rows if _band(s["information_level"]) == chosen["information"]]
    if chosen.get("review"):
        rows = [s for s in rows if _review_state(s, today) == chosen["review"]]
    return rows


def _choices(states: list[dict[str, Any]]) -> dict[str, list[tuple[str, str]]]:
    """Each filter's options: the teams and deciders that occur, the fixed lists."""
    return {
        "team": [(t, t) for t in sorted({s["team"] for s in states})],
        "decider": [(d, d) for d in sorted({s["decider"] for s in states})],
        "status": [(s.value, s.value) for s in DecisionStatus],
        "door": list(DOORS),
        "information": [(name, name.replace("_", " ") + " %") for name, _, _ in BANDS],
        "review": list(REVIEWS),
    }


@router.get("/decision-log")
async def decision_log(request: Request, me: Viewer) -> Response:
    """The decisions I may read, filtered; and the form to open one."""
    query = request.query_params
    chosen = {name: query.get(name, "").strip()[:120] for name in _choices([])}
    states = await in_thread(visible_states, koers_of(request), me, "decision")
    matching = list(reversed(_filtered(states, chosen)))
    filters = {k: v for k, v in chosen.items() if v}
    rows, paging = paged(
        matching, query.get("page", ""), LOG_PAGE,
        lambda n: f"/decision-log?{urlencode({**filters, 'page': n})}",
    )  # fmt: skip
    here = "/decision-log" + (f"?{urlencode({'team': chosen['team']})}" if chosen["team"] else "")
    fixed = {"team": chosen["team"]} if chosen["team"] else None
    opening = form_of(COMMANDS["decision.open"], next=here, fixed=fixed)
    today = datetime.now(UTC).date()
    return await render(request, me, "decision_log.html", title="Decision log", rows=rows,
                        total=len(states), chosen=chosen, choices=_choices(states), paging=paging,
                        reviews={s["id"]: _review_state(s, today) for s in rows},
                        opening=opening)  # fmt: skip


def _forms(record: DecisionRecord, ident: UUID) -> list[Form]:
    decision = record.decision
    if decision is None:
        return []
    page = f"/decision/{ident}"
    forms = [form_of(COMMANDS[name], target=str(ident), next=page)
             for name in FORMS[decision.status]]  # fmt: skip
    options = tuple((o.key, f"{o.key}: {o.title}") for o in decision.options)
    criteria = tuple((c.name, f"{c.name} (weight {c.weight})") for c in decision.criteria)
    #: the call and a score name an option on the table, a score a criterion: offer those
    offered = {"chosen": options, "option": options, "criterion": criteria}
    for form in forms:
        for item in form.items:
            if isinstance(item, Input) and item.name in offered:
                item.widget = "select"
                item.choices = offered[item.name]
                item.attrs = {}
    return forms


def _cut(request: Request) -> tuple[Cut, str]:
    """The page's cut (``then``, ``as_of``, ``position``) and a banner if one is wrong."""
    at = at_of(request)
    then = request.query_params.get("then") == "1"
    try:
        moment = parse_moment(at.view_at().as_of)
    except ApiProblem as e:
        return Cut(then=then, position=at.position), e.detail
    return Cut(moment, at.position, then), ""


async def _superseded(request: Request, me: Principal, ident: UUID) -> list[Decision]:
    """The decisions this one superseded, those I may read."""
    ids, _ = await read_view(
        request,
        lambda v: [r["decision_id"] for r in v.rows(
            "SELECT decision_id FROM decisions WHERE superseded_by = ?", str(ident))],
        at_of(request),
    )  # fmt: skip
    found = []
    for other in ids or []:
        decision, _ = await readable(request, me, "decision", Decision, other)
        if decision is not None:
            found.append(decision)
    return found


async def _proof(request: Request, ident: UUID) -> str:
    try:
        return await in_thread(proof_state, lambda: open_audit(request), ident)
    except (KoersError, OSError, ValueError) as e:
        return f"The proof cannot be checked just now ({e}); koers audit prove {ident} can."


@router.get("/decision/{decision_id}")
async def decision_page(request: Request, decision_id: str, me: Viewer) -> Response:
    """One decision: the record, its history, its proof; as of a moment, or as decided."""
    found, problem = await readable(request, me, "decision", Decision, decision_id)
    if found is None:
        return await not_found(request, me, MISSING, problem)
    ident, koers = found.id, koers_of(request)
    cut, banner = _cut(request)
    record = await in_thread(record_of, koers, ident, cut)
    if record.decision is None:
        return await not_found(request, me, MISSING, "It did not exist yet at that point.")
    then = cut.then and record.made_version is not None  # not decided: there is no "then"
    past = then or cut.moment is not None or cut.position is not None
    at = at_of(request)
    return await render(
        request, me, "decision.html", title=record.decision.question, banner=banner,
        record=record, d=record.decision, ident=ident, then=then, past=past,
        matrix=record.decision.matrix(),
        as_of=at.as_of, position=at.position,
        links=await in_thread(links_of, koers, me, record.decision.links),
        forms=[] if past else _forms(record, ident),
        superseded=await _superseded(request, me, ident),
        proof=await _proof(request, ident),
        lineage=(await lineage_of(request, me, ident))[0], page_of=page_of,
    )  # fmt: skip

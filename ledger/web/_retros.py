"""Retros: a team's retros with its health pulse over time and its follow-through
(``/team/<slug>/retros``), and one retro with its items, pulse and action items
(``/retro/<id>``), with the forms for all of it.

The numbers are those of ``GET /teams/<slug>/retro-follow-through``
(:func:`projections.retro_follow_through`); one retro is read as ``GET /retros/<id>`` reads
it. Another team's retros answer 404, as the API does.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ledger.api import in_thread, koers_of, see_team
from ledger.application._reads import complete_state
from ledger.domain import COMMANDS
from ledger.domain.retros import ActionState, Retro
from ledger.errors import NotFound
from ledger.web._charts import Series, line_chart
from ledger.web._forms import Form, Input, form_of
from ledger.web._reads import at_of, read_view
from ledger.web._render import render
from ledger.web._session import Viewer
from ledger.web._things import not_found, readable
from projections import retro_follow_through
from projections.retro_follow_through import RetroFollowThrough, RetroPoint

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
_NOT_YOURS = "This team's retros are for its members and those of the teams above it."


def _chart(follow: RetroFollowThrough) -> Any:
    scored = [(p.held_on, Decimal(p.health)) for p in follow.retros if p.health is not None]
    if not scored:
        return None
    first, last = scored[0], scored[-1]
    desc = (f"Team health (mean pulse, 1 to 5) over {len(scored)} retros, from {first[1]} on "
            f"{first[0]} to {last[1]} on {last[0]}.")  # fmt: skip
    points = [(datetime.combine(date.fromisoformat(day), time(), UTC), h) for day, h in scored]
    return line_chart([Series("team health (1–5)", points)], title=f"Health pulse of "
                      f"{follow.team}", desc=desc, y_range=(1, 5))  # fmt: skip


@router.get("/team/{slug}/retros")
async def team_retros(request: Request, slug: str, me: Viewer) -> Response:
    """A team's retros, health history, open actions and follow-through; hold a new one."""
    try:
        await see_team(request, slug)
    except NotFound:
        return await not_found(request, me, _NOT_YOURS)
    follow, problem = await read_view(request, lambda v: retro_follow_through(v, slug),
                                      at_of(request))  # fmt: skip
    hold = form_of(COMMANDS["retro.hold"], next=f"/team/{slug}/retros", fixed={"team": slug})
    dimensions = sorted({d for p in follow.retros for d in p.pulse}) if follow else []
    return await render(request, me, "retros.html", title=f"Retros of {slug}", team=slug,
                        follow=follow, chart=_chart(follow) if follow else None,
                        dimensions=dimensions, hold=hold, banner=problem)  # fmt: skip


def _next_retro(follow: RetroFollowThrough | None, retro_id: str) -> RetroPoint | None:
    """The retro held after this one (where open actions carry over), if any."""
    ids = [p.retro_id for p in follow.retros] if follow else []
    if follow is None or retro_id not in ids or ids.index(retro_id) + 1 == len(ids):
        return None
    return follow.retros[ids.index(retro_id) + 1]


def _action_forms(retro_id: str, item_id: str, carry_to: str, here: str) -> list[Form]:
    """What one does with an open action item: done, drop, carry over to the next retro."""
    forms = [
        form_of(COMMANDS[name], target=retro_id, next=here, fixed={"item_id": item_id})
        for name in ("retro.done", "retro.drop")
    ]
    if carry_to:
        forms.append(form_of(COMMANDS["retro.carry"], target=retro_id, next=here,
                             fixed={"item_id": item_id, "to_retro_id": carry_to}))  # fmt: skip
    return forms


def _choose_item(form: Form, items: list[dict[str, str]]) -> None:
    """The action item form picks the item it came from among this retro's items."""
    for one in form.items:
        if isinstance(one, Input) and one.name == "from_item":
            one.widget = "select"
            one.choices = (("", "–"), *((i["id"], i["text"][:80]) for i in items))


@router.get("/retro/{retro_id}")
async def retro_page(request: Request, retro_id: str, me: Viewer) -> Response:
    """One retro: items, pulse, action items, and the forms to add to it."""
    retro, problem = await readable(request, me, "retro", Retro, retro_id)
    if retro is None:
        return await not_found(request, me, "There is no such retro, or it is another "
                               "team's: retros are for the team's members.", problem)  # fmt: skip
    shown = await in_thread(complete_state, retro, koers_of(request).event_history)
    follow, later = await read_view(request, lambda v: retro_follow_through(v, retro.team),
                                    at_of(request))  # fmt: skip
    upcoming = _next_retro(follow, str(retro.id))
    here = f"/retro/{retro.id}"
    actions = [
        {"item_id": str(item_id), **action, "state": action["state"].value,
         "forms": _action_forms(str(retro.id), str(item_id),
                                upcoming.retro_id if upcoming else "", here)
         if action["state"] is ActionState.OPEN else []}
        for item_id, action in retro.actions.items()
    ]  # fmt: skip
    forms = [form_of(COMMANDS[name], target=str(retro.id), next=here)
             for name in ("retro.item", "retro.pulse", "retro.action", "retro.pulse_score")
             ]  # fmt: skip
    items = [
        {"id": ident, "kind": kind.value, "text": text}
        for ident, (kind, text) in zip(shown["item_ids"], retro.items, strict=True)
    ]
    for action in actions:
        action["from_item"] = shown["actions"][action["item_id"]].get("from_item")
    _choose_item(forms[2], items)
    return await render(request, me, "retro.html", title=f"Retro {retro.period}", retro=retro,
                        pulse=shown["pulse"], responses=shown["pulse_responses"], items=items,
                        actions=actions, upcoming=upcoming, forms=forms,
                        banner=later)  # fmt: skip

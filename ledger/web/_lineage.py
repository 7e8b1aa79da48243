"""Lineage on the web: ``/lineage-of/<id>`` (what led to a thing and what came of it), and the
"led here / came of it" section the decision page shows. The graph is the one
``GET /lineage/{id}`` answers (:func:`projections.lineage`), filtered the same way: only the
things the person may see."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ledger.api import koers_of
from ledger.domain import Principal
from ledger.web._reads import at_of, read_view
from ledger.web._render import render
from ledger.web._session import Viewer
from ledger.web._things import not_found
from projections import Lineage, LineageNode, lineage

__all__ = ["lineage_of", "page_of", "router"]

router = APIRouter(include_in_schema=False)
_MISSING = ("There is no such retro item, action item, decision, key result, objective or "
            "delegation, or it is not yours to see.")  # fmt: skip
_PAGES = {
    "decision": "/decision/{id}",
    "key_result": "/key-result/{id}",
    "objective": "/objective/{id}",
    "delegation": "/delegation/{id}",
    "retro_item": "/retro/{retro_id}#item-{id}",
    "action_item": "/retro/{retro_id}#action-{id}",
}


def page_of(node: LineageNode) -> str:
    """The page a thing of the lineage is shown on."""
    return _PAGES[node.kind].format(id=node.id, retro_id=node.retro_id or "")


async def lineage_of(request: Request, me: Principal, ident: UUID) -> tuple[Lineage | None, str]:
    """The lineage of ``ident`` as ``me`` may see it (nothing: none, or not theirs), or
    nothing and a banner when the views could not answer."""
    koers = koers_of(request)

    def shown(node: LineageNode) -> bool:
        return koers.may_see_party(me, node.team, node.people)

    return await read_view(request, lambda v: lineage(v, str(ident), shown=shown),
                           at_of(request))  # fmt: skip


@router.get("/lineage-of/{thing_id}")
async def lineage_page(request: Request, thing_id: str, me: Viewer) -> Response:
    """What led to a thing and what came of it, each link with its kind, time and actor."""
    try:
        ident = UUID(thing_id)
    except ValueError:
        return await not_found(request, me, _MISSING)
    found, problem = await lineage_of(request, me, ident)
    if found is None:
        return await not_found(request, me, _MISSING, problem)
    return await render(request, me, "lineage.html", title=f"Lineage: {found.node.title}",
                        lineage=found, page_of=page_of)  # fmt: skip

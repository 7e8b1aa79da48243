"""Every page of the web app, as ``tests/web/test_every_page.py`` visits it: axe-core, phone
width, escaping, security headers, and the tour's screenshots (``docs/tour``).

Add your page here with ``Page(name, path, handle)``. ``name`` is also the screenshot's file
name (``docs/tour/<name>-desktop.png``, ``-phone.png``), so keep it short and stable: the
README links some of them. ``path`` may hold ``{prompt}`` (a prompt issued to ``handle`` for
the visit) or ``{key_result}`` (the first key result the API lists to ``handle``). ``handle``
is whom the page is viewed as; ``None``: not signed in.
"""

from __future__ import annotations

from typing import NamedTuple

from ledger.demo._ids import (
    decision_id,
    delegation_id,
    key_result_id,
    objective_id,
    retro_id,
    retro_item_id,
)

__all__ = ["PAGES", "Page"]


class Page(NamedTuple):
    name: str
    path: str
    handle: str | None = "ann"


#: The demo's mid-quarter retro of platform (items, pulse, actions done, dropped, carried).
RETRO = retro_id("platform-mid")
#: The demo's running delegation (ann to chen): check-ins, one not acknowledged yet.
DELEGATION = delegation_id("db-migration")
#: A decision of the demo that went all the way: opened, linked, decided, reviewed.
REVIEWED = decision_id("trunk-based")
#: A decision of the demo scored against its criteria by three people, with positions taken.
SCORED = decision_id("ci-runners")
#: A decision of the demo with a recommender, and an approver who approved before the call.
APPROVED = decision_id("managed-postgres")

DECISION_PAGES: list[Page] = [
    Page("decision log", "/decision-log?team=platform", "ann"),
    Page("decision", f"/decision/{REVIEWED}", "ann"),
    Page("decision, what we knew then", f"/decision/{REVIEWED}?then=1", "ann"),
    Page("decision matrix", f"/decision/{SCORED}", "ann"),
    Page("decision quality", "/team/platform/quality?period=2026-Q3", "ann"),
    Page("my decision quality", "/me/quality", "ann"),
    Page("person decision quality", "/person/bram/quality?period=2026-Q3", "ann"),
]

TEAM_PAGES: list[Page] = [
    Page("team room", "/team/platform?period=2026-Q3", "ann"),
    Page("team room as of", "/team/sales?period=2026-Q3&as_of=2026-08-15T12:00", "gijs"),
    Page("kpis", "/team/platform/kpis", "ann"),
    Page("team delegations", "/team/platform/delegations", "ann"),
    Page("objective", f"/objective/{objective_id('self-serve-onboarding')}", "emre"),
    Page("key result", f"/key-result/{key_result_id('time-to-restore')}", "dewi"),
]

PAGES: list[Page] = [
    Page("my day", "/"),
    Page("reflection", "/reflection"),
    Page("prompt", "/prompt/{prompt}"),
    Page("check-in form", "/do/check_in?subject={key_result}"),
    Page("sign-in", "/", None),
    Page("retros", "/team/platform/retros"),
    Page("retro", f"/retro/{RETRO}"),
    Page("lineage", f"/lineage-of/{retro_item_id('platform-mid', 4)}"),
    Page("delegations", "/me/delegations", "chen"),
    Page("delegation", f"/delegation/{DELEGATION}"),
    Page("notifications", "/me/notifications", "bram"),
    *DECISION_PAGES,
    *TEAM_PAGES,
]

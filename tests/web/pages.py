"""The pages to look at (axe-core, the tour's screenshots): (name, path, handle to view as)."""

from __future__ import annotations

from ledger.demo._ids import decision_id, delegation_id, retro_id

#: The demo's mid-quarter retro of platform (items, pulse, actions done, dropped, carried).
RETRO = retro_id("platform-mid")
#: The demo's running delegation (ann to chen): check-ins, one not acknowledged yet.
DELEGATION = delegation_id("db-migration")
#: A decision of the demo that went all the way: opened, linked, decided, reviewed.
REVIEWED = decision_id("trunk-based")

DECISION_PAGES: list[tuple[str, str, str]] = [
    ("decision log", "/decision-log?team=platform", "ann"),
    ("decision", f"/decision/{REVIEWED}", "ann"),
    ("decision, what we knew then", f"/decision/{REVIEWED}?then=1", "ann"),
    ("decision quality", "/team/platform/quality?period=2026-Q3", "ann"),
    ("my decision quality", "/me/quality", "ann"),
]

PAGES: list[tuple[str, str, str]] = [
    ("my day", "/", "ann"),
    ("retros", "/team/platform/retros", "ann"),
    ("retro", f"/retro/{RETRO}", "ann"),
    ("delegations", "/me/delegations", "chen"),
    ("delegation", f"/delegation/{DELEGATION}", "ann"),
    *DECISION_PAGES,
]

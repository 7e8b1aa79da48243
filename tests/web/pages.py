"""The pages to look at (axe-core, the tour's screenshots): (name, path, handle to view as)."""

from __future__ import annotations

from ledger.demo._ids import decision_id

#: A decision of the demo that went all the way: opened, linked, decided, reviewed.
REVIEWED = decision_id("trunk-based")

PAGES: list[tuple[str, str, str]] = [
    ("decision log", "/decision-log?team=platform", "ann"),
    ("decision", f"/decision/{REVIEWED}", "ann"),
    ("decision, what we knew then", f"/decision/{REVIEWED}?then=1", "ann"),
    ("decision quality", "/team/platform/quality?period=2026-Q3", "ann"),
    ("my decision quality", "/me/quality", "ann"),
]

"""The pages to look at (axe-core, the tour's screenshots): (name, path, handle to view as)."""

from __future__ import annotations

from ledger.demo._ids import delegation_id, retro_id

#: The demo's mid-quarter retro of platform (items, pulse, actions done, dropped, carried).
RETRO = retro_id("platform-mid")
#: The demo's running delegation (ann to chen): check-ins, one not acknowledged yet.
DELEGATION = delegation_id("db-migration")

PAGES: list[tuple[str, str, str]] = [
    ("my day", "/", "ann"),
    ("retros", "/team/platform/retros", "ann"),
    ("retro", f"/retro/{RETRO}", "ann"),
    ("delegations", "/me/delegations", "chen"),
    ("delegation", f"/delegation/{DELEGATION}", "ann"),
]

"""The pages to check with axe-core and to photograph for the tour: ``(name, path, handle)``,
the path as the handle views it on the demo (ids are the demo's, made from its slugs)."""

from __future__ import annotations

from ledger.demo._ids import key_result_id, objective_id

PAGES: list[tuple[str, str, str]] = [
    ("team room", "/team/platform?period=2026-Q3", "ann"),
    ("team room as of", "/team/sales?period=2026-Q3&as_of=2026-08-15T12:00", "gijs"),
    ("objective", f"/objective/{objective_id('self-serve-onboarding')}", "emre"),
    ("key result", f"/key-result/{key_result_id('time-to-restore')}", "dewi"),
]

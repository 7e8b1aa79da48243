"""The teams' KPIs: two per team, leading and lagging, measured weekly or monthly."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.demo._goals_data import series

__all__ = ["KPIS", "KpiSpec"]


@dataclass(frozen=True)
class KpiSpec:
    slug: str
    team: str
    name: str
    owner: str
    target: str
    unit: str
    direction: str
    kind: str
    next_step: str
    weeks: tuple[int, ...]
    values: tuple[str, ...]
    new_next_step: tuple[int, str] | None = None


KPIS: tuple[KpiSpec, ...] = (
    KpiSpec(
        "availability",
        "platform",
        "Availability (30 days)",
        "bram",
        "99.9",
        "%",
        "higher_is_better",
        "lagging",
        "Publish a public status page.",
        tuple(range(12)),
        series("99.82 99.95 99.91 99.70 99.93 99.96 99.97 99.88 99.94 99.95 99.97 99.98"),
    ),
    KpiSpec(
        "lead-time",
        "platform",
        "Lead time for changes",
        "ann",
        "24",
        "hours",
        "lower_is_better",
        "leading",
        "Measure it per team, not per repository.",
        (3, 7, 11),
        series("52 38 27"),
        new_next_step=(7, "Let docs-only changes skip the full test run."),
    ),
    KpiSpec(
        "demos",
        "sales",
        "Demos held per week",
        "ines",
        "12",
        "demos",
        "higher_is_better",
        "leading",
        "Book demos straight from the pricing page.",
        tuple(range(12)),
        series("8 9 11 10 12 13 9 11 12 14 13 12"),
    ),
    KpiSpec(
        "net-retention",
        "sales",
        "Net revenue retention",
        "joost",
        "105",
        "%",
        "higher_is_better",
        "lagging",
        "Offer an expansion conversation in every health check.",
        (3, 7, 11),
        series("103.2 101.9 102.6"),
    ),
)

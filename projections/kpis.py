"""A team's KPIs: each one's latest value against its target, and its trend.

No view table holds KPIs yet (docs/metrics.md): this reads the KPI aggregates themselves (as
the store holds them now, or as they stood at a moment) and reports what a team room shows.
One function, so the API can answer the same numbers when it gets a KPI route.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from ledger.domain import Direction, Kpi
from projections._query import stamp

__all__ = ["KpiMeasurement", "KpiStatus", "kpi_order", "kpi_status"]


@dataclass(frozen=True)
class KpiMeasurement:
    as_of: str
    value: str


@dataclass(frozen=True)
class KpiStatus:
    kpi_id: str
    team: str
    name: str
    owner: str
    kind: str  # leading / lagging
    direction: str  # higher_is_better / lower_is_better
    target: str
    unit: str
    next_step: str
    retired: bool
    current: str | None
    status: str | None  # on_target / off_target; None before the first measurement
    trend: str | None  # better / worse / flat, the last measurement against the one before
    history: list[KpiMeasurement]


def _better(direction: Direction, a: Decimal, b: Decimal) -> bool:
    """Whether ``a`` is better than ``b`` for a KPI going ``direction``."""
    return a > b if direction is Direction.HIGHER_IS_BETTER else a < b


def kpi_status(kpis: Iterable[Kpi]) -> list[KpiStatus]:
    """Each KPI's status against its target (met when at or beyond it, in its direction)
    and its trend, measurements in the order of the moments they describe; by name."""
    out = []
    for kpi in kpis:
        points = sorted(kpi.measurements, key=lambda m: m[0])
        last = points[-1][1] if points else None
        before = points[-2][1] if len(points) > 1 else None
        status = trend = None
        if last is not None:
            met = last == kpi.target or _better(kpi.direction, last, kpi.target)
            status = "on_target" if met else "off_target"
        if last is not None and before is not None:
            better = _better(kpi.direction, last, before)
            trend = "flat" if last == before else "better" if better else "worse"
        out.append(
            KpiStatus(
                kpi_id=str(kpi.id), team=kpi.team, name=kpi.name, owner=kpi.owner,
                kind=kpi.kind.value, direction=kpi.direction.value, target=str(kpi.target),
                unit=kpi.unit, next_step=kpi.next_step, retired=kpi.retired,
                current=None if last is None else str(last), status=status, trend=trend,
                history=[KpiMeasurement(stamp(at), str(value)) for at, value in points],
            )
        )  # fmt: skip
    return sorted(out, key=kpi_order)


def kpi_order(kpi: KpiStatus) -> tuple[bool, str]:
    """Tracked KPIs before retired ones, each by name."""
    return (kpi.retired, kpi.name)

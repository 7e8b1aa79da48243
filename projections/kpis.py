"""A team's KPIs: each one's latest value against its target, and its trend.

No view table holds KPIs (docs/metrics.md §8): this reads the KPI aggregates themselves (as
the store holds them now, or as they stood at a moment) and reports what a team room shows.
One function, so the API, the CLI, the exports and the web answer the same words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from ledger.application import Koers
from ledger.domain import Direction, Kpi, Principal
from ledger.errors import NotAllowed
from projections._query import stamp

__all__ = [
    "KPI_LIMIT",
    "TREND_WINDOW",
    "WATCH_BAND",
    "KpiBoard",
    "KpiMeasurement",
    "KpiStatus",
    "kpi_board",
    "kpi_order",
    "kpi_status",
    "team_kpis",
]

#: how many measurements the trend spans: the latest and up to three before it
TREND_WINDOW = 4
#: a miss within this share of the target (on the wrong side) is "watch", not "off target"
WATCH_BAND = Decimal("0.10")
#: the method asks for 3 to 5 KPIs per team; more is warned about, never refused
KPI_LIMIT = 5


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
    status: str | None  # on_target / watch / off_target; None before the first measurement
    trend: str | None  # better / worse / flat: the latest against the first of the window
    trend_from: str | None  # the value the trend compares with (TREND_WINDOW back at most)
    trend_measurements: int  # how many measurements the trend spans (at most TREND_WINDOW)
    history: list[KpiMeasurement]


@dataclass(frozen=True)
class KpiBoard:
    team: str
    active: int
    limit: int
    warning: str | None  # when more than ``limit`` KPIs are tracked; never a refusal
    kpis: list[KpiStatus]


def _better(direction: Direction, a: Decimal, b: Decimal) -> bool:
    """Whether ``a`` is better than ``b`` for a KPI going ``direction``."""
    return a > b if direction is Direction.HIGHER_IS_BETTER else a < b


def _trend(direction: Direction, last: Decimal, first: Decimal) -> str:
    if last == first:
        return "flat"
    return "better" if _better(direction, last, first) else "worse"


def _status(kpi: Kpi, last: Decimal, trend: str | None) -> str:
    """docs/metrics.md §8: met and not getting worse is on target; met but getting worse, or
    missed by at most :data:`WATCH_BAND` of the target, is watch; a bigger miss is off target."""
    if last == kpi.target or _better(kpi.direction, last, kpi.target):
        return "watch" if trend == "worse" else "on_target"
    near = abs(last - kpi.target) <= WATCH_BAND * abs(kpi.target)
    return "watch" if near else "off_target"


def kpi_status(kpis: Iterable[Kpi]) -> list[KpiStatus]:
    """Each KPI's status against its target (docs/metrics.md §8) and its trend over the last
    :data:`TREND_WINDOW` measurements, in the order of the moments they describe; by name."""
    out = []
    for kpi in kpis:
        points = sorted(kpi.measurements, key=lambda m: m[0])
        window = [value for _, value in points[-TREND_WINDOW:]]
        last = window[-1] if window else None
        first = window[0] if len(window) > 1 else None
        trend = None if last is None or first is None else _trend(kpi.direction, last, first)
        out.append(
            KpiStatus(
                kpi_id=str(kpi.id), team=kpi.team, name=kpi.name, owner=kpi.owner,
                kind=kpi.kind.value, direction=kpi.direction.value, target=str(kpi.target),
                unit=kpi.unit, next_step=kpi.next_step, retired=kpi.retired,
                current=None if last is None else str(last),
                status=None if last is None else _status(kpi, last, trend), trend=trend,
                trend_from=None if first is None else str(first),
                trend_measurements=len(window),
                history=[KpiMeasurement(stamp(at), str(value)) for at, value in points],
            )
        )  # fmt: skip
    return sorted(out, key=kpi_order)


def kpi_board(team: str, kpis: list[KpiStatus]) -> KpiBoard:
    """A team's KPIs (from :func:`kpi_status`) with a warning when more than
    :data:`KPI_LIMIT` are tracked: the method asks for 3 to 5."""
    active = sum(not k.retired for k in kpis)
    warning = None
    if active > KPI_LIMIT:
        warning = (
            f"{team} tracks {active} KPIs; the method asks for 3 to {KPI_LIMIT}: "
            "retire the ones that no longer tell whether the work is healthy"
        )
    return KpiBoard(team=team, active=active, limit=KPI_LIMIT, warning=warning, kpis=kpis)


def kpi_order(kpi: KpiStatus) -> tuple[bool, str]:
    """Tracked KPIs before retired ones, each by name."""
    return (kpi.retired, kpi.name)


def team_kpis(
    koers: Koers, team: str, principal: Principal | None = None, moment: datetime | None = None
) -> list[KpiStatus]:
    """The team's KPIs as they stood at ``moment`` (now when none), those ``principal`` may
    read (all without one: the operator's local CLI), by :func:`kpi_order`."""
    kpis: list[Kpi] = []
    known: list[KpiStatus] = []
    for now in koers.all_of(Kpi):
        if now.team != team or (principal and not koers.may_read(principal, "kpi", now)):
            continue
        if moment is None:
            known.append(_status_now(now))
            continue
        try:
            kpis.append(koers.load_as_of(Kpi, now.id, moment))
        except NotAllowed:  # it was not defined yet then
            continue
    return sorted(known, key=kpi_order) if moment is None else kpi_status(kpis)


_STATUSES: dict[tuple[UUID, int], KpiStatus] = {}


def _status_now(kpi: Kpi) -> KpiStatus:
    """A KPI's status, worked out once per version (a team room reads every KPI of its
    team; few of them change between two reads)."""
    key = (kpi.id, kpi.version)
    found = _STATUSES.get(key)
    if found is None:
        if len(_STATUSES) >= 20_000:  # a bound: the cache starts over rather than grow
            _STATUSES.clear()
        [found] = kpi_status([kpi])
        _STATUSES[key] = found
    return found

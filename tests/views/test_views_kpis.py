"""A team's KPIs as the team room shows them: the latest value against the target in the
KPI's direction, the trend against the measurement before, measurements by the moment they
describe (a late one sorts in place)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from ledger.domain import Kpi
from projections import kpi_status
from tests.factories import ANN, kpi

T0 = datetime(2026, 7, 1, 9, tzinfo=UTC)


def _kpi(values: list[str], **overrides: str) -> Kpi:
    made = Kpi.define(id=uuid.uuid4(), actor=ANN, **kpi(**overrides))
    for week, value in enumerate(values):
        made.measure(actor=ANN, value=value, as_of=T0 + timedelta(weeks=week), note="")
    return made


def test_status_and_trend_follow_the_direction() -> None:
    lower = _kpi(["3", "2.5", "2"], name="Lead time")  # target 2, lower is better
    higher = _kpi(["99.95", "99.8"], name="Availability", target="99.9",
                  direction="higher_is_better")  # fmt: skip
    unmeasured = _kpi([], name="Cycle time")
    shown = {k.name: k for k in kpi_status([lower, higher, unmeasured])}
    assert (shown["Lead time"].current, shown["Lead time"].status) == ("2", "on_target")
    assert shown["Lead time"].trend == "better"
    assert (shown["Availability"].status, shown["Availability"].trend) == ("off_target", "worse")
    assert (shown["Cycle time"].current, shown["Cycle time"].status) == (None, None)
    assert shown["Cycle time"].trend is None
    assert [m.value for m in shown["Lead time"].history] == ["3", "2.5", "2"]


def test_a_late_measurement_sorts_by_the_moment_it_describes_and_retired_ones_go_last() -> None:
    late = _kpi(["5", "4"], name="Lead time")
    late.measure(actor=ANN, value="9", as_of=T0 - timedelta(weeks=1), note="recorded late")
    retired = _kpi(["1"], name="A retired one")
    retired.retire(actor=ANN, reason="replaced")
    shown = kpi_status([retired, late])
    assert [k.name for k in shown] == ["Lead time", "A retired one"]
    assert [m.value for m in shown[0].history] == ["9", "5", "4"]
    assert (shown[0].current, shown[0].trend) == ("4", "better")
    assert shown[1].retired

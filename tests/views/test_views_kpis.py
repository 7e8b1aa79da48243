"""A team's KPIs as the team room shows them: the latest value against the target in the
KPI's direction, the trend against the measurement before, measurements by the moment they
describe (a late one sorts in place)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from ledger.domain import Kpi
from projections import kpi_board, kpi_status
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
    # 99.8 misses 99.9 by 0.1, within 10 % of the target (9.99): watch, not off target
    assert (shown["Availability"].status, shown["Availability"].trend) == ("watch", "worse")
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


def test_status_rule_watch_band_worsening_and_trend_window() -> None:
    """docs/metrics.md §8, by hand: target 2 (lower is better), band 10 % of 2 = 0.2."""
    near = _kpi(["2.2"], name="Near")  # missed by 0.2 ≤ 0.2: watch
    far = _kpi(["2.3"], name="Far")  # missed by 0.3 > 0.2: off target
    # on target but worse than four measurements back: watch
    worsening = _kpi(["9", "1", "1.5", "1.8", "1.9"], name="Worsening")
    steady = _kpi(["1", "1"], name="Steady")  # on target, flat
    higher = _kpi(["80", "95"], name="Up", target="100", direction="higher_is_better")
    shown = {k.name: k for k in kpi_status([near, far, worsening, steady, higher])}
    assert shown["Near"].status == "watch"
    assert (shown["Near"].trend, shown["Near"].trend_measurements) == (None, 1)
    assert shown["Far"].status == "off_target"
    w = shown["Worsening"]
    assert (w.status, w.trend, w.trend_from, w.trend_measurements) == ("watch", "worse", "1", 4)
    assert (shown["Steady"].status, shown["Steady"].trend) == ("on_target", "flat")
    assert (shown["Up"].status, shown["Up"].trend) == ("watch", "better")  # 95 ≥ 100 - 10


def test_board_warns_above_five_active_kpis_and_never_counts_retired_ones() -> None:
    kpis = [_kpi(["1"], name=f"K{i}") for i in range(6)]
    kpis[0].retire(actor=ANN, reason="replaced")
    five = kpi_board("platform", kpi_status(kpis))
    assert (five.active, five.warning) == (5, None)
    six = kpi_board("platform", kpi_status([*kpis, _kpi(["1"], name="K6")]))
    assert six.active == 6
    assert six.warning is not None
    assert "6 KPIs" in six.warning
    assert len(six.kpis) == 7  # a warning, not a refusal: every KPI is still there

"""Plan the goals of the story: objectives, key results with their check-ins, and KPIs."""

from __future__ import annotations

from ledger.demo._cast import LEADS
from ledger.demo._ids import action_item_id, key_result_id, kpi_id, objective_id
from ledger.demo._plan import Plan, Thread, Week, sub_id
from ledger.demo._specs import KeyResultSpec, KpiSpec, ObjectiveSpec
from ledger.demo._story import read

__all__ = ["CLOSING_WEEK", "KEY_RESULTS", "KPIS", "OBJECTIVES", "plan_goals"]

CLOSING_WEEK = 12
OBJECTIVES = read("goals.toml", "objective", ObjectiveSpec)
KEY_RESULTS = read("goals.toml", "key_result", KeyResultSpec)
KPIS = read("goals.toml", "kpi", KpiSpec)


def plan_goals(plan: Plan) -> None:
    for n, objective in enumerate(OBJECTIVES):
        _objective(plan, n, objective)
    for n, kr in enumerate(KEY_RESULTS):
        _key_result(plan, n, kr)
    for n, kpi in enumerate(KPIS):
        _kpi(plan, n, kpi)


def _objective(plan: Plan, n: int, spec: ObjectiveSpec) -> None:
    o = Thread(plan, "objective", spec.slug, objective_id(spec.slug), spec.owner)
    parent = objective_id(spec.parent) if spec.parent else None
    o.begin(Week(0, 0, 9, 5 * n), "objective set", "set_objective", spec, period=plan.quarter.label,
            parent_id=parent)  # fmt: skip
    _weigh(o, spec.weight)
    o.then(
        Week(CLOSING_WEEK, 1, 10, 5 * n), "score", "objective scored", "score_objective", spec=spec
    )


def _weigh(t: Thread, weight: tuple[int, str, str] | None) -> None:
    """Its weight in the roll-up above it, when the story gives one (docs/metrics.md §1)."""
    if weight is not None:
        week, value, reason = weight
        t.then(Week(week, 1, 9), "weight", f"{t.kind} weighed", f"weigh_{t.kind}", weight=value,
               reason=reason)  # fmt: skip


def _key_result(plan: Plan, n: int, kr: KeyResultSpec) -> None:
    k = Thread(plan, "kr", kr.slug, key_result_id(kr.slug), kr.owner)
    k.begin(Week(0, 0, 10, 3 * n), "key result added", "add_key_result", kr,
            objective_id=objective_id(kr.objective))  # fmt: skip
    lead = LEADS[next(o.team for o in OBJECTIVES if o.slug == kr.objective)]
    # its weight is keyed demo/key_result/<slug>/weight, as the demo always keyed it (a key
    # never changes: a rerun finds what the first run made), and given by the team's lead
    _weigh(Thread(plan, "key_result", kr.slug, k.target, lead), kr.weight)
    for i, (value, confidence) in enumerate(zip(kr.values, kr.confidence, strict=True)):
        week = i * kr.every
        recorded = Week(week + 1, 0, 9, 3 * n) if week in kr.late else Week(week, 4, 15, 3 * n)
        k.then(recorded, _check_in_part(week), "check-in", "check_in", value=value,
               confidence=confidence, as_of=plan.quarter.at(Week(week, 4, 14)),
               note=kr.notes.get(week, ""), blockers=kr.blockers.get(week, ()))  # fmt: skip
    if kr.correction:
        week, value, confidence, reason = kr.correction
        check_in = sub_id(k.target, k.key(_check_in_part(week)))
        k.then(Week(week + 1, 0, 11), "correction", "check-in corrected", "correct_check_in",
               check_in_id=check_in, value=value, confidence=confidence, reason=reason)  # fmt: skip
    if kr.retarget:
        week, target, why = kr.retarget
        cites = action_item_id(*kr.retarget_cites) if kr.retarget_cites else None
        k.then(Week(week, 0, 11), "retarget", "retargeted", "retarget", target=target, reason=why,
               cites=cites)  # fmt: skip
    if kr.dropped:
        week, reason = kr.dropped
        k.then(Week(week, 3, 11), "drop", "key result dropped", "drop_key_result", reason=reason)
    else:
        k.then(Week(CLOSING_WEEK, 0, 10, 3 * n), "close", "key result closed", "close_key_result",
               spec=kr)  # fmt: skip


def _check_in_part(week: int) -> str:
    return f"check-in/w{week:02d}"


def _kpi(plan: Plan, n: int, kpi: KpiSpec) -> None:
    k = Thread(plan, "kpi", kpi.slug, kpi_id(kpi.slug), kpi.owner)
    k.begin(Week(0, 1, 9, 5 * n), "kpi defined", "define_kpi", kpi)
    for week, value in zip(kpi.weeks, kpi.values, strict=True):
        k.then(Week(week, 1, 10, 5 * n), f"measure/w{week:02d}", "kpi measured", "measure_kpi",
               value=value, as_of=plan.quarter.at(Week(week, 1, 0)))  # fmt: skip
    if kpi.new_next_step:
        week, step = kpi.new_next_step
        k.then(Week(week, 1, 11), "next-step", "kpi next step", "set_kpi_next_step", next_step=step)

"""Plan the goals of the story: objectives, key results with their check-ins, and KPIs."""

from __future__ import annotations

from uuid import UUID

from ledger.demo._cast import LEADS
from ledger.demo._ids import action_item_id, key_result_id, kpi_id, objective_id
from ledger.demo._plan import Plan, Week, command, demo_key, from_spec, sub_id
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
    set_it = from_spec(
        "set_objective",
        spec,
        actor=spec.owner,
        period=plan.quarter.label,
        parent_id=objective_id(spec.parent) if spec.parent else None,
    )
    score = from_spec("score_objective", spec, objective_id(spec.slug), actor=spec.owner)
    plan.add(Week(0, 0, 9, 5 * n), demo_key("objective", spec.slug), "objective set", set_it)
    _weigh(plan, "objective", spec.slug, objective_id(spec.slug), spec.owner, spec.weight)
    plan.add(
        Week(CLOSING_WEEK, 1, 10, 5 * n),
        demo_key("objective", spec.slug, "score"),
        "objective scored",
        score,
    )


def _weigh(  # noqa: PLR0917
    plan: Plan, kind: str, slug: str, target: UUID, actor: str, weight: tuple[int, str, str] | None
) -> None:
    """Its weight in the roll-up above it, when the story gives one (docs/metrics.md §1)."""
    if weight is None:
        return
    week, value, reason = weight
    weigh = command(f"weigh_{kind}", target, actor=actor, weight=value, reason=reason)
    plan.add(Week(week, 1, 9), demo_key(kind, slug, "weight"), f"{kind} weighed", weigh)


def _key_result(plan: Plan, n: int, kr: KeyResultSpec) -> None:
    kr_id = key_result_id(kr.slug)
    add = from_spec("add_key_result", kr, actor=kr.owner, objective_id=objective_id(kr.objective))
    plan.add(Week(0, 0, 10, 3 * n), demo_key("kr", kr.slug), "key result added", add)
    lead = LEADS[next(o.team for o in OBJECTIVES if o.slug == kr.objective)]
    _weigh(plan, "key_result", kr.slug, kr_id, lead, kr.weight)
    for i, (value, confidence) in enumerate(zip(kr.values, kr.confidence, strict=True)):
        _check_in(plan, n, kr, week=i * kr.every, value=value, confidence=confidence)
    if kr.correction:
        week, value, confidence, reason = kr.correction
        correct = command(
            "correct_check_in",
            kr_id,
            actor=kr.owner,
            check_in_id=sub_id(kr_id, _check_in_key(kr, week)),
            value=value,
            confidence=confidence,
            reason=reason,
        )
        when = Week(week + 1, 0, 11)
        plan.add(when, demo_key("kr", kr.slug, "correction"), "check-in corrected", correct)
    if kr.retarget:
        week, target, why = kr.retarget
        cites = action_item_id(*kr.retarget_cites) if kr.retarget_cites else None
        retarget = command(
            "retarget", kr_id, actor=kr.owner, target=target, reason=why, cites=cites
        )
        plan.add(Week(week, 0, 11), demo_key("kr", kr.slug, "retarget"), "retargeted", retarget)
    if kr.dropped:
        week, reason = kr.dropped
        drop = command("drop_key_result", kr_id, actor=kr.owner, reason=reason)
        plan.add(Week(week, 3, 11), demo_key("kr", kr.slug, "drop"), "key result dropped", drop)
        return
    close = from_spec("close_key_result", kr, kr_id, actor=kr.owner)
    when = Week(CLOSING_WEEK, 0, 10, 3 * n)
    plan.add(when, demo_key("kr", kr.slug, "close"), "key result closed", close)


def _check_in_key(kr: KeyResultSpec, week: int) -> str:
    return demo_key("kr", kr.slug, "check-in", f"w{week:02d}")


def _check_in(
    plan: Plan, n: int, kr: KeyResultSpec, *, week: int, value: str, confidence: int
) -> None:
    check_in = command(
        "check_in",
        key_result_id(kr.slug),
        actor=kr.owner,
        value=value,
        confidence=confidence,
        as_of=plan.quarter.at(Week(week, 4, 14)),
        note=kr.notes.get(week, ""),
        blockers=kr.blockers.get(week, ()),
    )
    recorded = Week(week + 1, 0, 9, 3 * n) if week in kr.late else Week(week, 4, 15, 3 * n)
    plan.add(recorded, _check_in_key(kr, week), "check-in", check_in)


def _kpi(plan: Plan, n: int, kpi: KpiSpec) -> None:
    the_kpi = kpi_id(kpi.slug)
    define = from_spec("define_kpi", kpi, actor=kpi.owner)
    plan.add(Week(0, 1, 9, 5 * n), demo_key("kpi", kpi.slug), "kpi defined", define)
    for week, value in zip(kpi.weeks, kpi.values, strict=True):
        measure = command(
            "measure_kpi",
            the_kpi,
            actor=kpi.owner,
            value=value,
            as_of=plan.quarter.at(Week(week, 1, 0)),
        )
        key = demo_key("kpi", kpi.slug, "measure", f"w{week:02d}")
        plan.add(Week(week, 1, 10, 5 * n), key, "kpi measured", measure)
    if kpi.new_next_step:
        week, step = kpi.new_next_step
        next_step = command("set_kpi_next_step", the_kpi, actor=kpi.owner, next_step=step)
        key = demo_key("kpi", kpi.slug, "next-step")
        plan.add(Week(week, 1, 11), key, "kpi next step", next_step)

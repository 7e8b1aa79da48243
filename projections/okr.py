"""OKR progress per team and period (docs/metrics.md §1)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from projections._numbers import mean, r2, r4
from projections._okr_math import Measure, attainment, elapsed, expected, progress
from projections._query import as_decimal, columns, evaluated_at, rows_in, since, stamp, track
from projections._sql import Row
from projections.views import KoersViews

__all__ = [
    "AlignmentNode",
    "CheckInPoint",
    "KeyResultProgress",
    "ObjectiveProgress",
    "OkrProgress",
    "OrgAlignment",
    "TargetChange",
    "every_objective",
    "okr_progress",
    "org_alignment",
]


@dataclass(frozen=True)
class CheckInPoint:
    check_in_id: str
    as_of: str
    recorded_at: str
    value: str
    confidence: int
    progress: str  # against the current (amended) target
    corrected: bool


@dataclass(frozen=True)
class TargetChange:
    changed_at: str
    target: str
    reason: str


@dataclass(frozen=True)
class KeyResultProgress:
    key_result_id: str
    objective_id: str
    title: str
    owner: str
    metric: str
    unit: str
    status: str  # open / closed / dropped
    start: str
    original_target: str
    target: str
    current: str | None
    progress: str
    expected: str
    track: str | None  # on_track / at_risk / off_track; None when dropped
    attainment_original: str | None
    attainment_amended: str | None
    confidence: int | None
    confidence_change: int | None
    confidence_trend: str | None  # up / down / flat
    last_check_in: str | None
    days_since_check_in: str
    cadence_days: int
    stale: bool
    score: str | None
    history: list[CheckInPoint]
    targets: list[TargetChange]
    weight: str = "1"  # in its objective's roll-up (docs/metrics.md §1)


@dataclass(frozen=True)
class ObjectiveProgress:
    objective_id: str
    title: str
    team: str
    period: str
    owner: str
    status: str
    score: str | None
    parent_id: str | None
    progress: str  # rolled up: its key results and its children (docs/metrics.md §1)
    expected: str
    track: str | None
    own_progress: str  # its key results alone
    children_counted: int  # child objectives in the roll-up (dropped ones are left out)
    attainment_original: str | None
    attainment_amended: str | None
    key_results: list[KeyResultProgress]
    weight: str = "1"  # in its parent's roll-up (docs/metrics.md §1)


@dataclass(frozen=True)
class AlignmentNode:
    objective_id: str
    title: str
    team: str
    period: str
    status: str
    progress: str
    track: str | None
    children: list[AlignmentNode]
    weight: str = "1"  # in its parent's roll-up


@dataclass(frozen=True)
class OrgAlignment:
    period: str
    at: str
    position: int
    trees: list[AlignmentNode]


@dataclass(frozen=True)
class OkrProgress:
    team: str
    period: str
    at: str
    position: int
    elapsed: str
    objectives: list[ObjectiveProgress]
    alignment: list[AlignmentNode]


def okr_progress(
    views: KoersViews, team: str, period: str, at: datetime | None = None
) -> OkrProgress:
    """Every objective of ``team`` in ``period`` with its key results, evaluated at ``at``,
    and the alignment trees those objectives belong to (across teams)."""
    moment = evaluated_at(views, at)
    objectives = {r["objective_id"]: r for r in views.rows("SELECT * FROM objectives")}
    mine = sorted(
        (o for o in objectives.values() if o["team"] == team and o["period"] == period),
        key=lambda o: int(o["position"]),
    )
    related = _component(objectives, [o["objective_id"] for o in mine])
    computed = _objectives(views, [objectives[i] for i in related], moment)
    return OkrProgress(
        team=team,
        period=period,
        at=stamp(moment),
        position=views.position,
        elapsed=r4(elapsed(period, moment)),
        objectives=[computed[o["objective_id"]] for o in mine],
        alignment=_trees(objectives, computed, related),
    )


def every_objective(views: KoersViews, at: datetime | None = None) -> list[ObjectiveProgress]:
    """Every objective of every team and period, rolled up, in the order they were set (the
    exports' ``objective_progress`` table)."""
    rows = sorted(views.rows("SELECT * FROM objectives"), key=lambda o: int(o["position"]))
    computed = _objectives(views, rows, evaluated_at(views, at))
    return [computed[r["objective_id"]] for r in rows]


def org_alignment(views: KoersViews, period: str, at: datetime | None = None) -> OrgAlignment:
    """Every alignment tree from the company down: the objectives of ``period`` that have no
    parent, each with all its descendants (whatever their team or period), rolled up."""
    moment = evaluated_at(views, at)
    objectives = {r["objective_id"]: r for r in views.rows("SELECT * FROM objectives")}
    tops = sorted(
        (o for o in objectives.values()
         if o["period"] == period and o["parent_id"] not in objectives),
        key=lambda o: int(o["position"]),
    )  # fmt: skip
    related = _component(objectives, [o["objective_id"] for o in tops])
    computed = _objectives(views, [objectives[i] for i in related], moment)
    return OrgAlignment(
        period=period,
        at=stamp(moment),
        position=views.position,
        trees=_trees(objectives, computed, related),
    )


def _component(objectives: dict[str, Row], ids: list[str]) -> list[str]:
    """The objectives aligned with ``ids``: their ancestors' whole trees, in set order."""
    children: dict[str | None, list[str]] = defaultdict(list)
    for row in sorted(objectives.values(), key=lambda o: int(o["position"])):
        children[row["parent_id"]].append(row["objective_id"])
    roots: list[str] = []
    for objective_id in ids:
        node, seen = objective_id, {objective_id}
        while (parent := objectives[node]["parent_id"]) in objectives and parent not in seen:
            node = parent
            seen.add(node)
        if node not in roots:
            roots.append(node)
    out: list[str] = []
    stack = list(reversed(roots))
    while stack:
        node = stack.pop()
        if node not in out:
            out.append(node)
            stack.extend(reversed(children[node]))
    return out


def _trees(
    objectives: dict[str, Row], computed: dict[str, ObjectiveProgress], ids: list[str]
) -> list[AlignmentNode]:
    def node(objective_id: str) -> AlignmentNode:
        o = computed[objective_id]
        kids = [i for i in ids if objectives[i]["parent_id"] == objective_id]
        return AlignmentNode(
            o.objective_id, o.title, o.team, o.period, o.status, o.progress, o.track,
            [node(k) for k in kids], o.weight,
        )  # fmt: skip

    roots = [i for i in ids if objectives[i]["parent_id"] not in ids]
    return [node(r) for r in roots]


def _group(rows: list[Row], key: str) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        out[row[key]].append(row)
    return out


def _objectives(views: KoersViews, rows: list[Row], at: datetime) -> dict[str, ObjectiveProgress]:
    ids = [r["objective_id"] for r in rows]
    krs = _group(rows_in(views, "key_results", "objective_id", ids), "objective_id")
    kr_ids = [k["kr_id"] for group in krs.values() for k in group]
    check_ins = _group(rows_in(views, "kr_check_ins", "kr_id", kr_ids), "kr_id")
    targets = _group(rows_in(views, "kr_targets", "kr_id", kr_ids), "kr_id")
    weights = _weights(views, ids + kr_ids)
    wanted = set(ids)
    children: dict[str, list[str]] = defaultdict(list)
    for row in sorted(rows, key=lambda o: int(o["position"])):
        if row["parent_id"] in wanted:
            children[row["parent_id"]].append(row["objective_id"])
    by_id = {r["objective_id"]: r for r in rows}
    out: dict[str, ObjectiveProgress] = {}

    def roll_up(objective_id: str, seen: frozenset[str]) -> ObjectiveProgress:
        """The objective with its children rolled up first (a cycle is cut where it closes)."""
        if objective_id in out:
            return out[objective_id]
        row = by_id[objective_id]
        kids = [roll_up(c, seen | {objective_id}) for c in children[objective_id] if c not in seen]
        results = [
            _key_result(
                k, check_ins[k["kr_id"]], targets[k["kr_id"]], row["period"], at, weights=weights
            )
            for k in krs[objective_id]
        ]
        out[objective_id] = _objective(row, results, kids, elapsed(row["period"], at), weights)
        return out[objective_id]

    for objective_id in ids:
        roll_up(objective_id, frozenset())
    return out


def _weights(views: KoersViews, ids: list[str]) -> dict[str, Decimal]:
    """The weight each objective or key result has in the roll-up above it: its latest
    ``roll_up_weights`` row; an item never weighed is absent (it weighs 1)."""
    latest: dict[str, Row] = {}
    for row in rows_in(views, "roll_up_weights", "item_id", ids):
        kept = latest.get(row["item_id"])
        if kept is None or int(row["position"]) > int(kept["position"]):
            latest[row["item_id"]] = row
    return {item: as_decimal(row["weight"]) for item, row in latest.items()}


def _weighted(parts: list[tuple[Decimal, Decimal]]) -> Decimal | None:
    """The weighted mean of (value, weight) pairs; None without any."""
    total = sum((w for _, w in parts), Decimal(0))
    return sum((v * w for v, w in parts), Decimal(0)) / total if parts and total else None


def _child_part(child: ObjectiveProgress) -> tuple[Decimal, Decimal, Decimal]:
    """What a child objective adds to its parent's roll-up: (progress, expected, weight). A
    closed child counts with its score when it was given one (the final word on it)."""
    done = as_decimal(child.score if child.score is not None else child.progress)
    return done, as_decimal(child.expected), as_decimal(child.weight)


def _objective(
    row: Row,
    krs: list[KeyResultProgress],
    kids: list[ObjectiveProgress],
    elapsed_: Decimal,
    weights: dict[str, Decimal],
) -> ObjectiveProgress:
    """docs/metrics.md §1: a weighted mean (each weighs 1 unless weighed) over the key results
    that are not dropped and the child objectives that are not dropped."""
    counted = [k for k in krs if k.status != "dropped"]
    own = _weighted([(as_decimal(k.progress), as_decimal(k.weight)) for k in counted])
    parts = [
        (as_decimal(k.progress), as_decimal(k.expected), as_decimal(k.weight)) for k in counted
    ]
    children = [c for c in kids if c.status != "dropped"]
    parts += [_child_part(c) for c in children]
    done = _weighted([(p, w) for p, _, w in parts])
    due = _weighted([(e, w) for _, e, w in parts])
    if done is None or due is None:  # nothing counts: nothing done, time still runs
        done, due = Decimal(0), elapsed_

    def mean_of(values: list[str | None]) -> str | None:
        return r4(mean(as_decimal(v) for v in values if v is not None))

    return ObjectiveProgress(
        **columns(row, "objective_id", "title", "team", "period", "owner", "status", "score"),
        parent_id=row["parent_id"],
        progress=r4(done),
        expected=r4(due),
        track=None if row["status"] == "dropped" else track(due, done),
        own_progress=r4(own if own is not None else Decimal(0)),
        children_counted=len(children),
        attainment_original=mean_of([k.attainment_original for k in counted]),
        attainment_amended=mean_of([k.attainment_amended for k in counted]),
        key_results=krs,
        weight=_weight_of(weights, row["objective_id"]),
    )


def _weight_of(weights: dict[str, Decimal], item_id: str) -> str:
    weight = weights.get(item_id)
    return "1" if weight is None else format(weight.normalize(), "f")


def _key_result(
    row: Row,
    check_ins: list[Row],
    targets: list[Row],
    period: str,
    at: datetime,
    *,
    weights: dict[str, Decimal],
) -> KeyResultProgress:
    target, original = as_decimal(row["target"]), as_decimal(row["original_target"])
    m = Measure(row["metric"], as_decimal(row["start_value"]), target)
    points = sorted(check_ins, key=lambda c: (c["as_of"], int(c["position"])))
    latest = points[-1] if points else None
    value = as_decimal(latest["value"]) if latest else None
    done, due = progress(m, value), expected(m.metric, period, at)
    change = _change(points)
    days = since(latest["as_of"] if latest else row["added_at"], at)
    return KeyResultProgress(
        **columns(row, "objective_id", "title", "owner", "unit", "status", "original_target"),
        key_result_id=row["kr_id"],
        metric=m.metric,
        start=row["start_value"],
        target=row["target"],
        current=None if latest is None else latest["value"],
        progress=r4(done),
        expected=r4(due),
        track=None if row["status"] == "dropped" else track(due, done),
        attainment_original=r4(attainment(m, original, value)),
        attainment_amended=r4(attainment(m, target, value)),
        confidence=None if latest is None else int(latest["confidence"]),
        confidence_change=change,
        confidence_trend=None if change is None else _trend(change),
        last_check_in=None if latest is None else latest["as_of"],
        days_since_check_in=r2(days),
        cadence_days=int(row["cadence_days"]),
        stale=row["status"] == "open" and days > int(row["cadence_days"]),
        score=row["close_score"],
        history=[_point(m, c) for c in points],
        targets=[
            TargetChange(t["changed_at"], t["target"], t["reason"])
            for t in sorted(targets, key=lambda t: int(t["position"]))
        ],
        weight=_weight_of(weights, row["kr_id"]),
    )


def _change(points: list[Row]) -> int | None:
    if len(points) < 2:
        return None
    return int(points[-1]["confidence"]) - int(points[-2]["confidence"])


def _trend(change: int) -> str:
    return "up" if change > 0 else "down" if change < 0 else "flat"


def _point(m: Measure, c: Row) -> CheckInPoint:
    value: Any = as_decimal(c["value"])
    return CheckInPoint(
        check_in_id=c["check_in_id"],
        as_of=c["as_of"],
        recorded_at=c["recorded_at"],
        value=c["value"],
        confidence=int(c["confidence"]),
        progress=r4(progress(m, value)),
        corrected=c["corrected_at"] is not None,
    )

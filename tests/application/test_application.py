"""The ``Koers`` application against a real nats-server: every command's effect, every rule's
refusal (the error, a message that says what is wrong, and nothing stored), and the reads.

The domain clock is pinned at ``T0`` for every test, so recorded times are exact.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from ledger.application import Koers, Receipt
from ledger.domain import (
    ActionState,
    CheckInStatus,
    Criterion,
    Decision,
    DecisionStatus,
    Delegation,
    DelegationLevel,
    DelegationStatus,
    Direction,
    ItemKind,
    KeyResult,
    KoersAggregate,
    Kpi,
    KpiKind,
    Link,
    LinkKind,
    MetricKind,
    Objective,
    Option,
    Prompt,
    PromptState,
    Retro,
    Reversibility,
    Risk,
    Status,
)
from ledger.errors import (
    ConcurrencyConflict,
    DomainError,
    InvalidValue,
    KoersError,
    NotAllowed,
    NotFound,
)
from tests.application.conftest import Step
from tests.conftest import fresh_env
from tests.factories import (
    ANN,
    BOB,
    CEM,
    T0,
    TODAY,
    action_item,
    check_in,
    decide,
    decision,
    delegation,
    key_result,
    koers,
    kpi,
    new_action_item,
    new_check_in,
    new_decided_decision,
    new_decision,
    new_delegation,
    new_delegation_check_in,
    new_key_result,
    new_kpi,
    new_objective,
    new_prompt,
    new_retro,
    objective,
    prompt,
    retro,
    review,
)

pytestmark = pytest.mark.usefixtures("clock")


# -- helpers -----------------------------------------------------------------------------------


def recorded(
    app: Koers, aggregate_id: UUID, event: type[Any], actor: str, at: datetime = T0
) -> Any:
    """The aggregate's last event, checked to be an ``event`` by ``actor`` recorded ``at``."""
    last = app.event_history(aggregate_id)[-1]
    assert type(last) is event, f"last event is {type(last).__qualname__}"
    assert last.actor == actor
    assert last.timestamp == at
    return last


def assert_receipt(app: Koers, receipt: Receipt, aggregate_id: UUID, version: int) -> None:
    assert receipt.id == aggregate_id
    assert receipt.version == version
    assert receipt.replayed is False
    assert receipt.position == app.recorder.max_notification_id()


def refused(
    app: Koers,
    error: type[Exception],
    words: tuple[str, ...],
    command: Callable[[], object],
    *,
    of: tuple[type[KoersAggregate], UUID] | None = None,
) -> Any:
    """Run ``command``, expecting ``error`` whose message holds every one of ``words``;
    check that nothing was stored (the stream and the aggregate's version are unchanged)."""
    last_position = app.recorder.max_notification_id()
    version = app.load(of[0], of[1]).version if of else None
    with pytest.raises(error) as info:
        command()
    message = str(info.value).lower()
    missing = [w for w in words if w.lower() not in message]
    assert not missing, f"{missing} not in the message {str(info.value)!r}"
    assert app.recorder.max_notification_id() == last_position, "the refused command stored"
    if of:
        assert app.load(of[0], of[1]).version == version
    return info.value


# ===============================================================================================
# Commands: their effect
# ===============================================================================================

# -- objectives ------------------------------------------------------------------------------


def test_set_objective_records_who_set_what_and_when(koers_app: Koers) -> None:
    receipt = koers_app.set_objective(actor=ANN, **objective(title="  Ship the ledger  "))

    assert_receipt(koers_app, receipt, receipt.id, 1)
    o = koers_app.load(Objective, receipt.id)
    assert (o.team, o.title, o.period, o.owner) == ("platform", "Ship the ledger", "2026-Q1", ANN)
    assert o.why.startswith("we forget")
    assert (o.parent_id, o.status, o.score, o.learnings) == (None, Status.OPEN, None, "")
    event = recorded(koers_app, receipt.id, Objective.Set, ANN)
    assert event.title == "Ship the ledger"


def test_set_objective_aligned_to_a_parent(koers_app: Koers) -> None:
    parent = new_objective(koers_app, title="Company: every decision on the record")
    child = koers_app.set_objective(actor=BOB, **objective(parent_id=parent, owner=BOB)).id
    assert koers_app.load(Objective, child).parent_id == parent
    recorded(koers_app, child, Objective.Set, BOB)


def test_realign_objective(koers_app: Koers, clock: Step) -> None:
    first, second = new_objective(koers_app), new_objective(koers_app)
    child = new_objective(koers_app, parent_id=first)
    at = clock(timedelta(hours=1))

    receipt = koers_app.realign_objective(
        child, actor=ANN, parent_id=second, reason="the company goal was split"
    )

    assert_receipt(koers_app, receipt, child, 2)
    assert koers_app.load(Objective, child).parent_id == second
    event = recorded(koers_app, child, Objective.Realigned, ANN, at)
    assert event.reason == "the company goal was split"

    koers_app.realign_objective(child, actor=ANN, parent_id=None, reason="stands alone now")
    assert koers_app.load(Objective, child).parent_id is None


def test_score_objective(koers_app: Koers) -> None:
    o = new_objective(koers_app)
    receipt = koers_app.score_objective(o, actor=ANN, score="0.7", learnings="start earlier")
    assert_receipt(koers_app, receipt, o, 2)
    state = koers_app.load(Objective, o)
    assert (state.status, state.score, state.learnings) == (
        Status.CLOSED,
        Decimal("0.7"),
        "start earlier",
    )
    recorded(koers_app, o, Objective.Scored, ANN)


def test_drop_objective(koers_app: Koers) -> None:
    o = new_objective(koers_app)
    receipt = koers_app.drop_objective(o, actor=BOB, reason="merged into another objective")
    assert_receipt(koers_app, receipt, o, 2)
    assert koers_app.load(Objective, o).status is Status.DROPPED
    assert recorded(koers_app, o, Objective.Dropped, BOB).reason.startswith("merged")


# -- key results -----------------------------------------------------------------------------


def test_add_key_result(koers_app: Koers) -> None:
    o = new_objective(koers_app)
    receipt = koers_app.add_key_result(actor=ANN, objective_id=o, **key_result())
    assert_receipt(koers_app, receipt, receipt.id, 1)
    kr = koers_app.load(KeyResult, receipt.id)
    assert kr.objective_id == o
    assert (kr.metric, kr.start, kr.target, kr.original_target) == (
        MetricKind.INCREASE,
        Decimal("10"),
        Decimal("40"),
        Decimal("40"),
    )
    assert (kr.unit, kr.owner, kr.cadence_days, kr.status) == ("teams", BOB, 7, Status.OPEN)
    assert kr.check_ins == {}
    assert kr.latest is None
    recorded(koers_app, receipt.id, KeyResult.Added, ANN)


@pytest.mark.parametrize(
    ("metric", "start", "target"),
    [
        ("decrease", "40", "10"),
        ("keep_above", "90", "95"),
        ("keep_below", "5", "3"),
        ("milestone", "0", "1"),
    ],
)
def test_add_key_result_of_every_metric_kind(
    koers_app: Koers, metric: str, start: str, target: str
) -> None:
    kr = new_key_result(koers_app, metric=metric, start=start, target=target)
    assert koers_app.load(KeyResult, kr).metric is MetricKind(metric)


def test_check_in_is_bi_temporal(koers_app: Koers, clock: Step) -> None:
    kr = new_key_result(koers_app)
    as_of = T0 - timedelta(days=2)
    recorded_at = clock(timedelta(hours=3))

    receipt = koers_app.check_in(
        kr, actor=BOB, **check_in(value="14", confidence=6, as_of=as_of, blockers=(" SSO ", ""))
    )

    assert_receipt(koers_app, receipt, kr, 2)
    event = recorded(koers_app, kr, KeyResult.CheckedIn, BOB, recorded_at)
    assert event.as_of == as_of  # the moment the value describes ...
    assert event.timestamp == recorded_at  # ... and the moment it was recorded
    assert event.blockers == ("SSO",)
    state = koers_app.load(KeyResult, kr)
    assert state.check_ins[event.check_in_id] == {
        "value": Decimal("14"),
        "confidence": 6,
        "as_of": as_of,
        "note": "two new teams onboarded",
        "blockers": ("SSO",),
        "corrected": False,
    }


def test_latest_check_in_is_the_latest_as_of_not_the_latest_recorded(koers_app: Koers) -> None:
    kr = new_key_result(koers_app)
    new_check_in(koers_app, kr, value="20", as_of=T0 - timedelta(days=1))
    new_check_in(koers_app, kr, value="15", as_of=T0 - timedelta(days=8))  # a late entry
    latest = koers_app.load(KeyResult, kr).latest
    assert latest is not None
    assert latest["value"] == Decimal("20")


def test_a_check_in_correction_is_a_new_event_and_history_is_never_edited(
    koers_app: Koers, clock: Step
) -> None:
    kr = new_key_result(koers_app)
    ci = new_check_in(koers_app, kr, value="12", confidence=7)
    at = clock(timedelta(days=1))

    receipt = koers_app.correct_check_in(
        kr, actor=BOB, check_in_id=ci, value="11", confidence=5, reason="counted a test team"
    )

    assert_receipt(koers_app, receipt, kr, 3)
    history = koers_app.event_history(kr)
    assert [type(e) for e in history] == [
        KeyResult.Added,
        KeyResult.CheckedIn,
        KeyResult.CheckInCorrected,
    ]
    original = history[1]
    assert (original.check_in_id, original.value, original.confidence) == (ci, Decimal("12"), 7)
    assert original.timestamp == T0
    correction = recorded(koers_app, kr, KeyResult.CheckInCorrected, BOB, at)
    assert (correction.check_in_id, correction.value, correction.reason) == (
        ci,
        Decimal("11"),
        "counted a test team",
    )
    entry = koers_app.load(KeyResult, kr).check_ins[ci]
    assert (entry["value"], entry["confidence"], entry["corrected"]) == (Decimal("11"), 5, True)
    # what we knew before the correction is still there to read
    before = koers_app.load(KeyResult, kr, version=2).check_ins[ci]
    assert (before["value"], before["corrected"]) == (Decimal("12"), False)


def test_retarget_keeps_the_original_target_and_the_reason(koers_app: Koers) -> None:
    kr = new_key_result(koers_app)
    assert koers_app.retarget(kr, actor=ANN, target="30", reason="two teams left").version == 2
    receipt = koers_app.retarget(kr, actor=ANN, target="35", reason="one team came back")
    assert_receipt(koers_app, receipt, kr, 3)
    state = koers_app.load(KeyResult, kr)
    assert (state.target, state.original_target) == (Decimal("35"), Decimal("40"))
    reasons = [e.reason for e in koers_app.event_history(kr) if type(e) is KeyResult.Retargeted]
    assert reasons == ["two teams left", "one team came back"]
    recorded(koers_app, kr, KeyResult.Retargeted, ANN)


def test_drop_key_result(koers_app: Koers) -> None:
    kr = new_key_result(koers_app)
    receipt = koers_app.drop_key_result(kr, actor=ANN, reason="the product was cancelled")
    assert_receipt(koers_app, receipt, kr, 2)
    assert koers_app.load(KeyResult, kr).status is Status.DROPPED
    recorded(koers_app, kr, KeyResult.Dropped, ANN)


def test_close_key_result(koers_app: Koers) -> None:
    kr = new_key_result(koers_app)
    receipt = koers_app.close_key_result(kr, actor=ANN, score="0.6", learnings=" slow start ")
    assert_receipt(koers_app, receipt, kr, 2)
    assert koers_app.load(KeyResult, kr).status is Status.CLOSED
    event = recorded(koers_app, kr, KeyResult.Closed, ANN)
    assert (event.score, event.learnings) == (Decimal("0.6"), "slow start")


# -- KPIs ------------------------------------------------------------------------------------


def test_define_kpi(koers_app: Koers) -> None:
    receipt = koers_app.define_kpi(actor=ANN, **kpi())
    assert_receipt(koers_app, receipt, receipt.id, 1)
    k = koers_app.load(Kpi, receipt.id)
    assert (k.team, k.name, k.owner, k.target, k.unit) == (
        "platform",
        "Lead time for changes",
        ANN,
        Decimal("2"),
        "days",
    )
    assert (k.direction, k.kind, k.next_step) == (
        Direction.LOWER_IS_BETTER,
        KpiKind.LEADING,
        "split the release train",
    )
    assert (k.retired, k.measurements) == (False, [])
    recorded(koers_app, receipt.id, Kpi.Defined, ANN)


def test_measure_kpi(koers_app: Koers) -> None:
    k = new_kpi(koers_app)
    as_of = T0 - timedelta(days=1)
    receipt = koers_app.measure_kpi(k, actor=BOB, value="3.5", as_of=as_of, note="after freeze")
    assert_receipt(koers_app, receipt, k, 2)
    assert koers_app.load(Kpi, k).measurements == [(as_of, Decimal("3.5"))]
    assert recorded(koers_app, k, Kpi.Measured, BOB).note == "after freeze"


def test_set_kpi_next_step(koers_app: Koers) -> None:
    k = new_kpi(koers_app)
    receipt = koers_app.set_kpi_next_step(k, actor=ANN, next_step="automate release notes")
    assert_receipt(koers_app, receipt, k, 2)
    assert koers_app.load(Kpi, k).next_step == "automate release notes"
    recorded(koers_app, k, Kpi.NextStepSet, ANN)


def test_retire_kpi(koers_app: Koers) -> None:
    k = new_kpi(koers_app)
    receipt = koers_app.retire_kpi(k, actor=ANN, reason="replaced by deployment frequency")
    assert_receipt(koers_app, receipt, k, 2)
    assert koers_app.load(Kpi, k).retired is True
    recorded(koers_app, k, Kpi.Retired, ANN)


# -- decisions -------------------------------------------------------------------------------


def test_open_decision_with_options_criteria_and_risk(koers_app: Koers) -> None:
    receipt = koers_app.open_decision(actor=ANN, **decision())
    assert_receipt(koers_app, receipt, receipt.id, 1)
    d = koers_app.load(Decision, receipt.id)
    assert [o.key for o in d.options] == ["build", "buy"]
    assert d.criteria == (Criterion("cost", Decimal("0.6")), Criterion("speed", Decimal("0.4")))
    assert d.risk == Risk(2, 4)
    assert (d.reversibility, d.cost_to_reverse) == (
        Reversibility.ONE_WAY,
        "a quarter of migration work",
    )
    assert (d.information_level, d.decider, d.consulted, d.informed) == (80, ANN, (BOB,), (CEM,))
    assert d.decide_by == TODAY + timedelta(days=14)
    assert (d.status, d.chosen, d.confidence, d.decided_on, d.review_on, d.links) == (
        DecisionStatus.OPEN,
        None,
        None,
        None,
        None,
        [],
    )
    recorded(koers_app, receipt.id, Decision.Opened, ANN)


def test_add_option(koers_app: Koers) -> None:
    d = new_decision(koers_app)
    option = Option("wait", "Wait a quarter", "revisit when the vendor answers")
    receipt = koers_app.add_option(d, actor=BOB, option=option)
    assert_receipt(koers_app, receipt, d, 2)
    assert koers_app.load(Decision, d).options[-1] == option
    assert recorded(koers_app, d, Decision.OptionAdded, BOB).option == option


def test_update_information(koers_app: Koers) -> None:
    d = new_decision(koers_app, information_level=40)
    receipt = koers_app.update_information(d, actor=ANN, information_level=75, note="vendor call")
    assert_receipt(koers_app, receipt, d, 2)
    assert koers_app.load(Decision, d).information_level == 75
    recorded(koers_app, d, Decision.InformationUpdated, ANN)


def test_decide(koers_app: Koers, clock: Step) -> None:
    d = new_decision(koers_app)
    at = clock(timedelta(days=3))
    receipt = koers_app.decide(d, actor=ANN, **decide(chosen="buy", confidence="0.65"))
    assert_receipt(koers_app, receipt, d, 2)
    state = koers_app.load(Decision, d)
    assert (state.status, state.chosen, state.confidence) == (
        DecisionStatus.DECIDED,
        "buy",
        Decimal("0.65"),
    )
    assert state.decided_on == at.date()
    assert state.review_on == TODAY + timedelta(days=90)
    event = recorded(koers_app, d, Decision.Made, ANN, at)
    assert event.information_level == 80  # what we knew when we decided, on the record


def test_decide_with_a_review_on_the_day_itself(koers_app: Koers) -> None:
    d = new_decision(koers_app)
    koers_app.decide(d, actor=ANN, **decide(review_on=TODAY, confidence=1))
    assert koers_app.load(Decision, d).review_on == TODAY


def test_review_decision_rates_outcome_and_process_apart(koers_app: Koers) -> None:
    d = new_decided_decision(koers_app)
    receipt = koers_app.review_decision(
        d, actor=ANN, **review(outcome_quality=2, process_quality=5)
    )
    assert_receipt(koers_app, receipt, d, 3)
    assert koers_app.load(Decision, d).status is DecisionStatus.REVIEWED
    event = recorded(koers_app, d, Decision.Reviewed, ANN)
    assert (event.outcome_quality, event.process_quality, event.as_expected) == (2, 5, False)


@pytest.mark.parametrize("reviewed", [False, True])
def test_reverse_decision(koers_app: Koers, reviewed: bool) -> None:
    d = new_decided_decision(koers_app)
    if reviewed:
        koers_app.review_decision(d, actor=ANN, **review())
    receipt = koers_app.reverse_decision(d, actor=ANN, reason="the vendor went bankrupt")
    assert receipt.version == (4 if reviewed else 3)
    assert koers_app.load(Decision, d).status is DecisionStatus.REVERSED
    recorded(koers_app, d, Decision.Reversed, ANN)
    history = [type(e) for e in koers_app.event_history(d)]
    assert Decision.Made in history  # the decision itself stays on the record


def test_supersede_decision(koers_app: Koers) -> None:
    old = new_decided_decision(koers_app)
    new = new_decision(koers_app, question="Which hosted store?")
    receipt = koers_app.supersede_decision(
        old, actor=ANN, by_decision_id=new, reason="we chose to buy after all"
    )
    assert_receipt(koers_app, receipt, old, 3)
    assert koers_app.load(Decision, old).status is DecisionStatus.SUPERSEDED
    assert recorded(koers_app, old, Decision.Superseded, ANN).by_decision_id == new


def test_link_decision_to_goals_delegations_and_action_items(koers_app: Koers) -> None:
    d = new_decision(koers_app)
    o = new_objective(koers_app)
    kr = new_key_result(koers_app, objective_id=o)
    dl = new_delegation(koers_app)
    r = new_retro(koers_app)
    item = new_action_item(koers_app, r)

    koers_app.link_decision(d, actor=ANN, kind="objective", target_id=o)
    koers_app.link_decision(d, actor=ANN, kind="key_result", target_id=kr)
    koers_app.link_decision(d, actor=ANN, kind="delegation", target_id=dl)
    receipt = koers_app.link_decision(d, actor=BOB, kind="action_item", target_id=r, item_id=item)

    assert_receipt(koers_app, receipt, d, 5)
    assert koers_app.load(Decision, d).links == [
        Link(LinkKind.OBJECTIVE, o),
        Link(LinkKind.KEY_RESULT, kr),
        Link(LinkKind.DELEGATION, dl),
        Link(LinkKind.ACTION_ITEM, r, item),
    ]
    recorded(koers_app, d, Decision.Linked, BOB)


# -- delegations -----------------------------------------------------------------------------


def test_delegate(koers_app: Koers) -> None:
    receipt = koers_app.delegate(actor=ANN, **delegation())
    assert_receipt(koers_app, receipt, receipt.id, 1)
    d = koers_app.load(Delegation, receipt.id)
    assert (d.delegator, d.owner, d.level, d.cadence_days) == (
        ANN,
        BOB,
        DelegationLevel.CONSULT,
        7,
    )
    assert (d.title, d.boundaries, d.due) == (
        "Run the quarterly planning",
        "no new hires",
        TODAY + timedelta(days=30),
    )
    assert (d.status, d.check_ins) == (DelegationStatus.ACTIVE, {})
    recorded(koers_app, receipt.id, Delegation.Delegated, ANN)


def test_delegate_without_a_delegator_makes_the_actor_the_delegator(koers_app: Koers) -> None:
    args = delegation()
    del args["delegator"]
    d = koers_app.delegate(actor=CEM, **args).id
    assert koers_app.load(Delegation, d).delegator == CEM


def test_delegation_check_in_comes_from_the_owner(koers_app: Koers, clock: Step) -> None:
    d = new_delegation(koers_app)
    at = clock(timedelta(days=7))
    receipt = koers_app.delegation_check_in(
        d, actor=BOB, status="at_risk", progress="two teams have no plan yet"
    )
    assert_receipt(koers_app, receipt, d, 2)
    event = recorded(koers_app, d, Delegation.CheckedIn, BOB, at)
    entry = koers_app.load(Delegation, d).check_ins[event.check_in_id]
    assert entry == {"at": at, "status": CheckInStatus.AT_RISK, "acknowledged": False}


def test_acknowledge_check_in(koers_app: Koers) -> None:
    d = new_delegation(koers_app)
    ci = new_delegation_check_in(koers_app, d)
    receipt = koers_app.acknowledge_check_in(d, actor=ANN, check_in_id=ci, note="thanks")
    assert_receipt(koers_app, receipt, d, 3)
    assert koers_app.load(Delegation, d).check_ins[ci]["acknowledged"] is True
    assert recorded(koers_app, d, Delegation.CheckInAcknowledged, ANN).check_in_id == ci


def test_renegotiate_changes_only_what_is_given(koers_app: Koers) -> None:
    d = new_delegation(koers_app)
    new_due = TODAY + timedelta(days=45)
    receipt = koers_app.renegotiate(d, actor=ANN, reason="holidays", due=new_due, level="agree")
    assert_receipt(koers_app, receipt, d, 2)
    state = koers_app.load(Delegation, d)
    assert (state.due, state.level, state.boundaries) == (
        new_due,
        DelegationLevel.AGREE,
        "no new hires",
    )
    koers_app.renegotiate(d, actor=BOB, reason="budget freed up", boundaries=" one contractor ")
    state = koers_app.load(Delegation, d)
    assert (state.due, state.level, state.boundaries) == (
        new_due,
        DelegationLevel.AGREE,
        "one contractor",
    )
    assert recorded(koers_app, d, Delegation.Renegotiated, BOB).reason == "budget freed up"


def test_complete_delegation(koers_app: Koers) -> None:
    d = new_delegation(koers_app)
    receipt = koers_app.complete_delegation(
        d, actor=ANN, feedback="a clear plan", feedforward="start a week earlier next time"
    )
    assert_receipt(koers_app, receipt, d, 2)
    assert koers_app.load(Delegation, d).status is DelegationStatus.COMPLETED
    event = recorded(koers_app, d, Delegation.Completed, ANN)
    assert (event.feedback, event.feedforward) == ("a clear plan", "start a week earlier next time")


def test_revoke_delegation(koers_app: Koers) -> None:
    d = new_delegation(koers_app)
    receipt = koers_app.revoke_delegation(d, actor=ANN, reason="the reorg moved it to finance")
    assert_receipt(koers_app, receipt, d, 2)
    assert koers_app.load(Delegation, d).status is DelegationStatus.REVOKED
    recorded(koers_app, d, Delegation.Revoked, ANN)


# -- retros ----------------------------------------------------------------------------------


def test_hold_retro(koers_app: Koers) -> None:
    receipt = koers_app.hold_retro(actor=CEM, **retro())
    assert_receipt(koers_app, receipt, receipt.id, 1)
    r = koers_app.load(Retro, receipt.id)
    assert (r.team, r.period, r.format, r.held_on, r.facilitator) == (
        "platform",
        "2026-Q1",
        "start-stop-continue",
        TODAY,
        CEM,
    )
    assert (r.items, r.pulse, r.actions) == ([], {}, {})
    recorded(koers_app, receipt.id, Retro.Held, CEM)


def test_add_retro_item(koers_app: Koers) -> None:
    r = new_retro(koers_app)
    receipt = koers_app.add_retro_item(r, actor=BOB, kind="to_improve", text="long standups")
    assert_receipt(koers_app, receipt, r, 2)
    assert koers_app.load(Retro, r).items == [(ItemKind.TO_IMPROVE, "long standups")]
    recorded(koers_app, r, Retro.ItemAdded, BOB)


def test_record_pulse(koers_app: Koers) -> None:
    r = new_retro(koers_app)
    receipt = koers_app.record_pulse(
        r, actor=CEM, dimension="psychological safety", score="4.2", responses=7
    )
    assert_receipt(koers_app, receipt, r, 2)
    assert koers_app.load(Retro, r).pulse == {"psychological safety": Decimal("4.2")}
    assert recorded(koers_app, r, Retro.PulseRecorded, CEM).responses == 7


def test_add_action_item(koers_app: Koers) -> None:
    r = new_retro(koers_app)
    receipt = koers_app.add_action_item(r, actor=CEM, **action_item())
    assert_receipt(koers_app, receipt, r, 2)
    item = receipt.item_id
    assert item is not None
    assert koers_app.load(Retro, r).actions[item] == {
        "text": "write the on-call runbook",
        "owner": BOB,
        "due": TODAY + timedelta(days=14),
        "state": ActionState.OPEN,
        "carried_from": None,
    }
    assert recorded(koers_app, r, Retro.ActionItemAdded, CEM).item_id == item


def test_complete_action_item(koers_app: Koers) -> None:
    r = new_retro(koers_app)
    item = new_action_item(koers_app, r)
    receipt = koers_app.complete_action_item(r, actor=BOB, item_id=item, note="in the wiki")
    assert_receipt(koers_app, receipt, r, 3)
    assert koers_app.load(Retro, r).actions[item]["state"] is ActionState.DONE
    recorded(koers_app, r, Retro.ActionItemCompleted, BOB)


def test_drop_action_item(koers_app: Koers) -> None:
    r = new_retro(koers_app)
    item = new_action_item(koers_app, r)
    receipt = koers_app.drop_action_item(r, actor=CEM, item_id=item, reason="not worth it")
    assert_receipt(koers_app, receipt, r, 3)
    assert koers_app.load(Retro, r).actions[item]["state"] is ActionState.DROPPED
    recorded(koers_app, r, Retro.ActionItemDropped, CEM)


def test_carry_over_saves_both_retros_in_one_write(koers_app: Koers, clock: Step) -> None:
    earlier = new_retro(koers_app)
    item = new_action_item(koers_app, earlier, due=TODAY + timedelta(days=3))
    clock(timedelta(days=14))
    later = new_retro(koers_app, held_on=TODAY + timedelta(days=14), period="2026-Q1b")
    at = clock(timedelta(hours=1))
    position_before = koers_app.recorder.max_notification_id()
    assert position_before is not None

    receipt = koers_app.carry_over(earlier, actor=CEM, item_id=item, to_retro_id=later)

    assert receipt.id == earlier
    assert receipt.version == 3
    # two events, one in each retro, written together and nothing else
    assert receipt.position == position_before + 2 == koers_app.recorder.max_notification_id()
    carried = recorded(koers_app, earlier, Retro.ActionItemCarriedOver, CEM, at)
    assert (carried.item_id, carried.to_retro_id) == (item, later)
    continued = recorded(koers_app, later, Retro.ActionItemAdded, CEM, at)
    assert (continued.item_id, continued.carried_from) == (item, earlier)
    assert koers_app.load(Retro, earlier).actions[item]["state"] is ActionState.CARRIED_OVER
    there = koers_app.load(Retro, later).actions[item]  # the same item id continues there
    assert (there["state"], there["owner"], there["text"], there["carried_from"]) == (
        ActionState.OPEN,
        BOB,
        "write the on-call runbook",
        earlier,
    )
    assert there["due"] == TODAY + timedelta(days=3)  # kept: never moved quietly
    koers_app.complete_action_item(later, actor=BOB, item_id=item)
    assert koers_app.load(Retro, later).actions[item]["state"] is ActionState.DONE


@pytest.mark.nats  # two instances on one shared stream
def test_carry_over_is_atomic_when_the_later_retro_changed_meanwhile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Someone else writes to the later retro between the load and the save: the save of both
    is refused as one (no carried-over mark without the continued item), and the retry does it
    once, fully."""
    env = fresh_env()
    with koers(env) as koers_app, koers(env) as other:
        earlier = new_retro(koers_app)
        item = new_action_item(koers_app, earlier)
        later = new_retro(koers_app, held_on=TODAY + timedelta(days=7))
        original_save = koers_app.save
        attempts: list[int] = []

        def save(*aggregates: Any, **kwargs: Any) -> Any:
            attempts.append(len(aggregates))
            if len(attempts) == 1:
                other.add_retro_item(later, actor=BOB, kind="idea", text="written meanwhile")
            return original_save(*aggregates, **kwargs)

        monkeypatch.setattr(koers_app, "save", save)
        receipt = koers_app.carry_over(earlier, actor=CEM, item_id=item, to_retro_id=later)
        earlier_events = [type(e) for e in koers_app.event_history(earlier)]
        later_events = [type(e) for e in koers_app.event_history(later)]
        carried_from = koers_app.load(Retro, later).actions[item]["carried_from"]

    assert attempts == [2, 2]  # refused once (the later retro moved on), then saved
    assert receipt.replayed is False
    assert earlier_events.count(Retro.ActionItemCarriedOver) == 1
    assert later_events == [Retro.Held, Retro.ItemAdded, Retro.ActionItemAdded]
    assert carried_from == earlier


# -- prompts ---------------------------------------------------------------------------------


def test_issue_prompt(koers_app: Koers) -> None:
    receipt = koers_app.issue_prompt(actor="koers", **prompt())
    assert_receipt(koers_app, receipt, receipt.id, 1)
    p = koers_app.load(Prompt, receipt.id)
    assert (p.to, p.kind, p.triggered_by) == (ANN, "weekly_review", ("weekly:2026-W10",))
    assert (p.state, p.snoozed_until, p.answer) == (PromptState.OPEN, None, None)
    recorded(koers_app, receipt.id, Prompt.Issued, "koers")


def test_answer_prompt_goes_into_the_journal(koers_app: Koers) -> None:
    p = new_prompt(koers_app)
    receipt = koers_app.answer_prompt(p, actor=ANN, answer="the vendor call; decided at 60 %")
    assert_receipt(koers_app, receipt, p, 2)
    state = koers_app.load(Prompt, p)
    assert (state.state, state.answer) == (PromptState.ANSWERED, "the vendor call; decided at 60 %")
    recorded(koers_app, p, Prompt.Answered, ANN)


def test_snooze_prompt_then_answer_it(koers_app: Koers) -> None:
    p = new_prompt(koers_app)
    until = T0 + timedelta(days=1)
    receipt = koers_app.snooze_prompt(p, actor=ANN, until=until)
    assert_receipt(koers_app, receipt, p, 2)
    state = koers_app.load(Prompt, p)
    assert (state.state, state.snoozed_until) == (PromptState.SNOOZED, until)
    recorded(koers_app, p, Prompt.Snoozed, ANN)
    koers_app.answer_prompt(p, actor=ANN, answer="later, as promised")
    assert koers_app.load(Prompt, p).state is PromptState.ANSWERED


def test_dismiss_prompt(koers_app: Koers) -> None:
    p = new_prompt(koers_app)
    receipt = koers_app.dismiss_prompt(p, actor=ANN, reason="not relevant this week")
    assert_receipt(koers_app, receipt, p, 2)
    assert koers_app.load(Prompt, p).state is PromptState.DISMISSED
    recorded(koers_app, p, Prompt.Dismissed, ANN)


# ===============================================================================================
# Rules: each refusal is a domain error that says what is wrong, and stores nothing
# ===============================================================================================

# -- the rules the issue names ----------------------------------------------------------------


@pytest.mark.parametrize("ending", ["drop", "close"])
def test_no_check_in_on_a_dropped_or_closed_key_result(koers_app: Koers, ending: str) -> None:
    kr = new_key_result(koers_app)
    if ending == "drop":
        koers_app.drop_key_result(kr, actor=ANN, reason="cancelled")
    else:
        koers_app.close_key_result(kr, actor=ANN, score="0.4")
    word = "dropped" if ending == "drop" else "closed"
    refused(
        koers_app,
        NotAllowed,
        (f"key result is {word}", "no more check-ins"),
        lambda: koers_app.check_in(kr, actor=BOB, **check_in()),
        of=(KeyResult, kr),
    )


def test_no_check_in_as_of_a_future_moment(koers_app: Koers) -> None:
    kr = new_key_result(koers_app)
    error = refused(
        koers_app,
        InvalidValue,
        ("as_of", "in the future", "already true"),
        lambda: koers_app.check_in(kr, actor=BOB, **check_in(as_of=T0 + timedelta(minutes=1))),
        of=(KeyResult, kr),
    )
    assert error.field == "as_of"
    koers_app.check_in(kr, actor=BOB, **check_in(as_of=T0))  # "now" is not the future


def test_no_check_in_as_of_a_moment_without_a_time_zone(koers_app: Koers) -> None:
    kr = new_key_result(koers_app)
    naive = datetime(2026, 3, 1, 9, 0)
    refused(
        koers_app,
        InvalidValue,
        ("as_of", "time zone"),
        lambda: koers_app.check_in(kr, actor=BOB, **check_in(as_of=naive)),
        of=(KeyResult, kr),
    )


def test_no_decision_for_an_option_that_was_not_on_the_table(koers_app: Koers) -> None:
    d = new_decision(koers_app)
    error = refused(
        koers_app,
        InvalidValue,
        ("'rent'", "not on the table", "build, buy"),
        lambda: koers_app.decide(d, actor=ANN, **decide(chosen="rent")),
        of=(Decision, d),
    )
    assert error.field == "chosen"


@pytest.mark.parametrize("confidence", ["1.01", "-0.1", 70, "NaN", "very"])
def test_decision_confidence_is_a_probability_0_to_1(koers_app: Koers, confidence: Any) -> None:
    d = new_decision(koers_app)
    error = refused(
        koers_app,
        InvalidValue,
        ("confidence", str(confidence).lower()),
        lambda: koers_app.decide(d, actor=ANN, **decide(confidence=confidence)),
        of=(Decision, d),
    )
    assert error.field == "confidence"


def test_a_review_comes_after_the_decision(koers_app: Koers) -> None:
    d = new_decision(koers_app)
    refused(
        koers_app,
        NotAllowed,
        ("not decided yet", "review comes after the decision"),
        lambda: koers_app.review_decision(d, actor=ANN, **review()),
        of=(Decision, d),
    )


def _owned(app: Koers, what: str) -> tuple[str, Callable[[str], object]]:  # noqa: PLR0911
    """The field naming one person, and the command that sets it (its setup done)."""
    if what == "objective owner":
        return "owner", lambda who: app.set_objective(actor=ANN, **objective(owner=who))
    if what == "key result owner":
        o = new_objective(app)
        return "owner", lambda who: app.add_key_result(
            actor=ANN, objective_id=o, **key_result(owner=who)
        )
    if what == "KPI owner":
        return "owner", lambda who: app.define_kpi(actor=ANN, **kpi(owner=who))
    if what == "decider":
        return "decider", lambda who: app.open_decision(actor=ANN, **decision(decider=who))
    if what == "delegation owner":
        return "owner", lambda who: app.delegate(actor=ANN, **delegation(owner=who))
    if what == "action item owner":
        r = new_retro(app)
        return "owner", lambda who: app.add_action_item(r, actor=CEM, **action_item(owner=who))
    assert what == "prompt's person"
    return "to", lambda who: app.issue_prompt(actor="koers", **prompt(to=who))


@pytest.mark.parametrize("two", ["ann, bob", "ann and bob", "ann & bob", "ann/bob"])
@pytest.mark.parametrize(
    "what",
    [
        "objective owner",
        "key result owner",
        "KPI owner",
        "decider",
        "delegation owner",
        "action item owner",
        "prompt's person",
    ],
)
def test_exactly_one_owner(koers_app: Koers, what: str, two: str) -> None:
    field, command = _owned(koers_app, what)
    error = refused(koers_app, InvalidValue, ("more than one person",), lambda: command(two))
    assert error.field == field
    command(BOB)  # one person is fine


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_retarget_needs_a_reason(koers_app: Koers, reason: str) -> None:
    kr = new_key_result(koers_app)
    error = refused(
        koers_app,
        InvalidValue,
        ("reason", "retarget needs a reason"),
        lambda: koers_app.retarget(kr, actor=ANN, target="30", reason=reason),
        of=(KeyResult, kr),
    )
    assert error.field == "reason"


def test_a_decided_decision_is_not_edited_but_reversed_or_superseded(koers_app: Koers) -> None:
    d = new_decided_decision(koers_app)
    refused(
        koers_app,
        NotAllowed,
        ("decided already", "not edited", "reverse", "supersede"),
        lambda: koers_app.decide(d, actor=ANN, **decide(chosen="buy")),
        of=(Decision, d),
    )
    refused(
        koers_app,
        NotAllowed,
        ("cannot add an option", "decided"),
        lambda: koers_app.add_option(d, actor=ANN, option=Option("rent", "Rent")),
        of=(Decision, d),
    )
    refused(
        koers_app,
        NotAllowed,
        ("cannot update the information level", "decided"),
        lambda: koers_app.update_information(d, actor=ANN, information_level=95),
        of=(Decision, d),
    )


@pytest.mark.parametrize("ending", ["reverse", "supersede"])
def test_a_reversed_or_superseded_decision_is_not_decided_again(
    koers_app: Koers, ending: str
) -> None:
    d = new_decided_decision(koers_app)
    if ending == "reverse":
        koers_app.reverse_decision(d, actor=ANN, reason="wrong call")
    else:
        koers_app.supersede_decision(
            d, actor=ANN, by_decision_id=new_decision(koers_app), reason="new facts"
        )
    status = "reversed" if ending == "reverse" else "superseded"
    refused(
        koers_app,
        NotAllowed,
        (status, "not edited"),
        lambda: koers_app.decide(d, actor=ANN, **decide()),
        of=(Decision, d),
    )


def test_history_is_never_edited_a_correction_keeps_the_original(koers_app: Koers) -> None:
    """Every command appends: after a check-in, a correction, a retarget and a drop, the
    earlier events are exactly what they were, byte for byte as read back."""
    kr = new_key_result(koers_app)
    ci = new_check_in(koers_app, kr, value="12")
    before = koers_app.event_history(kr)
    stored_before = [
        (e.originator_version, e.topic, e.state) for e in koers_app.recorder.select_events(kr)
    ]
    koers_app.correct_check_in(
        kr, actor=BOB, check_in_id=ci, value="11", confidence=5, reason="typo"
    )
    koers_app.retarget(kr, actor=ANN, target="30", reason="scope cut")
    koers_app.drop_key_result(kr, actor=ANN, reason="cancelled")
    after = koers_app.event_history(kr)
    stored_after = [
        (e.originator_version, e.topic, e.state) for e in koers_app.recorder.select_events(kr)
    ]
    assert stored_after[: len(stored_before)] == stored_before
    assert len(stored_after) == len(stored_before) + 3
    assert after[: len(before)] == before
    assert [type(e) for e in after[len(before) :]] == [
        KeyResult.CheckInCorrected,
        KeyResult.Retargeted,
        KeyResult.Dropped,
    ]


# -- goals: the other rules ------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["Q4 2026", "2026-Q5", "2026Q4", "next quarter"])
def test_an_objective_period_is_a_quarter(koers_app: Koers, bad: str) -> None:
    error = refused(
        koers_app,
        InvalidValue,
        ("period", "not a quarter", "2026-Q4"),
        lambda: koers_app.set_objective(actor=ANN, **objective(period=bad)),
    )
    assert error.field == "period"


@pytest.mark.parametrize("field", ["team", "title", "why"])
def test_an_objective_needs_team_title_and_why(koers_app: Koers, field: str) -> None:
    error = refused(
        koers_app,
        InvalidValue,
        (field, "empty"),
        lambda: koers_app.set_objective(actor=ANN, **objective(**{field: "  "})),
    )
    assert error.field == field


def test_an_objective_is_not_aligned_to_itself(koers_app: Koers) -> None:
    o = new_objective(koers_app)
    error = refused(
        koers_app,
        InvalidValue,
        ("cannot be aligned to itself",),
        lambda: koers_app.realign_objective(o, actor=ANN, parent_id=o, reason="oops"),
        of=(Objective, o),
    )
    assert error.field == "parent_id"


def test_a_realignment_needs_a_reason(koers_app: Koers) -> None:
    o = new_objective(koers_app)
    refused(
        koers_app,
        InvalidValue,
        ("reason", "empty"),
        lambda: koers_app.realign_objective(o, actor=ANN, parent_id=None, reason=" "),
        of=(Objective, o),
    )


@pytest.mark.parametrize("score", ["1.1", "-0.1", "7"])
def test_an_objective_score_is_0_to_1(koers_app: Koers, score: str) -> None:
    o = new_objective(koers_app)
    refused(
        koers_app,
        InvalidValue,
        ("score", score, "0.0–1.0"),
        lambda: koers_app.score_objective(o, actor=ANN, score=score, learnings="x"),
        of=(Objective, o),
    )


def test_a_scored_objective_is_not_scored_dropped_or_realigned(koers_app: Koers) -> None:
    o = new_objective(koers_app)
    koers_app.score_objective(o, actor=ANN, score="0.7", learnings="ok")
    cases: list[tuple[str, Callable[[], object]]] = [
        (
            "already scored or dropped",
            lambda: koers_app.score_objective(o, actor=ANN, score="0.8", learnings="x"),
        ),
        ("already scored or dropped", lambda: koers_app.drop_objective(o, actor=ANN, reason="x")),
        (
            "no longer open",
            lambda: koers_app.realign_objective(o, actor=ANN, parent_id=None, reason="x"),
        ),
    ]
    for words, command in cases:
        refused(koers_app, NotAllowed, (words,), command, of=(Objective, o))


@pytest.mark.parametrize(
    ("metric", "start", "target", "words"),
    [
        ("increase", "10", "10", ("not above the start 10", "increase")),
        ("increase", "10", "5", ("not above the start 10", "increase")),
        ("decrease", "10", "10", ("not below the start 10", "decrease")),
        ("decrease", "10", "20", ("not below the start 10", "decrease")),
    ],
)
def test_a_key_result_target_lies_in_its_direction(
    koers_app: Koers, metric: str, start: str, target: str, words: tuple[str, ...]
) -> None:
    o = new_objective(koers_app)
    error = refused(
        koers_app,
        InvalidValue,
        words,
        lambda: koers_app.add_key_result(
            actor=ANN, objective_id=o, **key_result(metric=metric, start=start, target=target)
        ),
    )
    assert error.field == "target"


@pytest.mark.parametrize(
    ("metric", "target"), [("increase", "10"), ("increase", "5"), ("decrease", "50")]
)
def test_a_retarget_keeps_the_target_in_the_metrics_direction(
    koers_app: Koers, metric: str, target: str
) -> None:
    """The rule ``add_key_result`` enforces (an 'increase' aims above its start, a 'decrease'
    below) holds for a new target too, else progress (value - start) / (target - start)
    turns negative or divides by zero."""
    start, first = ("10", "40") if metric == "increase" else ("40", "10")
    kr = new_key_result(koers_app, metric=metric, start=start, target=first)
    error = refused(
        koers_app,
        InvalidValue,
        ("start",),
        lambda: koers_app.retarget(kr, actor=ANN, target=target, reason="new plan"),
        of=(KeyResult, kr),
    )
    assert error.field == "target"


@pytest.mark.parametrize("confidence", [-1, 11, True])
def test_check_in_confidence_is_0_to_10(koers_app: Koers, confidence: Any) -> None:
    kr = new_key_result(koers_app)
    error = refused(
        koers_app,
        InvalidValue,
        ("confidence", "0–10"),
        lambda: koers_app.check_in(kr, actor=BOB, **check_in(confidence=confidence)),
        of=(KeyResult, kr),
    )
    assert error.field == "confidence"


@pytest.mark.parametrize("value", ["lots", "NaN", "Infinity"])
def test_check_in_value_is_a_finite_number(koers_app: Koers, value: str) -> None:
    kr = new_key_result(koers_app)
    refused(
        koers_app,
        InvalidValue,
        ("value", "number"),
        lambda: koers_app.check_in(kr, actor=BOB, **check_in(value=value)),
        of=(KeyResult, kr),
    )


def test_a_correction_names_a_check_in_of_this_key_result_and_a_reason(koers_app: Koers) -> None:
    kr = new_key_result(koers_app)
    ci = new_check_in(koers_app, kr)
    unknown = uuid.uuid4()
    of = (KeyResult, kr)
    error = refused(
        koers_app,
        InvalidValue,
        ("no check-in", str(unknown)),
        lambda: koers_app.correct_check_in(
            kr, actor=BOB, check_in_id=unknown, value="1", confidence=1, reason="x"
        ),
        of=of,
    )
    assert error.field == "check_in_id"
    refused(
        koers_app,
        InvalidValue,
        ("reason", "empty"),
        lambda: koers_app.correct_check_in(
            kr, actor=BOB, check_in_id=ci, value="1", confidence=1, reason=""
        ),
        of=of,
    )
    refused(
        koers_app,
        InvalidValue,
        ("confidence", "0–10"),
        lambda: koers_app.correct_check_in(
            kr, actor=BOB, check_in_id=ci, value="1", confidence=12, reason="x"
        ),
        of=of,
    )


def test_an_ended_key_result_takes_no_more_changes(koers_app: Koers) -> None:
    kr = new_key_result(koers_app)
    koers_app.drop_key_result(kr, actor=ANN, reason="cancelled")
    commands: list[Callable[[], object]] = [
        lambda: koers_app.retarget(kr, actor=ANN, target="30", reason="x"),
        lambda: koers_app.drop_key_result(kr, actor=ANN, reason="x"),
        lambda: koers_app.close_key_result(kr, actor=ANN, score="0.5"),
    ]
    for command in commands:
        refused(
            koers_app,
            NotAllowed,
            ("dropped", "no more check-ins or changes"),
            command,
            of=(KeyResult, kr),
        )


@pytest.mark.parametrize("score", ["1.5", "-1"])
def test_a_key_result_closing_score_is_0_to_1(koers_app: Koers, score: str) -> None:
    kr = new_key_result(koers_app)
    refused(
        koers_app,
        InvalidValue,
        ("score", "0.0–1.0"),
        lambda: koers_app.close_key_result(kr, actor=ANN, score=score),
        of=(KeyResult, kr),
    )


@pytest.mark.parametrize("cadence", [0, 93])
def test_a_key_result_cadence_is_1_to_92_days(koers_app: Koers, cadence: int) -> None:
    o = new_objective(koers_app)
    refused(
        koers_app,
        InvalidValue,
        ("cadence", "1–92"),
        lambda: koers_app.add_key_result(
            actor=ANN, objective_id=o, **key_result(cadence_days=cadence)
        ),
    )


def test_kpi_measurements_are_not_in_the_future(koers_app: Koers) -> None:
    k = new_kpi(koers_app)
    refused(
        koers_app,
        InvalidValue,
        ("as_of", "future"),
        lambda: koers_app.measure_kpi(k, actor=ANN, value="3", as_of=T0 + timedelta(days=1)),
        of=(Kpi, k),
    )


def test_a_retired_kpi_takes_no_more_changes(koers_app: Koers) -> None:
    k = new_kpi(koers_app)
    koers_app.retire_kpi(k, actor=ANN, reason="replaced")
    cases: list[tuple[str, Callable[[], object]]] = [
        ("kpi is retired", lambda: koers_app.measure_kpi(k, actor=ANN, value="3", as_of=T0)),
        ("kpi is retired", lambda: koers_app.set_kpi_next_step(k, actor=ANN, next_step="x")),
        ("retired already", lambda: koers_app.retire_kpi(k, actor=ANN, reason="x")),
    ]
    for words, command in cases:
        refused(koers_app, NotAllowed, (words,), command, of=(Kpi, k))


# -- decisions: the other rules --------------------------------------------------------------


def test_a_decision_needs_an_option(koers_app: Koers) -> None:
    error = refused(
        koers_app,
        InvalidValue,
        ("options", "has 0 entries; give 1 to 20"),
        lambda: koers_app.open_decision(actor=ANN, **decision(options=())),
    )
    assert error.field == "options"


def test_option_keys_differ(koers_app: Koers) -> None:
    twice = (Option("build", "Build"), Option("build", "Build, but later"))
    refused(
        koers_app,
        InvalidValue,
        ("option keys must differ",),
        lambda: koers_app.open_decision(actor=ANN, **decision(options=twice)),
    )
    d = new_decision(koers_app)
    error = refused(
        koers_app,
        InvalidValue,
        ("already an option 'buy'",),
        lambda: koers_app.add_option(d, actor=ANN, option=Option("buy", "Buy again")),
        of=(Decision, d),
    )
    assert error.field == "option"


@pytest.mark.parametrize("weight", [Decimal(0), Decimal("-0.5")])
def test_criteria_weights_are_above_zero(koers_app: Koers, weight: Decimal) -> None:
    criteria = (Criterion("cost", Decimal("0.5")), Criterion("fun", weight))
    error = refused(
        koers_app,
        InvalidValue,
        (str(weight), "not above 0"),
        lambda: koers_app.open_decision(actor=ANN, **decision(criteria=criteria)),
    )
    assert error.field == "criteria[1].weight"


@pytest.mark.parametrize(("risk", "field"), [(Risk(0, 3), "likelihood"), (Risk(3, 6), "impact")])
def test_risk_likelihood_and_impact_are_1_to_5(koers_app: Koers, risk: Risk, field: str) -> None:
    error = refused(
        koers_app,
        InvalidValue,
        (field, "1–5"),
        lambda: koers_app.open_decision(actor=ANN, **decision(risk=risk)),
    )
    assert error.field == f"risk.{field}"


@pytest.mark.parametrize("level", [-1, 101])
def test_information_level_is_0_to_100(koers_app: Koers, level: int) -> None:
    refused(
        koers_app,
        InvalidValue,
        ("information", "0–100"),
        lambda: koers_app.open_decision(actor=ANN, **decision(information_level=level)),
    )
    d = new_decision(koers_app)
    refused(
        koers_app,
        InvalidValue,
        ("information", "0–100"),
        lambda: koers_app.update_information(d, actor=ANN, information_level=level),
        of=(Decision, d),
    )


def test_a_review_date_is_on_or_after_the_day_of_the_decision(koers_app: Koers) -> None:
    d = new_decision(koers_app)
    yesterday = TODAY - timedelta(days=1)
    error = refused(
        koers_app,
        InvalidValue,
        (yesterday.isoformat(), "before the decision"),
        lambda: koers_app.decide(d, actor=ANN, **decide(review_on=yesterday)),
        of=(Decision, d),
    )
    assert error.field == "review_on"


@pytest.mark.parametrize(("field", "value"), [("rationale", " "), ("expected_outcome", "")])
def test_a_decision_states_its_rationale_and_expected_outcome(
    koers_app: Koers, field: str, value: str
) -> None:
    d = new_decision(koers_app)
    refused(
        koers_app,
        InvalidValue,
        (field, "empty"),
        lambda: koers_app.decide(d, actor=ANN, **decide(**{field: value})),
        of=(Decision, d),
    )


@pytest.mark.parametrize(
    ("ratings", "field"),
    [({"outcome_quality": 0}, "outcome_quality"), ({"process_quality": 6}, "process_quality")],
)
def test_a_review_rates_outcome_and_process_1_to_5(
    koers_app: Koers, ratings: dict[str, int], field: str
) -> None:
    d = new_decided_decision(koers_app)
    error = refused(
        koers_app,
        InvalidValue,
        (field, "1–5"),
        lambda: koers_app.review_decision(d, actor=ANN, **review(**ratings)),
        of=(Decision, d),
    )
    assert error.field == field


def test_a_decision_is_reviewed_once(koers_app: Koers) -> None:
    d = new_decided_decision(koers_app)
    koers_app.review_decision(d, actor=ANN, **review())
    refused(
        koers_app,
        NotAllowed,
        ("cannot review", "reviewed"),
        lambda: koers_app.review_decision(d, actor=ANN, **review()),
        of=(Decision, d),
    )


def test_only_a_decided_decision_is_reversed(koers_app: Koers) -> None:
    d = new_decision(koers_app)
    refused(
        koers_app,
        NotAllowed,
        ("cannot reverse", "open"),
        lambda: koers_app.reverse_decision(d, actor=ANN, reason="x"),
        of=(Decision, d),
    )
    koers_app.decide(d, actor=ANN, **decide())
    koers_app.reverse_decision(d, actor=ANN, reason="wrong call")
    refused(
        koers_app,
        NotAllowed,
        ("cannot reverse", "reversed"),
        lambda: koers_app.reverse_decision(d, actor=ANN, reason="again"),
        of=(Decision, d),
    )


def test_supersede_rules(koers_app: Koers) -> None:
    d = new_decided_decision(koers_app)
    refused(
        koers_app,
        InvalidValue,
        ("cannot supersede itself",),
        lambda: koers_app.supersede_decision(d, actor=ANN, by_decision_id=d, reason="x"),
        of=(Decision, d),
    )
    refused(
        koers_app,
        NotFound,
        ("no decision with id",),
        lambda: koers_app.supersede_decision(d, actor=ANN, by_decision_id=uuid.uuid4(), reason="x"),
        of=(Decision, d),
    )
    koers_app.reverse_decision(d, actor=ANN, reason="wrong call")
    newer = new_decision(koers_app)
    refused(
        koers_app,
        NotAllowed,
        ("cannot supersede", "reversed"),
        lambda: koers_app.supersede_decision(d, actor=ANN, by_decision_id=newer, reason="x"),
        of=(Decision, d),
    )


def test_a_link_is_made_once(koers_app: Koers) -> None:
    d = new_decision(koers_app)
    o = new_objective(koers_app)
    koers_app.link_decision(d, actor=ANN, kind="objective", target_id=o)
    refused(
        koers_app,
        InvalidValue,
        ("linked to that already",),
        lambda: koers_app.link_decision(d, actor=ANN, kind="objective", target_id=o),
        of=(Decision, d),
    )


def test_a_link_to_an_unknown_target_is_not_found(koers_app: Koers) -> None:
    d = new_decision(koers_app)
    unknown = uuid.uuid4()
    error = refused(
        koers_app,
        NotFound,
        ("no objective with id", str(unknown)),
        lambda: koers_app.link_decision(d, actor=ANN, kind="objective", target_id=unknown),
        of=(Decision, d),
    )
    assert error.ident == unknown


def test_a_link_names_a_target_of_its_kind(koers_app: Koers) -> None:
    d = new_decision(koers_app)
    kr = new_key_result(koers_app)
    refused(
        koers_app,
        NotFound,
        ("no objective with id", str(kr)),
        lambda: koers_app.link_decision(d, actor=ANN, kind="objective", target_id=kr),
        of=(Decision, d),
    )


# -- delegations: the other rules ------------------------------------------------------------


def test_no_delegating_to_yourself(koers_app: Koers) -> None:
    error = refused(
        koers_app,
        InvalidValue,
        ("cannot delegate to yourself",),
        lambda: koers_app.delegate(actor=ANN, **delegation(owner=ANN)),
    )
    assert error.field == "owner"


@pytest.mark.parametrize("cadence", [0, 93])
def test_a_delegation_cadence_is_1_to_92_days(koers_app: Koers, cadence: int) -> None:
    refused(
        koers_app,
        InvalidValue,
        ("cadence", "1–92"),
        lambda: koers_app.delegate(actor=ANN, **delegation(cadence_days=cadence)),
    )


@pytest.mark.parametrize("field", ["title", "why", "desired_result"])
def test_a_delegation_says_what_why_and_the_result(koers_app: Koers, field: str) -> None:
    refused(
        koers_app,
        InvalidValue,
        (field, "empty"),
        lambda: koers_app.delegate(actor=ANN, **delegation(**{field: ""})),
    )


@pytest.mark.parametrize("who", [ANN, CEM])
def test_check_ins_come_from_the_owner(koers_app: Koers, who: str) -> None:
    d = new_delegation(koers_app)
    refused(
        koers_app,
        NotAllowed,
        ("come from the owner (bob)", f"not {who}"),
        lambda: koers_app.delegation_check_in(d, actor=who, status="on_track", progress="x"),
        of=(Delegation, d),
    )


def test_only_the_delegator_acknowledges_a_check_in_once(koers_app: Koers) -> None:
    d = new_delegation(koers_app)
    ci = new_delegation_check_in(koers_app, d)
    of = (Delegation, d)
    for who in (BOB, CEM):

        def acknowledge(who: str = who) -> object:
            return koers_app.acknowledge_check_in(d, actor=who, check_in_id=ci)

        refused(
            koers_app,
            NotAllowed,
            ("delegator (ann) acknowledges", f"not {who}"),
            acknowledge,
            of=of,
        )
    unknown = uuid.uuid4()
    error = refused(
        koers_app,
        InvalidValue,
        ("no check-in", str(unknown)),
        lambda: koers_app.acknowledge_check_in(d, actor=ANN, check_in_id=unknown),
        of=of,
    )
    assert error.field == "check_in_id"
    koers_app.acknowledge_check_in(d, actor=ANN, check_in_id=ci)
    refused(
        koers_app,
        NotAllowed,
        ("acknowledged already",),
        lambda: koers_app.acknowledge_check_in(d, actor=ANN, check_in_id=ci),
        of=of,
    )


def test_a_renegotiation_needs_a_reason(koers_app: Koers) -> None:
    d = new_delegation(koers_app)
    error = refused(
        koers_app,
        InvalidValue,
        ("reason", "empty"),
        lambda: koers_app.renegotiate(d, actor=ANN, reason=" ", due=TODAY + timedelta(days=60)),
        of=(Delegation, d),
    )
    assert error.field == "reason"


def test_only_the_delegator_completes_and_with_feedback_and_feedforward(koers_app: Koers) -> None:
    d = new_delegation(koers_app)
    of = (Delegation, d)
    refused(
        koers_app,
        NotAllowed,
        ("delegator (ann) completes", "not bob"),
        lambda: koers_app.complete_delegation(d, actor=BOB, feedback="x", feedforward="y"),
        of=of,
    )
    refused(
        koers_app,
        InvalidValue,
        ("feedforward", "empty"),
        lambda: koers_app.complete_delegation(d, actor=ANN, feedback="x", feedforward=""),
        of=of,
    )


@pytest.mark.parametrize("ending", ["complete", "revoke"])
def test_an_ended_delegation_takes_no_more_changes(koers_app: Koers, ending: str) -> None:
    d = new_delegation(koers_app)
    if ending == "complete":
        koers_app.complete_delegation(d, actor=ANN, feedback="good", feedforward="sooner")
        status = "completed"
    else:
        koers_app.revoke_delegation(d, actor=ANN, reason="reorg")
        status = "revoked"
    commands: list[Callable[[], object]] = [
        lambda: koers_app.delegation_check_in(d, actor=BOB, status="on_track", progress="x"),
        lambda: koers_app.renegotiate(d, actor=ANN, reason="more time"),
        lambda: koers_app.complete_delegation(d, actor=ANN, feedback="x", feedforward="y"),
        lambda: koers_app.revoke_delegation(d, actor=ANN, reason="x"),
    ]
    for command in commands:
        refused(
            koers_app,
            NotAllowed,
            (f"delegation is {status}", "no more changes"),
            command,
            of=(Delegation, d),
        )


def test_an_ended_delegation_takes_no_acknowledgement_either(koers_app: Koers) -> None:
    """'an ended delegation takes no more changes' (delegations.py): an acknowledgement is a
    change (an event on the delegation) like any other."""
    d = new_delegation(koers_app)
    ci = new_delegation_check_in(koers_app, d)
    koers_app.revoke_delegation(d, actor=ANN, reason="reorg")
    refused(
        koers_app,
        NotAllowed,
        ("revoked", "no more changes"),
        lambda: koers_app.acknowledge_check_in(d, actor=ANN, check_in_id=ci),
        of=(Delegation, d),
    )


# -- retros: the other rules -----------------------------------------------------------------


def test_an_action_item_is_not_due_before_the_retro(koers_app: Koers) -> None:
    r = new_retro(koers_app)
    error = refused(
        koers_app,
        InvalidValue,
        ("before the retro was held",),
        lambda: koers_app.add_action_item(
            r, actor=CEM, **action_item(due=TODAY - timedelta(days=1))
        ),
        of=(Retro, r),
    )
    assert error.field == "due"


@pytest.mark.parametrize("end", ["complete", "drop", "carry_over"])
@pytest.mark.parametrize("then", ["complete", "drop", "carry_over"])
def test_an_action_item_ends_once(koers_app: Koers, end: str, then: str) -> None:
    r = new_retro(koers_app)
    item = new_action_item(koers_app, r)
    later = new_retro(koers_app, held_on=TODAY + timedelta(days=7))
    commands: dict[str, Callable[[], object]] = {
        "complete": lambda: koers_app.complete_action_item(r, actor=BOB, item_id=item),
        "drop": lambda: koers_app.drop_action_item(r, actor=BOB, item_id=item, reason="x"),
        "carry_over": lambda: koers_app.carry_over(r, actor=CEM, item_id=item, to_retro_id=later),
    }
    commands[end]()
    state = {"complete": "done", "drop": "dropped", "carry_over": "carried_over"}[end]
    refused(
        koers_app, NotAllowed, (f"action item is {state} already",), commands[then], of=(Retro, r)
    )


def test_an_unknown_action_item(koers_app: Koers) -> None:
    r = new_retro(koers_app)
    unknown = uuid.uuid4()
    error = refused(
        koers_app,
        NotFound,
        ("no action item", str(unknown)),
        lambda: koers_app.complete_action_item(r, actor=BOB, item_id=unknown),
        of=(Retro, r),
    )
    assert (error.kind, error.ident) == ("action item", unknown)


def test_a_drop_needs_a_reason(koers_app: Koers) -> None:
    r = new_retro(koers_app)
    item = new_action_item(koers_app, r)
    refused(
        koers_app,
        InvalidValue,
        ("reason", "empty"),
        lambda: koers_app.drop_action_item(r, actor=CEM, item_id=item, reason=""),
        of=(Retro, r),
    )


def test_an_action_item_is_carried_forward_into_another_retro(koers_app: Koers) -> None:
    r = new_retro(koers_app)
    item = new_action_item(koers_app, r)
    earlier = new_retro(koers_app, held_on=TODAY - timedelta(days=14))
    error = refused(
        koers_app,
        InvalidValue,
        ("later retro, not this one",),
        lambda: koers_app.carry_over(r, actor=CEM, item_id=item, to_retro_id=r),
        of=(Retro, r),
    )
    assert error.field == "to_retro_id"
    error = refused(
        koers_app,
        InvalidValue,
        ("held before this one", "carry items forward"),
        lambda: koers_app.carry_over(r, actor=CEM, item_id=item, to_retro_id=earlier),
        of=(Retro, earlier),
    )
    assert error.field == "to_retro_id"
    assert koers_app.load(Retro, r).actions[item]["state"] is ActionState.OPEN


@pytest.mark.parametrize("score", ["0.9", "5.1"])
def test_a_pulse_score_is_1_to_5(koers_app: Koers, score: str) -> None:
    r = new_retro(koers_app)
    error = refused(
        koers_app,
        InvalidValue,
        ("score", "1–5"),
        lambda: koers_app.record_pulse(
            r, actor=CEM, dimension="workload", score=score, responses=5
        ),
        of=(Retro, r),
    )
    assert error.field == "score"


def test_a_pulse_needs_a_response(koers_app: Koers) -> None:
    r = new_retro(koers_app)
    error = refused(
        koers_app,
        InvalidValue,
        ("responses", "0 is outside 1–100000"),
        lambda: koers_app.record_pulse(r, actor=CEM, dimension="workload", score="3", responses=0),
        of=(Retro, r),
    )
    assert error.field == "responses"


# -- prompts: the rules ----------------------------------------------------------------------


def test_only_the_person_a_prompt_is_for_answers_it(koers_app: Koers) -> None:
    p = new_prompt(koers_app)
    commands: list[Callable[[], object]] = [
        lambda: koers_app.answer_prompt(p, actor=BOB, answer="x"),
        lambda: koers_app.snooze_prompt(p, actor=BOB, until=T0 + timedelta(days=1)),
        lambda: koers_app.dismiss_prompt(p, actor=BOB),
    ]
    for command in commands:
        refused(
            koers_app,
            NotAllowed,
            ("prompt is for ann", "only they answer"),
            command,
            of=(Prompt, p),
        )


@pytest.mark.parametrize("ending", ["answer", "dismiss"])
def test_an_answered_or_dismissed_prompt_is_done(koers_app: Koers, ending: str) -> None:
    p = new_prompt(koers_app)
    if ending == "answer":
        koers_app.answer_prompt(p, actor=ANN, answer="done")
    else:
        koers_app.dismiss_prompt(p, actor=ANN)
    status = "answered" if ending == "answer" else "dismissed"
    commands: list[Callable[[], object]] = [
        lambda: koers_app.answer_prompt(p, actor=ANN, answer="again"),
        lambda: koers_app.snooze_prompt(p, actor=ANN, until=T0 + timedelta(days=1)),
        lambda: koers_app.dismiss_prompt(p, actor=ANN),
    ]
    for command in commands:
        refused(koers_app, NotAllowed, (f"prompt is {status} already",), command, of=(Prompt, p))


@pytest.mark.parametrize(
    ("until", "words"),
    [
        (T0, ("until", "not in the future", "time zone")),
        (T0 - timedelta(hours=1), ("until", "not in the future", "time zone")),
        (datetime(2026, 3, 9, 9), ("until", "needs a time zone")),
        (datetime(2099, 1, 1, tzinfo=UTC), ("until", "more than 10 years ahead")),
    ],
)
def test_a_prompt_is_snoozed_until_a_future_moment(
    koers_app: Koers, until: datetime, words: tuple[str, ...]
) -> None:
    p = new_prompt(koers_app)
    error = refused(
        koers_app,
        InvalidValue,
        words,
        lambda: koers_app.snooze_prompt(p, actor=ANN, until=until),
        of=(Prompt, p),
    )
    assert error.field == "until"


def test_an_answer_is_not_empty(koers_app: Koers) -> None:
    p = new_prompt(koers_app)
    refused(
        koers_app,
        InvalidValue,
        ("answer", "empty"),
        lambda: koers_app.answer_prompt(p, actor=ANN, answer="  "),
        of=(Prompt, p),
    )


# -- a value outside a fixed list of choices -------------------------------------------------


def _setup_and_command(app: Koers, case: str) -> Callable[[], object]:  # noqa: PLR0911
    if case == "key result metric":
        o = new_objective(app)
        return lambda: app.add_key_result(actor=ANN, objective_id=o, **key_result(metric="grow"))
    if case == "KPI direction":
        return lambda: app.define_kpi(actor=ANN, **kpi(direction="up"))
    if case == "KPI kind":
        return lambda: app.define_kpi(actor=ANN, **kpi(kind="grow"))
    if case == "reversibility":
        return lambda: app.open_decision(actor=ANN, **decision(reversibility="grow"))
    if case == "delegation level":
        return lambda: app.delegate(actor=ANN, **delegation(level="grow"))
    if case == "renegotiated level":
        d = new_delegation(app)
        return lambda: app.renegotiate(d, actor=ANN, reason="x", level="grow")
    if case == "delegation check-in status":
        d = new_delegation(app)
        return lambda: app.delegation_check_in(d, actor=BOB, status="grow", progress="x")
    if case == "retro item kind":
        r = new_retro(app)
        return lambda: app.add_retro_item(r, actor=CEM, kind="grow", text="x")
    assert case == "link kind"
    d, o = new_decision(app), new_objective(app)
    return lambda: app.link_decision(d, actor=ANN, kind="grow", target_id=o)


CHOICES = {
    "key result metric": "metric",
    "KPI direction": "direction",
    "KPI kind": "kind",
    "reversibility": "reversibility",
    "delegation level": "level",
    "renegotiated level": "level",
    "delegation check-in status": "status",
    "retro item kind": "kind",
    "link kind": "kind",
}


@pytest.mark.parametrize("case", list(CHOICES))
def test_a_value_outside_its_choices_is_an_invalid_value(koers_app: Koers, case: str) -> None:
    """A mistyped choice ('grow' for a metric kind) is bad input like any other: an
    ``InvalidValue`` naming the field, not a bare ``ValueError`` from an Enum."""
    command = _setup_and_command(koers_app, case)
    bad = "up" if case == "KPI direction" else "grow"
    error = refused(koers_app, InvalidValue, (repr(bad),), command)
    assert error.field == CHOICES[case]


def test_every_refusal_is_a_koers_error_users_can_read() -> None:
    for error in (InvalidValue, NotAllowed, NotFound):
        assert issubclass(error, DomainError)
        assert issubclass(error, KoersError)


# ===============================================================================================
# Optimistic concurrency, unknown ids, and the reads
# ===============================================================================================

EXPECTING: dict[str, tuple[Callable[[Koers], UUID], Callable[[Koers, UUID, int], Receipt]]] = {
    "realign_objective": (
        new_objective,
        lambda app, i, v: app.realign_objective(
            i, actor=ANN, parent_id=None, reason="x", expected_version=v
        ),
    ),
    "score_objective": (
        new_objective,
        lambda app, i, v: app.score_objective(
            i, actor=ANN, score="0.5", learnings="x", expected_version=v
        ),
    ),
    "check_in": (
        new_key_result,
        lambda app, i, v: app.check_in(i, actor=BOB, expected_version=v, **check_in()),
    ),
    "retarget": (
        new_key_result,
        lambda app, i, v: app.retarget(i, actor=ANN, target="50", reason="x", expected_version=v),
    ),
    "decide": (
        new_decision,
        lambda app, i, v: app.decide(i, actor=ANN, expected_version=v, **decide()),
    ),
}
MOVE_ON: dict[str, Callable[[Koers, UUID], object]] = {
    "realign_objective": lambda app, i: app.realign_objective(
        i, actor=BOB, parent_id=None, reason="meanwhile"
    ),
    "score_objective": lambda app, i: app.realign_objective(
        i, actor=BOB, parent_id=None, reason="meanwhile"
    ),
    "check_in": lambda app, i: app.check_in(i, actor=CEM, **check_in(value="13")),
    "retarget": lambda app, i: app.check_in(i, actor=CEM, **check_in(value="13")),
    "decide": lambda app, i: app.add_option(i, actor=BOB, option=Option("wait", "Wait")),
}


@pytest.mark.parametrize("command", list(EXPECTING))
def test_a_command_based_on_an_old_version_is_a_concurrency_conflict(
    koers_app: Koers, command: str
) -> None:
    make, run = EXPECTING[command]
    aggregate_id = make(koers_app)
    seen = 1  # the version the user looked at
    MOVE_ON[command](koers_app, aggregate_id)  # someone else, meanwhile
    cls = type(koers_app.load(KoersAggregate, aggregate_id))

    error = refused(
        koers_app,
        ConcurrencyConflict,
        ("someone else changed", "expected version 1, found 2", "reload"),
        lambda: run(koers_app, aggregate_id, seen),
        of=(cls, aggregate_id),
    )
    assert isinstance(error, IntegrityError)  # the library's contract
    assert isinstance(error, ConcurrencyConflict)
    assert (error.expected, error.actual) == (1, 2)

    receipt = run(koers_app, aggregate_id, 2)  # based on what is there now: accepted
    assert receipt.version == 3


KINDS: dict[str, type[KoersAggregate]] = {
    "objective": Objective,
    "key result": KeyResult,
    "kpi": Kpi,
    "decision": Decision,
    "delegation": Delegation,
    "retro": Retro,
    "prompt": Prompt,
}
#: command -> (the kind of thing it needs, the command on id ``i``); ``h`` holds an objective,
#: a decision and a retro made beforehand, for commands that name a second thing.
Run = Callable[[Koers, UUID, dict[str, UUID]], object]
ON: dict[str, tuple[str, Run]] = {
    "realign_objective": (
        "objective",
        lambda app, i, h: app.realign_objective(i, actor=ANN, parent_id=None, reason="x"),
    ),
    "realign_objective (parent)": (
        "objective",
        lambda app, i, h: app.realign_objective(h["objective"], actor=ANN, parent_id=i, reason="x"),
    ),
    "score_objective": (
        "objective",
        lambda app, i, h: app.score_objective(i, actor=ANN, score="0.5", learnings="x"),
    ),
    "drop_objective": (
        "objective",
        lambda app, i, h: app.drop_objective(i, actor=ANN, reason="x"),
    ),
    "set_objective (parent)": (
        "objective",
        lambda app, i, h: app.set_objective(actor=ANN, **objective(parent_id=i)),
    ),
    "add_key_result": (
        "objective",
        lambda app, i, h: app.add_key_result(actor=ANN, objective_id=i, **key_result()),
    ),
    "check_in": (
        "key result",
        lambda app, i, h: app.check_in(i, actor=BOB, **check_in()),
    ),
    "correct_check_in": (
        "key result",
        lambda app, i, h: app.correct_check_in(
            i, actor=BOB, check_in_id=uuid.uuid4(), value="1", confidence=1, reason="x"
        ),
    ),
    "retarget": (
        "key result",
        lambda app, i, h: app.retarget(i, actor=ANN, target="50", reason="x"),
    ),
    "drop_key_result": (
        "key result",
        lambda app, i, h: app.drop_key_result(i, actor=ANN, reason="x"),
    ),
    "close_key_result": (
        "key result",
        lambda app, i, h: app.close_key_result(i, actor=ANN, score="0.5"),
    ),
    "measure_kpi": (
        "kpi",
        lambda app, i, h: app.measure_kpi(i, actor=ANN, value="1", as_of=T0),
    ),
    "set_kpi_next_step": (
        "kpi",
        lambda app, i, h: app.set_kpi_next_step(i, actor=ANN, next_step="x"),
    ),
    "retire_kpi": (
        "kpi",
        lambda app, i, h: app.retire_kpi(i, actor=ANN, reason="x"),
    ),
    "add_option": (
        "decision",
        lambda app, i, h: app.add_option(i, actor=ANN, option=Option("wait", "Wait")),
    ),
    "update_information": (
        "decision",
        lambda app, i, h: app.update_information(i, actor=ANN, information_level=90),
    ),
    "decide": (
        "decision",
        lambda app, i, h: app.decide(i, actor=ANN, **decide()),
    ),
    "review_decision": (
        "decision",
        lambda app, i, h: app.review_decision(i, actor=ANN, **review()),
    ),
    "reverse_decision": (
        "decision",
        lambda app, i, h: app.reverse_decision(i, actor=ANN, reason="x"),
    ),
    "supersede_decision": (
        "decision",
        lambda app, i, h: app.supersede_decision(
            i, actor=ANN, by_decision_id=h["decision"], reason="x"
        ),
    ),
    "supersede_decision (by)": (
        "decision",
        lambda app, i, h: app.supersede_decision(
            h["decision"], actor=ANN, by_decision_id=i, reason="x"
        ),
    ),
    "link_decision": (
        "decision",
        lambda app, i, h: app.link_decision(
            i, actor=ANN, kind="objective", target_id=h["objective"]
        ),
    ),
    "delegation_check_in": (
        "delegation",
        lambda app, i, h: app.delegation_check_in(i, actor=BOB, status="on_track", progress="x"),
    ),
    "acknowledge_check_in": (
        "delegation",
        lambda app, i, h: app.acknowledge_check_in(i, actor=ANN, check_in_id=uuid.uuid4()),
    ),
    "renegotiate": (
        "delegation",
        lambda app, i, h: app.renegotiate(i, actor=ANN, reason="x"),
    ),
    "complete_delegation": (
        "delegation",
        lambda app, i, h: app.complete_delegation(i, actor=ANN, feedback="x", feedforward="y"),
    ),
    "revoke_delegation": (
        "delegation",
        lambda app, i, h: app.revoke_delegation(i, actor=ANN, reason="x"),
    ),
    "add_retro_item": (
        "retro",
        lambda app, i, h: app.add_retro_item(i, actor=CEM, kind="idea", text="x"),
    ),
    "record_pulse": (
        "retro",
        lambda app, i, h: app.record_pulse(
            i, actor=CEM, dimension="workload", score="3", responses=4
        ),
    ),
    "give_pulse_score": (
        "retro",
        lambda app, i, h: app.give_pulse_score(i, actor=CEM, dimension="workload", score=4),
    ),
    "add_action_item": (
        "retro",
        lambda app, i, h: app.add_action_item(i, actor=CEM, **action_item()),
    ),
    "complete_action_item": (
        "retro",
        lambda app, i, h: app.complete_action_item(i, actor=CEM, item_id=uuid.uuid4()),
    ),
    "drop_action_item": (
        "retro",
        lambda app, i, h: app.drop_action_item(i, actor=CEM, item_id=uuid.uuid4(), reason="x"),
    ),
    "carry_over": (
        "retro",
        lambda app, i, h: app.carry_over(
            i, actor=CEM, item_id=uuid.uuid4(), to_retro_id=h["retro"]
        ),
    ),
    "carry_over (to)": (
        "retro",
        lambda app, i, h: app.carry_over(h["retro"], actor=CEM, item_id=h["item"], to_retro_id=i),
    ),
    "answer_prompt": (
        "prompt",
        lambda app, i, h: app.answer_prompt(i, actor=ANN, answer="x"),
    ),
    "snooze_prompt": (
        "prompt",
        lambda app, i, h: app.snooze_prompt(i, actor=ANN, until=T0 + timedelta(days=1)),
    ),
    "dismiss_prompt": (
        "prompt",
        lambda app, i, h: app.dismiss_prompt(i, actor=ANN),
    ),
}


@pytest.mark.parametrize("wrong_kind", [False, True], ids=["unknown id", "id of another kind"])
@pytest.mark.parametrize("command", list(ON))
def test_a_command_on_an_unknown_id_is_not_found(
    koers_app: Koers, command: str, wrong_kind: bool
) -> None:
    kind, run = ON[command]
    h = {
        "objective": new_objective(koers_app),
        "decision": new_decision(koers_app),
        "retro": new_retro(koers_app),
    }
    h["item"] = new_action_item(koers_app, h["retro"])
    if wrong_kind:  # something that exists, but is not a <kind>
        target = new_prompt(koers_app) if kind != "prompt" else new_objective(koers_app)
    else:
        target = uuid.uuid4()
    error = refused(
        koers_app,
        NotFound,
        (f"no {kind} with id {target}",),
        lambda: run(koers_app, target, h),
    )
    assert (error.kind, error.ident) == (kind, target)


@pytest.mark.parametrize("kind", list(KINDS))
def test_loading_an_id_of_another_kind_is_not_found(koers_app: Koers, kind: str) -> None:
    other = new_prompt(koers_app) if kind != "prompt" else new_objective(koers_app)
    with pytest.raises(NotFound, match=f"no {kind} with id {other}"):
        koers_app.load(KINDS[kind], other)
    with pytest.raises(NotFound, match=f"no {kind} with id"):
        koers_app.load(KINDS[kind], uuid.uuid4())


def test_the_history_of_an_unknown_id_is_not_found(koers_app: Koers) -> None:
    unknown = uuid.uuid4()
    with pytest.raises(NotFound, match=str(unknown)):
        koers_app.event_history(unknown)


def test_load_as_of_shows_what_we_knew_then(koers_app: Koers, clock: Step) -> None:
    kr = new_key_result(koers_app)  # T0
    monday = clock(timedelta(days=7))
    ci = new_check_in(koers_app, kr, value="12", confidence=8, as_of=monday - timedelta(hours=1))
    tuesday = clock(timedelta(days=1))
    koers_app.correct_check_in(
        kr, actor=BOB, check_in_id=ci, value="11", confidence=4, reason="double counted"
    )
    wednesday = clock(timedelta(days=1))
    koers_app.retarget(kr, actor=ANN, target="30", reason="scope cut")
    clock(timedelta(days=1))

    at_start = koers_app.load_as_of(KeyResult, kr, T0)
    assert (at_start.version, at_start.check_ins) == (1, {})

    monday_night = koers_app.load_as_of(KeyResult, kr, monday + timedelta(hours=12))
    assert monday_night.version == 2
    assert monday_night.check_ins[ci]["value"] == Decimal("12")
    assert monday_night.check_ins[ci]["corrected"] is False

    at_correction = koers_app.load_as_of(KeyResult, kr, tuesday)  # recorded exactly then
    assert at_correction.check_ins[ci]["value"] == Decimal("11")
    assert at_correction.target == Decimal("40")

    now = koers_app.load_as_of(KeyResult, kr, wednesday + timedelta(days=1))
    assert (now.version, now.target) == (4, Decimal("30"))
    assert now.check_ins == koers_app.load(KeyResult, kr).check_ins

    with pytest.raises(NotAllowed, match=r"did not exist yet at 2026-03-01.*first recorded at"):
        koers_app.load_as_of(KeyResult, kr, T0 - timedelta(days=1))
    with pytest.raises(NotFound, match="no objective"):
        koers_app.load_as_of(Objective, kr, wednesday)


def test_ids_of_lists_one_kind_in_the_order_created(koers_app: Koers) -> None:
    first = new_objective(koers_app, title="First")
    kr = new_key_result(koers_app, objective_id=first)
    second = new_objective(koers_app, title="Second")
    d = new_decision(koers_app)
    new_decision(koers_app)
    third = new_objective(koers_app, title="Third")
    koers_app.drop_objective(second, actor=ANN, reason="x")  # changes add no ids

    assert list(koers_app.ids_of(Objective)) == [first, second, third]
    assert list(koers_app.ids_of(KeyResult)) == [kr]
    assert next(iter(koers_app.ids_of(Decision))) == d
    assert list(koers_app.ids_of(Kpi)) == []
    assert [o.title for o in koers_app.all_of(Objective)] == ["First", "Second", "Third"]


def test_ids_of_pages_through_more_than_one_page(koers_app: Koers) -> None:
    made = [new_prompt(koers_app, question=f"Question {n}?") for n in range(505)]
    new_objective(koers_app)
    assert list(koers_app.ids_of(Prompt)) == made


def test_all_of_follows_the_log_and_never_changes_a_list_handed_out(koers_app: Koers) -> None:
    first = new_objective(koers_app, title="First")
    before = koers_app.all_of(Objective)
    koers_app.drop_objective(first, actor=ANN, reason="no longer matters")
    second = new_objective(koers_app, title="Second")

    after = koers_app.all_of(Objective)  # a write made after the first list is in the next
    assert [(o.id, o.status.value) for o in after] == [(first, "dropped"), (second, "open")]
    assert [(o.id, o.status.value) for o in before] == [(first, "open")]  # as handed out
    [(thing, events), _] = koers_app.all_with_events(Objective)
    assert thing is after[0]  # nothing new: the same objects, no copy
    assert [type(e).__name__ for e in events] == ["Set", "Dropped"]
    assert [e.originator_version for e in events] == [1, thing.version]


# -- who may end or change a delegation, and where key results may go ------------------------


def test_only_the_delegator_revokes_a_delegation(koers_app: Koers) -> None:
    d = new_delegation(koers_app)  # delegated by ann to bob
    refused(
        koers_app,
        NotAllowed,
        ("delegator", "ann", "revokes"),
        lambda: koers_app.revoke_delegation(d, actor=BOB, reason="I want out"),
        of=(Delegation, d),
    )


def test_a_delegation_is_renegotiated_by_its_delegator_or_owner_only(koers_app: Koers) -> None:
    d = new_delegation(koers_app)
    refused(
        koers_app,
        NotAllowed,
        ("renegotiated by", "cem"),
        lambda: koers_app.renegotiate(d, actor=CEM, reason="more time", boundaries="none"),
        of=(Delegation, d),
    )
    receipt = koers_app.renegotiate(d, actor=BOB, reason="the vendor is late", boundaries="x")
    assert receipt.version == 2


def test_a_scored_objective_takes_no_new_key_results(koers_app: Koers) -> None:
    o = new_objective(koers_app)
    koers_app.score_objective(o, actor=ANN, score="0.7", learnings="aim lower")
    refused(
        koers_app,
        NotAllowed,
        ("closed", "no new key results"),
        lambda: koers_app.add_key_result(actor=ANN, objective_id=o, **key_result()),
    )


def test_a_list_leaves_out_an_aggregate_that_cannot_be_read(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A stored event whose payload its class cannot be built from (no period): the list
    answers with every other objective, and says which one it left out."""
    import orjson
    from eventsourcing.persistence import StoredEvent

    from ledger.bootstrap import bootstrap, popo_settings
    from ledger.domain import Objective

    with bootstrap(popo_settings()) as runtime:
        app = runtime.app
        good = new_objective(app)
        [set_] = app.recorder.select_notifications(1, 100, topics=[get_topic(Objective.Set)])
        broken = {k: v for k, v in orjson.loads(set_.state).items() if k != "period"}
        bad = uuid.uuid4()
        app.recorder.insert_events([StoredEvent(bad, 1, set_.topic, orjson.dumps(broken))])
        assert [o.id for o in app.all_of(Objective)] == [good]
    assert f"objective {bad} cannot be read, left out" in caplog.text

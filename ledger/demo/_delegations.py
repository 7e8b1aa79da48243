"""Plan the delegations of the story: handed over, checked in on (and acknowledged),
renegotiated, completed or revoked."""

from __future__ import annotations

from ledger.demo._ids import delegation_id
from ledger.demo._plan import Plan, Week, command, demo_key, from_spec, sub_id
from ledger.demo._specs import DelegationCheckIn, DelegationSpec, Renegotiation
from ledger.demo._story import read

__all__ = ["DELEGATIONS", "plan_delegations"]

DELEGATIONS = read("delegations.toml", "delegation", DelegationSpec)


def plan_delegations(plan: Plan) -> None:
    for spec in DELEGATIONS:
        _delegate(plan, spec)
        for n, check_in in enumerate(spec.check_ins, start=1):
            _check_in(plan, spec, n, check_in)
        if spec.renegotiated:
            _renegotiate(plan, spec, spec.renegotiated)
        if spec.completed:
            _complete(plan, spec, *spec.completed)
        if spec.revoked:
            _revoke(plan, spec, *spec.revoked)


def _key(spec: DelegationSpec, *parts: str) -> str:
    return demo_key("delegation", spec.slug, *parts)


def _delegate(plan: Plan, spec: DelegationSpec) -> None:
    delegate = from_spec(
        "delegate",
        spec,
        actor=spec.delegator,
        delegator=spec.delegator,
        due=plan.quarter.day(spec.due),
    )
    plan.add(spec.delegated, _key(spec), "delegated", delegate)


def _check_in(plan: Plan, spec: DelegationSpec, n: int, check_in: DelegationCheckIn) -> None:
    the_delegation = delegation_id(spec.slug)
    check_in_key = _key(spec, "check-in", str(n))
    report = from_spec("delegation_check_in", check_in, the_delegation, actor=spec.owner)
    plan.add(check_in.when, check_in_key, "delegation check-in", report)
    if check_in.acknowledged is None:
        return
    acknowledge = from_spec(
        "acknowledge_check_in",
        check_in,
        the_delegation,
        actor=spec.delegator,
        check_in_id=sub_id(the_delegation, check_in_key),
    )
    when = check_in.acknowledged
    plan.add(when, _key(spec, "acknowledge", str(n)), "check-in acknowledged", acknowledge)


def _renegotiate(plan: Plan, spec: DelegationSpec, change: Renegotiation) -> None:
    renegotiate = from_spec("renegotiate", change, delegation_id(spec.slug), actor=spec.delegator)
    plan.add(change.when, _key(spec, "renegotiate"), "delegation renegotiated", renegotiate)


def _complete(plan: Plan, spec: DelegationSpec, when: Week, feedback: str, forward: str) -> None:
    complete = command(
        "complete_delegation",
        delegation_id(spec.slug),
        actor=spec.delegator,
        feedback=feedback,
        feedforward=forward,
    )
    plan.add(when, _key(spec, "complete"), "delegation completed", complete)


def _revoke(plan: Plan, spec: DelegationSpec, when: Week, reason: str) -> None:
    revoke = command(
        "revoke_delegation", delegation_id(spec.slug), actor=spec.delegator, reason=reason
    )
    plan.add(when, _key(spec, "revoke"), "delegation revoked", revoke)

"""Plan the delegations of the story: handed over, checked in on (and acknowledged),
renegotiated, completed or revoked."""

from __future__ import annotations

from ledger.demo._ids import delegation_id
from ledger.demo._plan import Plan, Thread, sub_id
from ledger.demo._specs import DelegationCheckIn, DelegationSpec
from ledger.demo._story import read

__all__ = ["DELEGATIONS", "plan_delegations"]

DELEGATIONS = read("delegations.toml", "delegation", DelegationSpec)


def plan_delegations(plan: Plan) -> None:
    for spec in DELEGATIONS:
        d = Thread(plan, "delegation", spec.slug, delegation_id(spec.slug), spec.delegator)
        d.begin(spec.delegated, "delegated", "delegate", spec, delegator=spec.delegator,
                due=plan.quarter.day(spec.due))  # fmt: skip
        for n, check_in in enumerate(spec.check_ins, start=1):
            _check_in(d, spec, n, check_in)
        if change := spec.renegotiated:
            d.then(
                change.when, "renegotiate", "delegation renegotiated", "renegotiate", spec=change
            )
        if spec.completed:
            when, feedback, forward = spec.completed
            d.then(when, "complete", "delegation completed", "complete_delegation",
                   feedback=feedback, feedforward=forward)  # fmt: skip
        if spec.revoked:
            when, reason = spec.revoked
            d.then(when, "revoke", "delegation revoked", "revoke_delegation", reason=reason)


def _check_in(d: Thread, spec: DelegationSpec, n: int, check_in: DelegationCheckIn) -> None:
    key = d.then(check_in.when, f"check-in/{n}", "delegation check-in", "delegation_check_in",
                 spec=check_in, actor=spec.owner)  # fmt: skip
    if check_in.acknowledged is not None:
        d.then(check_in.acknowledged, f"acknowledge/{n}", "check-in acknowledged",
               "acknowledge_check_in", spec=check_in,
               check_in_id=sub_id(d.target, key))  # fmt: skip

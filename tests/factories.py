"""Valid command arguments for every kind of thing Koers records, so a test states only what
it varies: ``app.set_objective(actor=ANN, **objective(period="2026-Q5"))``.

Each ``<kind>(**overrides)`` function returns a fresh dict of keyword arguments for the
matching ``Koers`` command; ``new_<kind>(app, ...)`` records one and returns its id. Dates are
relative to :data:`T0`, the moment the tests pin the domain clock at (:func:`pinned_clock`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from ledger.application import Koers
from ledger.bootstrap import bootstrap, popo_settings
from ledger.domain import Criterion, Delegation, KeyResult, Option, Risk
from ledger.domain._clock import frozen_at
from ledger.settings import Settings
from tests.conftest import recorded_problems

__all__ = [
    "ANN",
    "BOB",
    "CEM",
    "T0",
    "TODAY",
    "action_item",
    "check_in",
    "decide",
    "decision",
    "delegation",
    "key_result",
    "koers",
    "kpi",
    "new_action_item",
    "new_check_in",
    "new_decided_decision",
    "new_decision",
    "new_delegation",
    "new_delegation_check_in",
    "new_key_result",
    "new_kpi",
    "new_objective",
    "new_prompt",
    "new_retro",
    "objective",
    "pinned_clock",
    "prompt",
    "retro",
    "review",
]

ANN, BOB, CEM = "ann", "bob", "cem"
#: The moment the domain clock is pinned at in the tests (a Monday morning, UTC).
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TODAY: date = T0.date()


# -- the app and the clock ---------------------------------------------------------------------


@contextmanager
def koers(env: dict[str, str] | None = None) -> Iterator[Koers]:
    """A Koers application built by :func:`ledger.bootstrap.bootstrap`, closed afterwards.

    Without ``env``: on the library's in-memory POPO store (fast; private to this instance).
    With ``env`` (``fresh_env()``): on the session's real nats-server, where instances given
    the same ``env`` share one stream (a restart, a second replica)."""
    settings = popo_settings() if env is None else Settings.from_env(env)
    with bootstrap(settings) as runtime:
        yield runtime.app
        if env is None:  # the session's schema check reads NATS only: check these here
            problems = recorded_problems(runtime.app)
            assert not problems, "events that do not fit their schema:\n" + "\n".join(problems)


@contextmanager
def pinned_clock(at: datetime = T0) -> Iterator[Callable[[timedelta], datetime]]:
    """The domain clock pinned at ``at``; yields the function that moves it on."""
    with frozen_at(at) as step:
        yield step


# -- command arguments -------------------------------------------------------------------------


def objective(**overrides: Any) -> dict[str, Any]:
    return {
        "team": "platform",
        "title": "Teams record their decisions in Koers",
        "why": "we forget why we decided, and repeat old debates",
        "period": "2026-Q1",
        "owner": ANN,
        **overrides,
    }


def key_result(**overrides: Any) -> dict[str, Any]:
    return {
        "title": "Teams with a weekly check-in",
        "metric": "increase",
        "start": "10",
        "target": "40",
        "unit": "teams",
        "owner": BOB,
        "cadence_days": 7,
        **overrides,
    }


def check_in(**overrides: Any) -> dict[str, Any]:
    return {
        "value": "12",
        "confidence": 7,
        "as_of": T0 - timedelta(hours=1),
        "note": "two new teams onboarded",
        "blockers": ("waiting for SSO",),
        **overrides,
    }


def kpi(**overrides: Any) -> dict[str, Any]:
    return {
        "team": "platform",
        "name": "Lead time for changes",
        "owner": ANN,
        "target": "2",
        "unit": "days",
        "direction": "lower_is_better",
        "kind": "leading",
        "next_step": "split the release train",
        **overrides,
    }


def decision(**overrides: Any) -> dict[str, Any]:
    return {
        "team": "platform",
        "question": "Do we build or buy the event store?",
        "context": "the pilot needs an audited log by Q2",
        "options": (Option("build", "Build on NATS"), Option("buy", "Buy a hosted store")),
        "criteria": (Criterion("cost", Decimal("0.6")), Criterion("speed", Decimal("0.4"))),
        "risk": Risk(likelihood=2, impact=4),
        "reversibility": "one_way",
        "cost_to_reverse": "a quarter of migration work",
        "information_level": 80,
        "decider": ANN,
        "consulted": (BOB,),
        "informed": (CEM,),
        "decide_by": TODAY + timedelta(days=14),
        **overrides,
    }


def decide(**overrides: Any) -> dict[str, Any]:
    return {
        "chosen": "build",
        "rationale": "we own the audit trail end to end",
        "expected_outcome": "a pilot on NATS by April",
        "confidence": "0.7",
        "review_on": TODAY + timedelta(days=90),
        **overrides,
    }


def review(**overrides: Any) -> dict[str, Any]:
    return {
        "outcome_quality": 2,
        "process_quality": 4,
        "as_expected": False,
        "what_happened": "the pilot slipped a month",
        "lessons": "ask operations earlier",
        **overrides,
    }


def delegation(**overrides: Any) -> dict[str, Any]:
    return {
        "delegator": ANN,
        "owner": BOB,
        "title": "Run the quarterly planning",
        "why": "Bob knows the teams' capacity best",
        "desired_result": "a plan every team signed off",
        "boundaries": "no new hires",
        "level": "consult",
        "cadence_days": 7,
        "due": TODAY + timedelta(days=30),
        **overrides,
    }


def retro(**overrides: Any) -> dict[str, Any]:
    return {
        "team": "platform",
        "period": "2026-Q1",
        "format": "start-stop-continue",
        "held_on": TODAY,
        "facilitator": CEM,
        **overrides,
    }


def action_item(**overrides: Any) -> dict[str, Any]:
    return {
        "text": "write the on-call runbook",
        "owner": BOB,
        "due": TODAY + timedelta(days=14),
        **overrides,
    }


def prompt(**overrides: Any) -> dict[str, Any]:
    return {
        "to": ANN,
        "question": "3 decisions this week, 2 one-way doors: which would you revisit?",
        "kind": "weekly_review",
        "triggered_by": ("weekly:2026-W10",),
        **overrides,
    }


# -- recorded examples -------------------------------------------------------------------------


def new_objective(app: Koers, *, actor: str = ANN, **overrides: Any) -> UUID:
    return app.set_objective(actor=actor, **objective(**overrides)).id


def new_key_result(
    app: Koers, *, actor: str = ANN, objective_id: UUID | None = None, **overrides: Any
) -> UUID:
    parent = objective_id if objective_id is not None else new_objective(app)
    return app.add_key_result(actor=actor, objective_id=parent, **key_result(**overrides)).id


def new_kpi(app: Koers, *, actor: str = ANN, **overrides: Any) -> UUID:
    return app.define_kpi(actor=actor, **kpi(**overrides)).id


def new_decision(app: Koers, *, actor: str = ANN, **overrides: Any) -> UUID:
    return app.open_decision(actor=actor, **decision(**overrides)).id


def new_decided_decision(app: Koers, *, actor: str = ANN, **overrides: Any) -> UUID:
    decision_id = new_decision(app, actor=actor)
    app.decide(decision_id, actor=actor, **decide(**overrides))
    return decision_id


def new_delegation(app: Koers, *, actor: str = ANN, **overrides: Any) -> UUID:
    return app.delegate(actor=actor, **delegation(**overrides)).id


def new_retro(app: Koers, *, actor: str = CEM, **overrides: Any) -> UUID:
    return app.hold_retro(actor=actor, **retro(**overrides)).id


def new_prompt(app: Koers, *, actor: str = "koers", **overrides: Any) -> UUID:
    return app.issue_prompt(actor=actor, **prompt(**overrides)).id


def new_check_in(app: Koers, key_result_id: UUID, *, actor: str = BOB, **overrides: Any) -> UUID:
    """Check in on a key result; the id of the new check-in."""
    before = set(app.load(KeyResult, key_result_id).check_ins)
    app.check_in(key_result_id, actor=actor, **check_in(**overrides))
    (new,) = set(app.load(KeyResult, key_result_id).check_ins) - before
    return new


def new_delegation_check_in(app: Koers, delegation_id: UUID, *, actor: str = BOB) -> UUID:
    """The owner checks in on a delegation; the id of the new check-in."""
    before = set(app.load(Delegation, delegation_id).check_ins)
    app.delegation_check_in(delegation_id, actor=actor, status="on_track", progress="half done")
    (new,) = set(app.load(Delegation, delegation_id).check_ins) - before
    return new


def new_action_item(app: Koers, retro_id: UUID, *, actor: str = CEM, **overrides: Any) -> UUID:
    """Add an action item to a retro; its id."""
    item_id = app.add_action_item(retro_id, actor=actor, **action_item(**overrides)).item_id
    assert item_id is not None
    return item_id

"""Plan the retros of the story: held, items and pulse recorded, people's own pulse scores
given, action items added and ended (done, dropped, or carried over into the team's next retro)."""

from __future__ import annotations

from ledger.demo._ids import action_item_id, retro_id, retro_item_id
from ledger.demo._plan import Plan, Thread, Week
from ledger.demo._specs import ActionSpec, RetroSpec
from ledger.demo._story import read

__all__ = ["RETROS", "plan_retros"]

RETROS = read("retros.toml", "retro", RetroSpec)


def _thread(plan: Plan, slug: str, facilitator: str | None = None) -> Thread:
    return Thread(plan, "retro", slug, retro_id(slug), facilitator)


def plan_retros(plan: Plan) -> None:
    for spec in RETROS:
        r, held = _thread(plan, spec.slug, spec.facilitator), spec.held
        r.begin(held, "retro held", "hold_retro", spec, period=plan.quarter.label,
                held_on=plan.quarter.day(held))  # fmt: skip
        for n, (kind, text) in enumerate(spec.items):
            r.then(held.later(5 + n), f"item/{n + 1}", "retro item", "add_retro_item", kind=kind,
                   text=text)  # fmt: skip
        for n, (dimension, score) in enumerate(spec.pulse):
            r.then(held.later(20 + n), f"pulse/{dimension.replace(' ', '-')}", "pulse recorded",
                   "record_pulse", dimension=dimension, score=score,
                   responses=spec.responses)  # fmt: skip
        for n, (who, aspect, own) in enumerate(spec.scores):  # after the retro, their own
            r.then(held.later(40 + n), f"score/{n + 1}", "pulse score given", "give_pulse_score",
                   actor=who, dimension=aspect, score=own)  # fmt: skip
        for n, action in enumerate(spec.actions):
            _action(r, spec, n, action)


def _action(r: Thread, spec: RetroSpec, n: int, action: ActionSpec) -> None:
    item, due = action_item_id(spec.slug, action.slug), r.plan.quarter.day(action.due)
    from_item = retro_item_id(spec.slug, action.from_item) if action.from_item else None
    r.then(spec.held.later(30 + n), f"action/{action.slug}", "action item", "add_action_item",
           spec=action, due=due, from_item=from_item)  # fmt: skip
    if action.done:
        _complete(r, action, action.done)
    if action.dropped:
        when, reason = action.dropped
        r.then(when, f"action/{action.slug}/drop", "action item dropped", "drop_action_item",
               actor=action.owner, item_id=item, reason=reason)  # fmt: skip
    if action.carried:
        when, into = action.carried
        r.then(when, f"action/{action.slug}/carry-over", "action item carried over", "carry_over",
               actor=action.owner, item_id=item, to_retro_id=retro_id(into))  # fmt: skip
        if action.done_there:
            _complete(_thread(r.plan, into), action, action.done_there, carried_from=spec.slug)


def _complete(
    r: Thread, action: ActionSpec, done: tuple[Week, str], carried_from: str = ""
) -> None:
    """Complete an action item in retro ``r`` (carried there from ``carried_from``)."""
    when, note = done
    item = action_item_id(carried_from or r.slug, action.slug)
    r.then(when, f"action/{action.slug}/done", "action item done", "complete_action_item",
           actor=action.owner, item_id=item, note=note)  # fmt: skip

"""Plan the retros of the story: held, items and pulse recorded, people's own pulse scores
given, action items added and ended (done, dropped, or carried over into the team's next retro)."""

from __future__ import annotations

from ledger.demo._ids import action_item_id, action_key, retro_id, retro_item_id
from ledger.demo._plan import Plan, Week, command, demo_key, from_spec
from ledger.demo._specs import ActionSpec, RetroSpec
from ledger.demo._story import read

__all__ = ["RETROS", "plan_retros"]

RETROS = read("retros.toml", "retro", RetroSpec)


def plan_retros(plan: Plan) -> None:
    for spec in RETROS:
        _hold(plan, spec)
        for n, (kind, text) in enumerate(spec.items):
            _item(plan, spec, n, kind, text)
        for n, (dimension, score) in enumerate(spec.pulse):
            _pulse(plan, spec, n, dimension, score)
        for n, own in enumerate(spec.scores):
            _own_score(plan, spec, n, own)
        for n, action in enumerate(spec.actions):
            _action(plan, spec, n, action)


def _key(spec: RetroSpec, *parts: str) -> str:
    return demo_key("retro", spec.slug, *parts)


def _hold(plan: Plan, spec: RetroSpec) -> None:
    hold = from_spec(
        "hold_retro",
        spec,
        actor=spec.facilitator,
        period=plan.quarter.label,
        held_on=plan.quarter.day(spec.held),
    )
    plan.add(spec.held, _key(spec), "retro held", hold)


def _item(plan: Plan, spec: RetroSpec, n: int, kind: str, text: str) -> None:
    add = command(
        "add_retro_item", retro_id(spec.slug), actor=spec.facilitator, kind=kind, text=text
    )
    plan.add(spec.held.later(5 + n), _key(spec, "item", str(n + 1)), "retro item", add)


def _pulse(plan: Plan, spec: RetroSpec, n: int, dimension: str, score: str) -> None:
    record = command(
        "record_pulse",
        retro_id(spec.slug),
        actor=spec.facilitator,
        dimension=dimension,
        score=score,
        responses=spec.responses,
    )
    key = _key(spec, "pulse", dimension.replace(" ", "-"))
    plan.add(spec.held.later(20 + n), key, "pulse recorded", record)


def _own_score(plan: Plan, spec: RetroSpec, n: int, own: tuple[str, str, int]) -> None:
    """A person's own pulse score (``own``: person, dimension, score) after the retro."""
    who, dimension, score = own
    give = command(
        "give_pulse_score", retro_id(spec.slug), actor=who, dimension=dimension, score=score
    )
    key = _key(spec, "score", str(n + 1))
    plan.add(spec.held.later(40 + n), key, "pulse score given", give)


def _action(plan: Plan, spec: RetroSpec, n: int, action: ActionSpec) -> None:
    the_retro, item = retro_id(spec.slug), action_item_id(spec.slug, action.slug)
    add = from_spec(
        "add_action_item",
        action,
        the_retro,
        actor=spec.facilitator,
        due=plan.quarter.day(action.due),
        from_item=retro_item_id(spec.slug, action.from_item) if action.from_item else None,
    )
    plan.add(spec.held.later(30 + n), action_key(spec.slug, action.slug), "action item", add)
    if action.done:
        _complete(plan, spec.slug, action, action.done)
    if action.dropped:
        when, reason = action.dropped
        drop = command(
            "drop_action_item", the_retro, actor=action.owner, item_id=item, reason=reason
        )
        plan.add(when, _key(spec, "action", action.slug, "drop"), "action item dropped", drop)
    if action.carried:
        when, into = action.carried
        carry = command(
            "carry_over", the_retro, actor=action.owner, item_id=item, to_retro_id=retro_id(into)
        )
        key = _key(spec, "action", action.slug, "carry-over")
        plan.add(when, key, "action item carried over", carry)
        if action.done_there:
            _complete(plan, into, action, action.done_there, carried_from=spec.slug)


def _complete(
    plan: Plan, slug: str, action: ActionSpec, done: tuple[Week, str], carried_from: str = ""
) -> None:
    """Complete an action item in retro ``slug`` (carried there from ``carried_from``)."""
    when, note = done
    complete = command(
        "complete_action_item",
        retro_id(slug),
        actor=action.owner,
        item_id=action_item_id(carried_from or slug, action.slug),
        note=note,
    )
    key = demo_key("retro", slug, "action", action.slug, "done")
    plan.add(when, key, "action item done", complete)

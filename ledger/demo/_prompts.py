"""Plan the reflection prompts of the story (``prompts.toml``): issued by Koers, then
answered, snoozed or dismissed. Each names what prompted it as ``<kind>:<id>``."""

from __future__ import annotations

from ledger.demo._ids import decision_id, delegation_id, key_result_id, prompt_id
from ledger.demo._plan import Plan, command, demo_key, from_spec
from ledger.demo._specs import PromptSpec
from ledger.demo._story import read

__all__ = ["PROMPTS", "plan_prompts"]

_IDS = {"decision": decision_id, "delegation": delegation_id, "key_result": key_result_id}
PROMPTS = read("prompts.toml", "prompt", PromptSpec)


def plan_prompts(plan: Plan) -> None:
    for spec in PROMPTS:
        _prompt(plan, spec)


def _prompt(plan: Plan, spec: PromptSpec) -> None:
    the_prompt = prompt_id(spec.slug)
    issue = from_spec(
        "issue_prompt",
        spec,
        actor="koers",
        triggered_by=tuple(f"{kind}:{_IDS[kind](slug)}" for kind, slug in spec.triggered_by),
    )
    plan.add(spec.issued, demo_key("prompt", spec.slug), "prompt issued", issue)
    if spec.answered:
        when, answer = spec.answered
        answer_it = command("answer_prompt", the_prompt, actor=spec.to, answer=answer)
        plan.add(when, demo_key("prompt", spec.slug, "answer"), "prompt answered", answer_it)
    if spec.snoozed:
        when, days = spec.snoozed
        until = plan.quarter.after_today(days)
        snooze = command("snooze_prompt", the_prompt, actor=spec.to, until=until)
        plan.add(when, demo_key("prompt", spec.slug, "snooze"), "prompt snoozed", snooze)
    if spec.dismissed:
        when, reason = spec.dismissed
        dismiss = command("dismiss_prompt", the_prompt, actor=spec.to, reason=reason)
        plan.add(when, demo_key("prompt", spec.slug, "dismiss"), "prompt dismissed", dismiss)

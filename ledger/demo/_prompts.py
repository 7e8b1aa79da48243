"""Plan the reflection prompts of the story (``prompts.toml``): issued by Koers, then
answered, snoozed or dismissed. Each names what prompted it as ``<kind>:<id>``."""

from __future__ import annotations

from ledger.demo._ids import decision_id, delegation_id, key_result_id, prompt_id
from ledger.demo._plan import Plan, Thread
from ledger.demo._specs import PromptSpec
from ledger.demo._story import read

__all__ = ["PROMPTS", "plan_prompts"]

_IDS = {"decision": decision_id, "delegation": delegation_id, "key_result": key_result_id}
PROMPTS = read("prompts.toml", "prompt", PromptSpec)


def plan_prompts(plan: Plan) -> None:
    for spec in PROMPTS:
        _prompt(Thread(plan, "prompt", spec.slug, prompt_id(spec.slug), spec.to), spec)


def _prompt(p: Thread, spec: PromptSpec) -> None:
    why = tuple(f"{kind}:{_IDS[kind](slug)}" for kind, slug in spec.triggered_by)
    p.begin(spec.issued, "prompt issued", "issue_prompt", spec, actor="koers", triggered_by=why)
    if spec.answered:
        when, answer = spec.answered
        p.then(when, "answer", "prompt answered", "answer_prompt", answer=answer)
    if spec.snoozed:
        when, days = spec.snoozed
        until = p.plan.quarter.after_today(days)
        p.then(when, "snooze", "prompt snoozed", "snooze_prompt", until=until)
    if spec.dismissed:
        when, reason = spec.dismissed
        p.then(when, "dismiss", "prompt dismissed", "dismiss_prompt", reason=reason)

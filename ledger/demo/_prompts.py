"""The quarter's reflection prompts, and how each person dealt with theirs: two answered
(the start of a reflection journal), one snoozed, one dismissed, two still open.

``triggered_by`` names what prompted each one as ``<kind>:<id>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ledger.demo._ids import decision_id, delegation_id, key_result_id, prompt_id
from ledger.demo._plan import Plan, Week, demo_key

if TYPE_CHECKING:
    from ledger.application import Koers, Receipt

__all__ = ["PROMPTS", "PromptSpec", "plan_prompts"]

_IDS = {"decision": decision_id, "delegation": delegation_id, "key_result": key_result_id}


@dataclass(frozen=True)
class PromptSpec:
    slug: str
    to: str
    kind: str
    question: str
    triggered_by: tuple[tuple[str, str], ...]  # kind, slug
    issued: Week
    answered: tuple[Week, str] | None = None
    snoozed: tuple[Week, int] | None = None  # when, until this many days after today
    dismissed: tuple[Week, str] | None = None


PROMPTS: tuple[PromptSpec, ...] = (
    PromptSpec(
        "observability-low-information",
        "ann",
        "one_way_low_information",
        "You went through a one-way door (the three-year observability contract) at 40 % "
        "information. What would have had to be true for you to wait one more week?",
        (("decision", "observability-contract"),),
        Week(2, 2, 17),
        answered=(
            Week(3, 0, 8),
            "A written price guarantee for one more week. I did not ask for it. Next time I "
            "ask for time before I trade information for price.",
        ),
    ),
    PromptSpec(
        "new-arr-confidence",
        "hanna",
        "kr_confidence_drop",
        "Your confidence in 'Win €450k new mid-market ARR' fell from 7 to 4 in six weeks. "
        "What changed, and who could help?",
        (("key_result", "new-arr"),),
        Week(6, 4, 17),
        answered=(
            Week(7, 0, 9),
            "The price rise changed every conversation. I need gijs in two late-stage deals, "
            "and an honest re-plan instead of hope.",
        ),
    ),
    PromptSpec(
        "gijs-week-3",
        "gijs",
        "weekly_review",
        "This week: 1 decision, a one-way door (hiring). Which would you revisit?",
        (("decision", "hire-aes"),),
        Week(3, 4, 16),
        dismissed=(Week(4, 0, 9), "Went through it in the leadership meeting already."),
    ),
    PromptSpec(
        "db-migration-silent",
        "ann",
        "delegation_check_in_overdue",
        "No check-in from chen on 'Run the managed Postgres migration' for 14 days (agreed: "
        "every 7). Is the work stuck, or is the rhythm wrong?",
        (("delegation", "db-migration"),),
        Week(8, 4, 9),
    ),
    PromptSpec(
        "hire-aes-review",
        "gijs",
        "decision_review_due",
        "Your decision to hire one account executive now is due for review. Did it turn out "
        "as you expected, and was the way you decided sound?",
        (("decision", "hire-aes"),),
        Week(11, 0, 8),
    ),
    PromptSpec(
        "chen-quarter",
        "chen",
        "quarterly_retro",
        "Change failure rate ended at 13 % against a target of 8 %. If the quarter started "
        "again tomorrow, what would you do first?",
        (("key_result", "change-failure-rate"),),
        Week(12, 1, 16),
        snoozed=(Week(12, 2, 9), 7),
    ),
)


def plan_prompts(plan: Plan) -> None:
    for spec in PROMPTS:
        _prompt(plan, spec)


def _prompt(plan: Plan, spec: PromptSpec) -> None:
    the_prompt = prompt_id(spec.slug)
    triggers = tuple(f"{kind}:{_IDS[kind](slug)}" for kind, slug in spec.triggered_by)

    def issue(app: Koers, key: str) -> Receipt:
        return app.issue_prompt(
            actor="koers",
            key=key,
            to=spec.to,
            question=spec.question,
            kind=spec.kind,
            triggered_by=triggers,
        )

    plan.add(spec.issued, demo_key("prompt", spec.slug), "prompt issued", issue)
    if spec.answered:
        when, answer = spec.answered

        def answer_it(app: Koers, key: str) -> Receipt:
            return app.answer_prompt(the_prompt, actor=spec.to, answer=answer, key=key)

        plan.add(when, demo_key("prompt", spec.slug, "answer"), "prompt answered", answer_it)
    if spec.snoozed:
        when, days = spec.snoozed
        until = plan.quarter.after_today(days)

        def snooze(app: Koers, key: str) -> Receipt:
            return app.snooze_prompt(the_prompt, actor=spec.to, until=until, key=key)

        plan.add(when, demo_key("prompt", spec.slug, "snooze"), "prompt snoozed", snooze)
    if spec.dismissed:
        when, reason = spec.dismissed

        def dismiss(app: Koers, key: str) -> Receipt:
            return app.dismiss_prompt(the_prompt, actor=spec.to, reason=reason, key=key)

        plan.add(when, demo_key("prompt", spec.slug, "dismiss"), "prompt dismissed", dismiss)

"""The questions the workers put to people: short, concrete, about their own record.

Each names the thing that triggered it (quoted, cut to a readable length) and asks one
reflective question; every result fits the domain's 1,000-character limit on a question.
"""

from __future__ import annotations

from decimal import Decimal

__all__ = [
    "acknowledge_check_in",
    "action_item_due",
    "confidence_drop",
    "decide_by_due",
    "decision_review_due",
    "delegation_check_in_overdue",
    "kr_check_in_overdue",
    "one_way_low_information",
    "plural",
    "quoted",
]


def quoted(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return f"'{text if len(text) <= limit else text[: limit - 1] + '…'}'"


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"


def one_way_low_information(question: str, level: int, threshold: int) -> str:
    return (
        f"You went through a one-way door ({quoted(question)}) at {level} % information "
        f"(the rule of thumb is {threshold} %). What would have had to be true for you to "
        f"wait, and how will you notice early if it turns out wrong?"
    )


def confidence_drop(title: str, before: int, after: int) -> str:
    return (
        f"Your confidence in {quoted(title)} fell from {before} to {after}. "
        f"What changed, and who could help?"
    )


def acknowledge_check_in(owner: str, title: str, status: str, progress: str) -> str:
    return (
        f"{owner} checked in on {quoted(title)}: {status}, {quoted(progress, 240)}. Acknowledge "
        f"it: what do you make of it, and does {owner} need anything from you?"
    )


def decide_by_due(question: str, decide_by: str, information_level: int) -> str:
    return (
        f"Your decision {quoted(question)} was to be decided by {decide_by}, and it is still "
        f"open (information at {information_level} %). Decide now, or say what waiting still "
        f"buys you: which information would change your mind, and by when?"
    )


def decision_review_due(question: str, chosen: str, expected: str, confidence: Decimal) -> str:
    percent = f"{(confidence * 100).normalize():f}"
    return (
        f"Your decision {quoted(question)} is due for review: you chose {quoted(chosen, 80)}, "
        f"expecting {quoted(expected)} (confidence {percent} %). What happened, and was the "
        f"way you decided sound, apart from how it turned out?"
    )


def kr_check_in_overdue(title: str, days: int, cadence: int) -> str:
    return (
        f"No check-in on {quoted(title)} for {plural(days, 'day')} (agreed: every "
        f"{plural(cadence, 'day')}). Where does it stand, and how confident are you now?"
    )


def delegation_check_in_overdue(owner: str, title: str, days: int, cadence: int) -> str:
    return (
        f"No check-in from {owner} on {quoted(title)} for {plural(days, 'day')} (agreed: every "
        f"{plural(cadence, 'day')}). Is the work stuck, or is the rhythm wrong?"
    )


def action_item_due(text: str, team: str, period: str, due: str) -> str:
    return (
        f"The action item {quoted(text)} from {team}'s retro ({period}) is due on {due}. "
        f"Is it done, or should it be dropped or carried over?"
    )

"""A person's prompt inbox and reflection journal (docs/metrics.md §8)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from projections._query import columns, evaluated_at, stamp, when
from projections._sql import Row
from projections.views import KoersViews

__all__ = [
    "InboxItem",
    "JournalEntry",
    "PromptInbox",
    "ReflectionJournal",
    "prompt_inbox",
    "reflection_journal",
]


@dataclass(frozen=True)
class InboxItem:
    prompt_id: str
    kind: str
    question: str
    triggered_by: list[str]
    issued_at: str
    state: str  # open, or snoozed
    snoozed_until: str | None


@dataclass(frozen=True)
class PromptInbox:
    person: str
    at: str
    position: int
    open: list[InboxItem]  # open, and snoozed ones whose snooze has ended
    snoozed: list[InboxItem]  # still snoozed at ``at``


@dataclass(frozen=True)
class JournalEntry:
    prompt_id: str
    kind: str
    question: str
    triggered_by: list[str]
    issued_at: str
    answered_at: str
    answer: str


@dataclass(frozen=True)
class ReflectionJournal:
    person: str
    position: int
    entries: list[JournalEntry]  # oldest answer first
    answered: int
    dismissed: int
    unanswered: int


def _prompts(views: KoersViews, person: str) -> list[Row]:
    return views.rows("SELECT * FROM prompts WHERE person = ? ORDER BY position", person)


def _item(row: Row) -> InboxItem:
    return InboxItem(**_prompt(row), **columns(row, "state", "snoozed_until"))


def _prompt(row: Row) -> dict[str, Any]:
    """What an inbox item and a journal entry both show of a prompt."""
    return {
        **columns(row, "prompt_id", "kind", "question", "issued_at"),
        "triggered_by": json.loads(row["triggered_by"]),
    }


def prompt_inbox(views: KoersViews, person: str, at: datetime | None = None) -> PromptInbox:
    """The prompts waiting for ``person`` at ``at``, oldest first."""
    moment = evaluated_at(views, at)
    rows = _prompts(views, person)

    def sleeping(row: Row) -> bool:
        until = when(row["snoozed_until"])
        return row["state"] == "snoozed" and until is not None and until > moment

    return PromptInbox(
        person=person,
        at=stamp(moment),
        position=views.position,
        open=[_item(r) for r in rows if r["state"] in ("open", "snoozed") and not sleeping(r)],
        snoozed=[_item(r) for r in rows if sleeping(r)],
    )


def reflection_journal(views: KoersViews, person: str) -> ReflectionJournal:
    """Every answer ``person`` gave to a prompt: their reflection journal."""
    rows = _prompts(views, person)
    answered = sorted(
        (r for r in rows if r["state"] == "answered"),
        key=lambda r: (r["answered_at"], int(r["position"])),
    )
    return ReflectionJournal(
        person=person,
        position=views.position,
        entries=[
            JournalEntry(**_prompt(r), **columns(r, "answered_at", "answer")) for r in answered
        ],
        answered=len(answered),
        dismissed=sum(1 for r in rows if r["state"] == "dismissed"),
        unanswered=sum(1 for r in rows if r["state"] in ("open", "snoozed")),
    )

"""What a trigger decides to do: issue a prompt, set a schedule, cancel one.

Triggers only *decide* (they may read the ledger); the consumer carries the actions out.
Every prompt's ``key`` is derived from what triggered it, so redelivery, a restart or a second
replica computes the same key, and the application issues the prompt once
(``Koers.issue_prompt`` is idempotent by key: the key derives the prompt's id).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["Action", "CancelSchedule", "IssuePrompt", "SetSchedule"]


@dataclass(frozen=True)
class IssuePrompt:
    key: str
    to: str
    kind: str
    question: str
    triggered_by: tuple[str, ...]
    #: when the triggering message was stored (for the event-to-prompt latency metric)
    since: datetime | None = None


@dataclass(frozen=True)
class SetSchedule:
    """Fire ``due.<kind>.<ident>`` at ``due`` (replacing any earlier schedule of it)."""

    kind: str
    ident: str
    due: datetime
    body: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CancelSchedule:
    kind: str
    ident: str


Action = IssuePrompt | SetSchedule | CancelSchedule

"""Reflection prompts: a question for one person, answered, snoozed or dismissed.

Answers are events too: together they are the person's reflection journal. A prompt's id
is derived from what triggered it, so the same trigger never issues it twice.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ledger.domain._base import KoersAggregate, one_person, required_text
from ledger.domain._clock import now
from ledger.errors import InvalidValue, NotAllowed

__all__ = ["Prompt", "PromptState"]


class PromptState(Enum):
    OPEN = "open"
    SNOOZED = "snoozed"
    ANSWERED = "answered"
    DISMISSED = "dismissed"


class Prompt(KoersAggregate):
    """A question put to one person, with links to what prompted it."""

    if TYPE_CHECKING:  # attributes, not dataclass fields
        to: str
        question: str
        kind: str
        triggered_by: tuple[str, ...]
        state: PromptState
        snoozed_until: datetime | None
        answer: str | None

    class Issued(KoersAggregate.Created):
        to: str
        question: str
        kind: str
        triggered_by: tuple[str, ...]

        def apply(self, p: Prompt) -> None:
            p.to, p.question, p.kind, p.triggered_by = (
                self.to,
                self.question,
                self.kind,
                self.triggered_by,
            )
            p.state, p.snoozed_until, p.answer = PromptState.OPEN, None, None

    class Answered(KoersAggregate.Event):
        answer: str

        def apply(self, p: Prompt) -> None:
            p.state, p.answer = PromptState.ANSWERED, self.answer

    class Snoozed(KoersAggregate.Event):
        until: datetime

        def apply(self, p: Prompt) -> None:
            p.state, p.snoozed_until = PromptState.SNOOZED, self.until

    class Dismissed(KoersAggregate.Event):
        reason: str

        def apply(self, p: Prompt) -> None:
            p.state = PromptState.DISMISSED

    @classmethod
    def issue(cls, *, id: UUID, actor: str, command_id: str = "", **f: Any) -> Prompt:
        return cls._create(
            cls.Issued,
            id=id,
            actor=actor,
            command_id=command_id,
            to=one_person("to", f["to"]),
            question=required_text("question", f["question"], 1000),
            kind=required_text("kind", f["kind"], 60),
            triggered_by=tuple(f.get("triggered_by", ())),
        )

    def _answerable(self, actor: str) -> None:
        if self.state in (PromptState.ANSWERED, PromptState.DISMISSED):
            raise NotAllowed(f"this prompt is {self.state.value} already")
        if actor != self.to:
            raise NotAllowed(
                f"this prompt is for {self.to}; only they answer, snooze or dismiss it"
            )

    def answer_it(self, *, actor: str, answer: str, command_id: str = "") -> None:
        self._answerable(actor)
        self.trigger_event(
            self.Answered,
            actor=actor,
            command_id=command_id,
            answer=required_text("answer", answer),
        )

    def snooze(self, *, actor: str, until: datetime, command_id: str = "") -> None:
        self._answerable(actor)
        if until.tzinfo is None or until <= now():
            raise InvalidValue("until", "snooze until a moment in the future (with a time zone)")
        self.trigger_event(self.Snoozed, actor=actor, command_id=command_id, until=until)

    def dismiss(self, *, actor: str, reason: str = "", command_id: str = "") -> None:
        self._answerable(actor)
        self.trigger_event(
            self.Dismissed, actor=actor, command_id=command_id, reason=reason.strip()
        )

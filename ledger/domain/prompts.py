"""Reflection prompts: a question for one person, answered, snoozed or dismissed.

Answers are events too: together they are the person's reflection journal. A prompt's id
is derived from what triggered it, so the same trigger never issues it twice.

Invariants: only the person a prompt is for answers, snoozes or dismisses it, and only while
it is open or snoozed; a snooze lasts until a moment in the future (at most 10 years ahead).
The commands are declared once below (``PROMPT_COMMANDS``); the aggregate's methods check
their values through those declarations.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from ledger.domain._base import Given, KoersAggregate, changes, creates
from ledger.domain._clock import now
from ledger.domain._commands import Command
from ledger.domain._fields import Handle, Moment, Text, Texts
from ledger.domain.access import RECIPIENT, SERVICE
from ledger.errors import InvalidValue, NotAllowed

__all__ = ["PROMPT_COMMANDS", "Prompt", "PromptState"]


class PromptState(Enum):
    OPEN = "open"
    SNOOZED = "snoozed"
    ANSWERED = "answered"
    DISMISSED = "dismissed"


# -- the commands ---------------------------------------------------------------------------------

ISSUE_PROMPT = Command(
    "prompt.issue",
    "Put a reflection question to someone.",
    (
        Handle(name="to", help="Who the question is for.", example="bram"),
        Text(
            name="question",
            help="The question.",
            most=1000,
            example="What did the outage teach you?",
        ),
        Text(
            name="kind",
            help="What kind of prompt (e.g. weekly_review).",
            most=60,
            line=True,
            default="manual",
            example="weekly_review",
        ),
        Texts(
            name="triggered_by",
            help="What prompted it, e.g. 'decision:<id>@<version>' (repeat for more).",
            most=100,
            each=200,
            default=(),
            example=["weekly:2026-W48"],
        ),
    ),
    creates=True,
    example="--to bram --question 'What did the outage teach you?' --kind weekly_review",
    event="Issued",
    may=(SERVICE,),
)
ANSWER_PROMPT = Command(
    "prompt.answer",
    "Answer a prompt (only the person it is for); the answer goes into their journal.",
    (
        Text(
            name="answer",
            help="Your answer (it goes into your journal).",
            most=10_000,
            example="Our alerts fire too late",
        ),
    ),
    example="<id> --answer 'Our alerts fire too late' --as bram",
    event="Answered",
    method="answer_it",
    may=(RECIPIENT,),
)
SNOOZE_PROMPT = Command(
    "prompt.snooze",
    "Snooze a prompt until a moment in the future.",
    (
        Moment(
            name="until",
            help="Until when (in the future), e.g. 2026-12-01T09:00+01:00.",
            past=False,
            example="2026-12-01T09:00:00+01:00",
        ),
    ),
    example="<id> --until 2026-12-01T09:00+01:00 --as bram",
    event="Snoozed",
    may=(RECIPIENT,),
)
DISMISS_PROMPT = Command(
    "prompt.dismiss",
    "Dismiss a prompt.",
    (
        Text(
            name="reason",
            help="Why (optional).",
            most=2000,
            default="",
            example="Covered in the retro",
        ),
    ),
    example="<id> --reason 'Covered in the retro' --as bram",
    event="Dismissed",
    may=(RECIPIENT,),
)

PROMPT_COMMANDS = (ISSUE_PROMPT, ANSWER_PROMPT, SNOOZE_PROMPT, DISMISS_PROMPT)


class _PromptGiven(Given):
    """What a prompt starts with: its Issued event's fields, its first attributes."""

    to: str
    question: str
    kind: str
    triggered_by: tuple[str, ...]


class Prompt(_PromptGiven, KoersAggregate):
    """A question put to one person, with links to what prompted it."""

    if TYPE_CHECKING:  # attributes, not dataclass fields
        state: PromptState
        snoozed_until: datetime | None
        answer: str | None

    class Issued(_PromptGiven, KoersAggregate.Created):
        def apply(self, p: Prompt) -> None:
            self.adopt(p)
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

    issue = creates(ISSUE_PROMPT)

    def _answerable(self, actor: str, *_: Any) -> None:
        if self.state in (PromptState.ANSWERED, PromptState.DISMISSED):
            raise NotAllowed(f"this prompt is {self.state.value} already")
        if actor != self.to:
            raise NotAllowed(
                f"this prompt is for {self.to}; only they answer, snooze or dismiss it"
            )

    answer_it = changes(ANSWER_PROMPT, _answerable)

    def snooze(self, *, actor: str, command_id: str = "", **values: Any) -> None:
        checked = SNOOZE_PROMPT.check(values)
        self._answerable(actor)
        if checked["until"] <= now():
            raise InvalidValue(
                "until",
                f"{checked['until'].isoformat()} is not in the future: snooze until "
                "a moment in the future (with a time zone)",
            )
        self.trigger_event(self.Snoozed, actor=actor, command_id=command_id, **checked)

    dismiss = changes(DISMISS_PROMPT, _answerable)

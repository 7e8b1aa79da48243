"""Issuing prompts: many in one atomic save, each at most once.

A prompt's id is derived from its key (``command_key_id("Prompt", key)``, exactly as
``Koers.issue_prompt`` derives it), and its ``Issued`` event records the key, so a prompt
issued here and one issued through ``Koers.issue_prompt`` with the same key are the same
prompt. The prompts of a batch are saved together, one atomic write (one fsync) for all; the
store refuses that write when any of them exists already (each new aggregate's first event
expects its subjects to be empty), and then each is issued on its own through
``Koers.issue_prompt``, which finds the existing ones and issues the rest: exactly once either
way, whether the other was a redelivery, a restarted worker or a second replica.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import IntegrityError

from ledger.application import Koers
from ledger.domain import Prompt, command_key_id, proved_by
from ledger.domain.prompts import ISSUE_PROMPT
from ledger.errors import DomainError
from workers._actions import IssuePrompt
from workers._metrics import Metrics

__all__ = ["Issuer"]


def _values(p: IssuePrompt) -> dict[str, Any]:
    """The prompt's values for the table's ``prompt.issue`` (each of its fields, by name)."""
    return {field.name: getattr(p, field.name) for field in ISSUE_PROMPT.fields}


class Issuer:
    def __init__(self, app: Koers, actor: str, metrics: Metrics) -> None:
        self.app = app
        self.actor = actor
        self.metrics = metrics

    def issue_all(self, prompts: list[IssuePrompt]) -> dict[int, BaseException]:
        """Issue every prompt (call from a thread); the errors, by index, of those that failed.
        The prompts record the workers' credential, ``service:<actor>``."""
        with proved_by(f"service:{self.actor}"):
            return self._issue_all(prompts)

    def _issue_all(self, prompts: list[IssuePrompt]) -> dict[int, BaseException]:
        errors: dict[int, BaseException] = {}
        made: list[tuple[int, Prompt]] = []
        for index, p in enumerate(prompts):
            try:
                made.append((index, self._make(p)))
            except DomainError as e:
                errors[index] = e
        if not made:
            return errors
        try:
            self.app.save(*(prompt for _, prompt in made))
        except IntegrityError:  # one of them exists: issue each on its own
            for index, _ in made:
                try:
                    self._one(prompts[index])
                except Exception as e:
                    errors[index] = e
            return errors
        for index, _ in made:
            self._issued(prompts[index])
        return errors

    def _make(self, p: IssuePrompt) -> Prompt:
        return Prompt.issue(
            id=command_key_id("Prompt", p.key), actor=self.actor, command_id=p.key, **_values(p)
        )

    def _one(self, p: IssuePrompt) -> None:
        receipt = self.app.issue_prompt(
            actor=self.actor,
            key=p.key,
            **_values(p),
        )
        if receipt.replayed:
            self.metrics.replayed.labels(p.kind).inc()
        else:
            self._issued(p)

    def _issued(self, p: IssuePrompt) -> None:
        self.metrics.issued.labels(p.kind).inc()
        if p.since is not None:
            self.metrics.latency.observe((datetime.now(UTC) - p.since).total_seconds())

"""What to do when a schedule fires: check the ledger *now*, then prompt (or not).

A schedule is only a wake-up call. Each handler reloads the aggregate and prompts only when
the reason still holds (the decision is still unreviewed, the key result still open and
still without a check-in, …), so a stale schedule (a cancel that came late, a redelivered
check-in that re-armed an old due time) never prompts wrongly. Overdue check-ins re-arm
the schedule one cadence later, so a silent key result is asked about once per cadence.

Prompt keys: ``decision_decide_by_due/<decision>``, ``decision_review_due/<decision>``,
``action_item_due/<retro>/<item>``,
``delegation_check_in_to_acknowledge/<delegation>/<check-in>`` (asked of the delegator
``ACK_WITHIN`` after a check-in still unacknowledged then),
``kr_check_in_overdue/<kr>/<last check-in time>/<n>`` and
``delegation_check_in_overdue/<delegation>/<last check-in time>/<n>``, where ``n`` counts the
cadences elapsed since that check-in (one prompt per cadence, however often the schedule fires).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from ledger.domain import (
    ActionState,
    Decision,
    DecisionStatus,
    Delegation,
    DelegationStatus,
    KeyResult,
    Retro,
    Status,
)
from ledger.errors import NotFound
from ledger.settings import WorkerSettings
from workers import _questions as q
from workers._actions import Action, IssuePrompt, SetSchedule
from workers._decode import BadMessage
from workers._triggers import ACK_WITHIN, Reader, due_at

__all__ = ["DueHandlers"]

#: a schedule that fires this much before its reason holds is re-armed, not acted on
EARLY = timedelta(seconds=1)


class DueHandlers:
    def __init__(self, reader: Reader, settings: WorkerSettings) -> None:
        self.reader = reader
        self.settings = settings
        self._table: dict[str, Callable[[str, datetime], list[Action]]] = {
            "decision_decide_by": self._decision_decide_by,
            "decision_review": self._decision_review,
            "kr_check_in": self._kr_check_in,
            "delegation_check_in": self._delegation_check_in,
            "delegation_ack": self._delegation_ack,
            "action_item": self._action_item,
        }

    def kinds(self) -> frozenset[str]:
        return frozenset(self._table)

    def handle(self, kind: str, ident: str, now: datetime | None = None) -> list[Action]:
        """The actions for a fired schedule (reads the ledger: call it from a thread)."""
        handler = self._table.get(kind)
        if handler is None:
            raise BadMessage(f"no handler for schedules of kind {kind!r}")
        try:
            return handler(ident, now or datetime.now(UTC))
        except NotFound:
            return []  # nothing to remind anyone of

    def _decision_decide_by(self, ident: str, now: datetime) -> list[Action]:
        decision = self.reader.load(Decision, _uuid(ident))
        if decision.status is not DecisionStatus.OPEN:
            return []
        due = due_at(decision.decide_by, self.settings)
        if due - now > EARLY:
            return [SetSchedule("decision_decide_by", ident, due)]
        question = q.decide_by_due(
            decision.question, decision.decide_by.isoformat(), decision.information_level
        )
        return [_to_decider("decision_decide_by_due", ident, decision, question, decision.version)]

    def _decision_review(self, ident: str, now: datetime) -> list[Action]:
        decision_id = _uuid(ident)
        decision = self.reader.load(Decision, decision_id)
        if decision.status is not DecisionStatus.DECIDED or decision.review_on is None:
            return []
        due = due_at(decision.review_on, self.settings)
        if due - now > EARLY:
            return [SetSchedule("decision_review", ident, due)]
        made = _last(self.reader.event_history(decision_id), Decision.Made)
        chosen = next((o.title for o in decision.options if o.key == decision.chosen), "")
        question = q.decision_review_due(
            decision.question,
            chosen or str(decision.chosen),
            made.expected_outcome,
            made.confidence,
        )
        return [
            _to_decider("decision_review_due", ident, decision, question, made.originator_version)
        ]

    def _kr_check_in(self, ident: str, now: datetime) -> list[Action]:
        kr_id = _uuid(ident)
        kr = self.reader.load(KeyResult, kr_id)
        if kr.status is not Status.OPEN:
            return []
        events = self.reader.event_history(kr_id)
        last = _last(events, KeyResult.CheckedIn, KeyResult.Added)
        return self._overdue(
            "kr_check_in",
            ident,
            now,
            last,
            kr.cadence_days,
            to=kr.owner,
            trigger="key_result",
            question=lambda days: q.kr_check_in_overdue(kr.title, days, kr.cadence_days),
        )

    def _delegation_check_in(self, ident: str, now: datetime) -> list[Action]:
        delegation_id = _uuid(ident)
        delegation = self.reader.load(Delegation, delegation_id)
        if delegation.status is not DelegationStatus.ACTIVE:
            return []
        last = _last(
            self.reader.event_history(delegation_id), Delegation.CheckedIn, Delegation.Delegated
        )
        return self._overdue(
            "delegation_check_in",
            ident,
            now,
            last,
            delegation.cadence_days,
            to=delegation.delegator,
            trigger="delegation",
            question=lambda days: q.delegation_check_in_overdue(
                delegation.owner, delegation.title, days, delegation.cadence_days
            ),
        )

    def _delegation_ack(self, ident: str, now: datetime) -> list[Action]:
        """A check-in still unacknowledged (its delegation still active): ask its delegator."""
        delegation_part, _, check_in_part = ident.partition(".")
        delegation_id, check_in_id = _uuid(delegation_part), _uuid(check_in_part)
        delegation = self.reader.load(Delegation, delegation_id)
        check_in = delegation.check_ins.get(check_in_id)
        if delegation.status is not DelegationStatus.ACTIVE or not check_in or (
            check_in["acknowledged"]
        ):  # fmt: skip
            return []
        due = check_in["at"] + ACK_WITHIN
        if due - now > EARLY:
            return [SetSchedule("delegation_ack", ident, due)]
        [made] = [e for e in self.reader.event_history(delegation_id)
                  if isinstance(e, Delegation.CheckedIn)
                  and e.check_in_id == check_in_id]  # fmt: skip
        question = q.acknowledge_check_in(
            delegation.owner, delegation.title, made.status.value.replace("_", " "), made.progress
        )
        kind = "delegation_check_in_to_acknowledge"
        return [
            IssuePrompt(
                key=f"{kind}/{delegation_id}/{check_in_id}",
                to=delegation.delegator,
                kind=kind,
                question=question,
                triggered_by=(f"delegation:{delegation_id}@{made.originator_version}",),
            )
        ]

    def _overdue(
        self,
        kind: str,
        ident: str,
        now: datetime,
        last: Any,
        cadence_days: int,
        *,
        to: str,
        trigger: str,
        question: Callable[[int], str],
    ) -> list[Action]:
        """A check-in (``kind``) is due ``cadence_days`` after the ``last`` event that counts:
        re-arm a schedule that fired early; else ask ``to`` (``<kind>_overdue``, one prompt per
        missed cadence, triggered by ``<trigger>:<ident>@<last's version>``) and schedule the
        next reminder."""
        at, version = last.timestamp, last.originator_version
        cadence = timedelta(days=cadence_days)
        if at + cadence - now > EARLY:
            return [SetSchedule(kind, ident, at + cadence)]  # fired early (stale): re-arm
        cadences = max(1, int((now - at + EARLY) / cadence))
        prompt_kind = f"{kind}_overdue"
        return [
            IssuePrompt(
                key=f"{prompt_kind}/{ident}/v{version}/{cadences}",
                to=to,
                kind=prompt_kind,
                question=question((now - at).days),
                triggered_by=(f"{trigger}:{ident}@{version}",),
            ),
            SetSchedule(kind, ident, at + cadence * (cadences + 1)),
        ]

    def _action_item(self, ident: str, now: datetime) -> list[Action]:
        retro_part, _, item_part = ident.partition(".")
        retro = self.reader.load(Retro, _uuid(retro_part))
        item_id = _uuid(item_part)
        action = retro.actions.get(item_id)
        if action is None or action["state"] is not ActionState.OPEN:
            return []
        due = due_at(action["due"], self.settings)
        if due - now > EARLY:
            return [SetSchedule("action_item", ident, due)]
        added = next(
            e
            for e in self.reader.event_history(retro.id)
            if isinstance(e, Retro.ActionItemAdded) and e.item_id == item_id
        )
        return [
            IssuePrompt(
                key=f"action_item_due/{retro_part}/{item_part}",
                to=action["owner"],
                kind="action_item_due",
                question=q.action_item_due(
                    action["text"], retro.team, retro.period, action["due"].isoformat()
                ),
                triggered_by=(f"retro:{retro_part}@{added.originator_version}",),
            )
        ]


def _to_decider(
    kind: str, ident: str, decision: Decision, question: str, version: int
) -> IssuePrompt:
    """The prompt ``kind`` about decision ``ident`` to its decider, from its ``version``."""
    trigger = f"decision:{ident}@{version}"
    return IssuePrompt(key=f"{kind}/{ident}", to=decision.decider, kind=kind,
                       question=question, triggered_by=(trigger,))  # fmt: skip


def _uuid(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise BadMessage(f"{text!r} is not an id") from None


def _last(events: list[Any], *classes: type[Any]) -> Any:
    """The last event of the first class in ``classes`` that occurs at all."""
    for cls in classes:
        found = [e for e in events if isinstance(e, cls)]
        if found:
            return found[-1]
    raise NotFound("event", classes[0].__qualname__)

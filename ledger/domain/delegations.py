"""Delegations: one owner, a clear why and result, boundaries, decision rights, a rhythm.

Invariants:
- exactly one owner, distinct from the delegator; a decision-rights level from the seven
  levels of delegation; a check-in cadence in days and a due date;
- check-ins come from the owner; only the delegator acknowledges one, once;
- renegotiation (by the delegator or the owner) needs a reason; completion (with feedback and
  feedforward) and revocation, both by the delegator, end the delegation; an ended
  delegation takes no more changes.
"""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ledger.domain._base import (
    KoersAggregate,
    choice,
    one_person,
    required_text,
    still_open,
    whole_in_range,
)
from ledger.errors import InvalidValue, NotAllowed

__all__ = ["CheckInStatus", "Delegation", "DelegationLevel", "DelegationStatus"]


class DelegationLevel(Enum):
    """The seven levels of delegation, from "I decide" to "you decide"."""

    TELL = "tell"
    SELL = "sell"
    CONSULT = "consult"
    AGREE = "agree"
    ADVISE = "advise"
    INQUIRE = "inquire"
    DELEGATE = "delegate"


class DelegationStatus(Enum):
    ACTIVE = "active"
    COMPLETED = "completed"
    REVOKED = "revoked"


class CheckInStatus(Enum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BLOCKED = "blocked"


class Delegation(KoersAggregate):
    """Work handed to one owner, with the rhythm to follow it up."""

    if TYPE_CHECKING:  # attributes, not dataclass fields
        delegator: str
        owner: str
        title: str
        why: str
        desired_result: str
        boundaries: str
        level: DelegationLevel
        cadence_days: int
        due: date
        status: DelegationStatus
        check_ins: dict[UUID, dict[str, Any]]

    class Delegated(KoersAggregate.Created):
        delegator: str
        owner: str
        title: str
        why: str
        desired_result: str
        boundaries: str
        level: DelegationLevel
        cadence_days: int
        due: date

        def apply(self, d: Delegation) -> None:
            d.delegator, d.owner, d.title, d.why = self.delegator, self.owner, self.title, self.why
            d.desired_result, d.boundaries, d.level = (
                self.desired_result,
                self.boundaries,
                self.level,
            )
            d.cadence_days, d.due = self.cadence_days, self.due
            d.status, d.check_ins = DelegationStatus.ACTIVE, {}

    class CheckedIn(KoersAggregate.Event):
        check_in_id: UUID
        status: CheckInStatus
        progress: str

        def apply(self, d: Delegation) -> None:
            d.check_ins[self.check_in_id] = {
                "at": self.timestamp,
                "status": self.status,
                "acknowledged": False,
            }

    class CheckInAcknowledged(KoersAggregate.Event):
        check_in_id: UUID
        note: str

        def apply(self, d: Delegation) -> None:
            d.check_ins[self.check_in_id]["acknowledged"] = True

    class Renegotiated(KoersAggregate.Event):
        due: date
        boundaries: str
        level: DelegationLevel
        reason: str

        def apply(self, d: Delegation) -> None:
            d.due, d.boundaries, d.level = self.due, self.boundaries, self.level

    class Completed(KoersAggregate.Event):
        feedback: str
        feedforward: str

        def apply(self, d: Delegation) -> None:
            d.status = DelegationStatus.COMPLETED

    class Revoked(KoersAggregate.Event):
        reason: str

        def apply(self, d: Delegation) -> None:
            d.status = DelegationStatus.REVOKED

    @classmethod
    def delegate(cls, *, id: UUID, actor: str, command_id: str = "", **f: Any) -> Delegation:
        delegator = one_person("delegator", f.get("delegator") or actor)
        owner = one_person("owner", f["owner"])
        if owner == delegator:
            raise InvalidValue("owner", "you cannot delegate to yourself: name the new owner")
        return cls._create(
            cls.Delegated,
            id=id,
            actor=actor,
            command_id=command_id,
            delegator=delegator,
            owner=owner,
            title=required_text("title", f["title"], 200),
            why=required_text("why", f["why"]),
            desired_result=required_text("desired_result", f["desired_result"]),
            boundaries=f.get("boundaries", "").strip(),
            level=choice("level", DelegationLevel, f["level"]),
            cadence_days=whole_in_range("cadence", int(f.get("cadence_days", 7)), 1, 92),
            due=f["due"],
        )

    def _must_be_active(self) -> None:
        still_open(
            self.status is DelegationStatus.ACTIVE,
            f"this delegation is {self.status.value}: it takes no more changes",
        )

    def check_in(
        self, *, actor: str, check_in_id: UUID, status: str, progress: str, command_id: str = ""
    ) -> None:
        self._must_be_active()
        if actor != self.owner:
            raise NotAllowed(f"check-ins come from the owner ({self.owner}), not {actor}")
        self.trigger_event(
            self.CheckedIn,
            actor=actor,
            command_id=command_id,
            check_in_id=check_in_id,
            status=choice("status", CheckInStatus, status),
            progress=required_text("progress", progress),
        )

    def acknowledge(
        self, *, actor: str, check_in_id: UUID, note: str = "", command_id: str = ""
    ) -> None:
        self._must_be_active()
        if actor != self.delegator:
            raise NotAllowed(
                f"the delegator ({self.delegator}) acknowledges check-ins, not {actor}"
            )
        entry = self.check_ins.get(check_in_id)
        if entry is None:
            raise InvalidValue("check_in", f"this delegation has no check-in {check_in_id}")
        if entry["acknowledged"]:
            raise NotAllowed("this check-in is acknowledged already")
        self.trigger_event(
            self.CheckInAcknowledged,
            actor=actor,
            command_id=command_id,
            check_in_id=check_in_id,
            note=note.strip(),
        )

    def renegotiate(
        self,
        *,
        actor: str,
        reason: str,
        due: date | None = None,
        boundaries: str | None = None,
        level: str | None = None,
        command_id: str = "",
    ) -> None:
        self._must_be_active()
        if actor not in (self.delegator, self.owner):
            raise NotAllowed(
                f"a delegation is renegotiated by its delegator ({self.delegator}) or owner "
                f"({self.owner}), not {actor}"
            )
        self.trigger_event(
            self.Renegotiated,
            actor=actor,
            command_id=command_id,
            due=due or self.due,
            boundaries=self.boundaries if boundaries is None else boundaries.strip(),
            level=self.level if level is None else choice("level", DelegationLevel, level),
            reason=required_text("reason", reason),
        )

    def complete(
        self, *, actor: str, feedback: str, feedforward: str, command_id: str = ""
    ) -> None:
        self._must_be_active()
        if actor != self.delegator:
            raise NotAllowed(
                f"the delegator ({self.delegator}) completes a delegation, not {actor}"
            )
        self.trigger_event(
            self.Completed,
            actor=actor,
            command_id=command_id,
            feedback=required_text("feedback", feedback),
            feedforward=required_text("feedforward", feedforward),
        )

    def revoke(self, *, actor: str, reason: str, command_id: str = "") -> None:
        self._must_be_active()
        if actor != self.delegator:
            raise NotAllowed(f"the delegator ({self.delegator}) revokes a delegation, not {actor}")
        self.trigger_event(
            self.Revoked, actor=actor, command_id=command_id, reason=required_text("reason", reason)
        )

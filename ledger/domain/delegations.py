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
    Given,
    Guard,
    KoersAggregate,
    changes,
    cited_nothing,
    still_open,
)
from ledger.domain._commands import ACTOR, Command
from ledger.domain._fields import CADENCE, CITES, REASON, Choice, Day, Handle, Ref, Text
from ledger.domain.access import DELEGATOR, ITS_OWNER, LEAD
from ledger.errors import InvalidValue, NotAllowed

__all__ = [
    "DELEGATION_COMMANDS",
    "CheckInStatus",
    "Delegation",
    "DelegationGiven",
    "DelegationLevel",
    "DelegationStatus",
]


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


# -- the commands ---------------------------------------------------------------------------------

_LEVEL_HELP = "Decision rights: tell, sell, consult, agree, advise, inquire or delegate."

DELEGATE = Command(
    "delegation.create",
    "Delegate work to one owner (you, the actor, are the delegator).",
    (
        Handle(name="owner", help="The one new owner (not the delegator).", example="bram"),
        Text(name="title", help="What is delegated.", most=200, line=True, example="Hiring plan"),
        Text(name="why", help="Why, and why them.", example="You know the team best"),
        Text(
            name="desired_result",
            option="result",
            help="The desired result.",
            example="A plan for 3 hires",
        ),
        Text(
            name="boundaries", help="Budget, time, what not to do.", default="", example="No hires"
        ),
        Choice(name="level", of=DelegationLevel, help=_LEVEL_HELP, example="agree"),
        CADENCE,
        Day(name="due", help="Due date.", example="2026-12-20"),
        CITES,
    ),
    creates=True,
    runs="delegate",
    method="delegate",
    example="--owner bram --title 'Hiring plan' --why 'You know the team best' "
    "--result 'A plan for 3 hires' --level agree --due 2026-12-20 --as ann",
    event="Delegated",
    may=(LEAD,),
)
CHECK_IN = Command(
    "delegation.check_in",
    "Check in on a delegation (the owner does).",
    (
        Choice(
            name="status", of=CheckInStatus, help="on_track, at_risk or blocked.", example="at_risk"
        ),
        Text(name="progress", help="Where it stands.", example="2 of 3 roles approved"),
    ),
    route="check-ins",
    runs="delegation_check_in",
    example="<id> --status at_risk --progress '2 of 3 roles approved' --as bram",
    event="CheckedIn",
    part="check_in_id",
    may=(ITS_OWNER,),
)
ACKNOWLEDGE = Command(
    "delegation.ack",
    "Acknowledge an owner's check-in (the delegator does, once).",
    (
        Ref(
            name="check_in_id",
            option="check-in",
            kind="check_in",
            help="The check-in's id (koers delegation show).",
        ),
        Text(name="note", help="A note back.", default="", example="Ask finance"),
    ),
    route="check-ins/{check_in_id}/acknowledge",
    runs="acknowledge_check_in",
    method="acknowledge",
    example="<id> --check-in <id> --note 'Ask finance' --as ann",
    event="CheckInAcknowledged",
    may=(DELEGATOR,),
)
RENEGOTIATE = Command(
    "delegation.renegotiate",
    "Renegotiate the due date, the boundaries or the decision-rights level (with a reason).",
    (
        REASON,
        Day(name="due", help="A new due date.", default=None, example="2027-01-15"),
        Text(name="boundaries", help="New boundaries.", default=None, example="One contractor"),
        Choice(
            name="level",
            of=DelegationLevel,
            help="A new decision-rights level.",
            default=None,
            example="advise",
        ),
    ),
    runs="renegotiate",
    example="<id> --due 2027-01-15 --reason 'The budget arrives in January' --as bram",
    event="Renegotiated",
    may=(DELEGATOR, ITS_OWNER),
)
COMPLETE = Command(
    "delegation.complete",
    "Complete a delegation with feedback and feedforward (the delegator does).",
    (
        Text(name="feedback", help="What went well and what did not.", example="Clear plan"),
        Text(name="feedforward", help="What to do next time.", example="Involve finance sooner"),
    ),
    example="<id> --feedback 'Clear plan, on time' --feedforward 'Involve finance sooner' --as ann",
    event="Completed",
    may=(DELEGATOR,),
)
REVOKE = Command(
    "delegation.revoke",
    "Revoke a delegation (the delegator does).",
    (REASON,),
    example="<id> --reason 'Hiring is frozen' --as ann",
    event="Revoked",
    may=(DELEGATOR,),
)

DELEGATION_COMMANDS = (DELEGATE, CHECK_IN, ACKNOWLEDGE, RENEGOTIATE, COMPLETE, REVOKE)
#: Who delegates: the actor, unless a trusted caller (the demo, an import) names someone.
_DELEGATOR = Handle(name="delegator", help="Who delegates (default: the actor).")


def _delegator_only(does: str) -> Guard:
    """A guard: the delegation is active, and its delegator ``does`` the change."""

    def guard(d: Delegation, actor: str, _: Any) -> None:
        d._must_be_active()
        d._only(d.delegator, actor, does)

    return guard


class DelegationGiven(Given):
    """What a delegation starts with: its Delegated event's fields, its first attributes."""

    delegator: str
    owner: str
    title: str
    why: str
    desired_result: str
    boundaries: str
    level: DelegationLevel
    cadence_days: int
    due: date


class Delegation(DelegationGiven, KoersAggregate):
    """Work handed to one owner, with the rhythm to follow it up."""

    if TYPE_CHECKING:  # attributes, not dataclass fields
        status: DelegationStatus
        check_ins: dict[UUID, dict[str, Any]]

    class Delegated(DelegationGiven, KoersAggregate.Created):
        """A delegation made. v3: ``cites`` (what led to it; none before)."""

        class_version = 3

        cites: UUID | None

        upcast_v2_v3 = staticmethod(cited_nothing)

        def apply(self, d: Delegation) -> None:
            self.adopt(d)
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
    def delegate(
        cls,
        *,
        id: UUID,
        actor: str,
        command_id: str = "",
        delegator: str | None = None,
        **values: Any,
    ) -> Delegation:
        checked = DELEGATE.check(values)
        who = _DELEGATOR.check(delegator) if delegator else ACTOR.check(actor)
        if checked["owner"] == who:
            raise InvalidValue("owner", "you cannot delegate to yourself: name the new owner")
        return cls._create(
            cls.Delegated, id=id, actor=actor, command_id=command_id, delegator=who, **checked
        )

    def _must_be_active(self) -> None:
        still_open(
            self.status is DelegationStatus.ACTIVE,
            f"this delegation is {self.status.value}: it takes no more changes",
        )

    def _only(self, who: str, actor: str, does: str) -> None:
        if actor != who:
            raise NotAllowed(f"the delegator ({who}) {does}, not {actor}")

    def check_in(
        self, *, actor: str, check_in_id: UUID, command_id: str = "", **values: Any
    ) -> None:
        checked = CHECK_IN.check(values)
        self._must_be_active()
        if actor != self.owner:
            raise NotAllowed(f"check-ins come from the owner ({self.owner}), not {actor}")
        self.trigger_event(
            self.CheckedIn, actor=actor, command_id=command_id, check_in_id=check_in_id, **checked
        )

    def acknowledge(self, *, actor: str, command_id: str = "", **values: Any) -> None:
        checked = ACKNOWLEDGE.check(values)
        self._must_be_active()
        self._only(self.delegator, actor, "acknowledges check-ins")
        entry = self.check_ins.get(checked["check_in_id"])
        if entry is None:
            raise InvalidValue(
                "check_in_id", f"this delegation has no check-in {checked['check_in_id']}"
            )
        if entry["acknowledged"]:
            raise NotAllowed("this check-in is acknowledged already")
        self.trigger_event(self.CheckInAcknowledged, actor=actor, command_id=command_id, **checked)

    def renegotiate(self, *, actor: str, command_id: str = "", **values: Any) -> None:
        """Change what is given (``None``: keep as it is)."""
        checked = RENEGOTIATE.check(values)
        self._must_be_active()
        if actor not in (self.delegator, self.owner):
            raise NotAllowed(
                f"a delegation is renegotiated by its delegator ({self.delegator}) or owner "
                f"({self.owner}), not {actor}"
            )
        for name in ("due", "boundaries", "level"):
            if checked[name] is None:
                checked[name] = getattr(self, name)
        self.trigger_event(self.Renegotiated, actor=actor, command_id=command_id, **checked)

    complete = changes(COMPLETE, _delegator_only("completes a delegation"))
    revoke = changes(REVOKE, _delegator_only("revokes a delegation"))

"""Calendar feeds: each person's dated items, at a secret address calendar apps subscribe to.

- **The link.** A person has at most one calendar link (:class:`~ledger.domain.CalendarLink`,
  its id derived from the handle), ``koers-cal_<id>_<secret>``, kept as the SHA-256 of that
  text like every credential (:func:`~ledger.application._access.new_secret`). Making a new one
  replaces the old, whose address then finds nothing; revoking it leaves none.
- **What is on it** (:meth:`CalendarFeeds.calendar_of`), only among what the person may read
  (:meth:`~ledger.application._access.AccessCommands.may_read`, the API's rule):

  - decisions of the teams they are a member of, or naming them (decider, consulted,
    informed, recommender, approver): the decide-by date while open, the review date once
    decided;
  - their own open key results, and the active delegations they own or delegated: the next
    check-in, one cadence after the last one (or after the start), as the workers count a
    missed cadence; a delegation's due date;
  - retros of their teams, or facilitated by them: the day it was held;
  - the open retro action items they own: the due date.

- **Stable items.** Each item's uid names its thing and what is due (``decision-<id>-review``),
  and its sequence is the thing's version, so a calendar app moves an item when its date
  changes instead of adding a second one. A date is a whole day; a check-in is due at a moment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from ledger.application._access import AccessCommands, new_secret, same_secret, secret_id
from ledger.domain import (
    AGGREGATES,
    ActionState,
    CalendarLink,
    Decision,
    DecisionStatus,
    Delegation,
    DelegationStatus,
    KeyResult,
    KoersAggregate,
    Principal,
    Retro,
    Status,
    calendar_link_id,
)
from ledger.errors import Forbidden, NotAllowed

__all__ = ["CalendarFeeds", "Dated"]

_CALENDAR_PREFIX = "koers-cal_"
_KINDS = {cls: kind for kind, cls in AGGREGATES.items()}


@dataclass(frozen=True)
class Dated:
    """One dated item on a person's calendar."""

    #: Stable across fetches: the thing's kind and id and what is due.
    uid: str
    #: A date (a whole day) or an aware moment.
    when: date | datetime
    summary: str
    description: str
    #: The thing it is about (its kind as in ``AGGREGATES``, and its id).
    kind: str
    thing: UUID
    #: The thing's version: a calendar app takes the higher sequence as the newer item.
    sequence: int
    #: When the thing last changed.
    changed: datetime


class CalendarFeeds(AccessCommands):
    """Calendar links and the feed they open (see the module docstring)."""

    # -- the link --------------------------------------------------------------------------

    def issue_calendar_link(self, handle: str, *, actor: str) -> str:
        """A new secret for ``handle``'s feed (shown once); the one before stops working."""
        self.person(handle)
        link_id = calendar_link_id(handle)
        text, digest = new_secret(_CALENDAR_PREFIX, link_id)
        if self._find(CalendarLink, link_id) is None:
            try:
                self.save(CalendarLink.issue(actor=actor, handle=handle, secret_sha256=digest))
            except IntegrityError:
                pass  # another process made the first one just now: replace it
            else:
                return text
        self.change(CalendarLink, link_id, "", CalendarLink.Replaced,
                    lambda link: link.replace(actor=actor, secret_sha256=digest))  # fmt: skip
        return text

    def calendar_link_for(self, principal: Principal, handle: str, *, revoke: bool = False) -> str:
        """:meth:`issue_calendar_link` (or, with ``revoke``, :meth:`revoke_calendar_link`) for
        a proved ``principal``: a person's own link, anyone's for an admin (the API and the
        web page come through here; the command line on the data's machine is an admin)."""
        if principal.read_only:
            raise Forbidden("this credential is read-only: it may read, never write",
                            "a credential that may write")  # fmt: skip
        if principal.handle != handle:
            self._only_admins(principal, f"or end {handle}'s calendar link")
        if revoke:
            self.revoke_calendar_link(handle, actor=principal.handle)
            return ""
        return self.issue_calendar_link(handle, actor=principal.handle)

    def revoke_calendar_link(self, handle: str, *, actor: str) -> None:
        """``handle``'s feed address stops working (a new link makes another)."""
        self.person(handle)
        link_id = calendar_link_id(handle)
        if self._find(CalendarLink, link_id) is None:
            raise NotAllowed(f"{handle} has no calendar link: there is nothing to revoke")
        self.change(CalendarLink, link_id, "", CalendarLink.Revoked,
                    lambda link: link.revoke(actor=actor))  # fmt: skip

    def calendar_holder(self, text: str) -> str | None:
        """Whose feed a calendar link's secret opens; ``None`` for anything but a current one."""
        link_id = secret_id(text, _CALENDAR_PREFIX)
        link = self._find(CalendarLink, link_id) if link_id is not None else None
        if link is None or link.revoked or not same_secret(text, link.secret_sha256):
            return None
        return link.handle

    # -- the feed --------------------------------------------------------------------------

    def calendar_of(self, handle: str) -> list[Dated]:
        """Every dated item on ``handle``'s calendar, by date (see the module docstring)."""
        principal = Principal(handle, f"calendar:{calendar_link_id(handle)}")
        teams = self.directory().teams_of(handle)
        items: list[Dated] = []
        gatherers: list[tuple[str, Callable[[Any, str, set[str]], Iterator[Dated]]]] = [
            ("decision", self._decision_dates),
            ("key_result", self._key_result_dates),
            ("delegation", self._delegation_dates),
            ("retro", self._retro_dates),
        ]
        for kind, gather in gatherers:
            for thing in self.all_of(AGGREGATES[kind]):
                if self.may_read(principal, kind, thing):
                    items.extend(gather(thing, handle, teams))
        return sorted(items, key=lambda d: (_day(d.when), d.uid))

    def _decision_dates(self, d: Decision, handle: str, teams: set[str]) -> Iterator[Dated]:
        named = (d.decider, *d.consulted, *d.informed, d.recommender, d.approver)
        if d.team not in teams and handle not in named:
            return
        about = f"Team {d.team}; decider {d.decider}; {d.reversibility.value.replace('_', '-')}"
        if d.status is DecisionStatus.OPEN:
            yield _dated(d, "decide-by", d.decide_by, f"Decide: {d.question}",
                         f"{about} decision, to be decided by this day.")  # fmt: skip
        if d.review_on is not None and d.status in (DecisionStatus.DECIDED,
                                                    DecisionStatus.REVIEWED):  # fmt: skip
            done = " (reviewed)" if d.status is DecisionStatus.REVIEWED else ""
            yield _dated(d, "review", d.review_on, f"Review{done}: {d.question}",
                         f"{about} decision: compare what happened with what was "
                         f"expected.")  # fmt: skip

    def _key_result_dates(self, kr: KeyResult, handle: str, _: set[str]) -> Iterator[Dated]:
        if kr.owner != handle or kr.status is not Status.OPEN:
            return
        due = self._next_check_in(kr.id, kr.cadence_days, KeyResult.CheckedIn, KeyResult.Added)
        yield _dated(kr, "check-in", due, f"Check in: {kr.title}",
                     f"Key result check-in, every {kr.cadence_days} days.")  # fmt: skip

    def _delegation_dates(self, d: Delegation, handle: str, _: set[str]) -> Iterator[Dated]:
        if handle not in (d.owner, d.delegator) or d.status is not DelegationStatus.ACTIVE:
            return
        due = self._next_check_in(d.id, d.cadence_days, Delegation.CheckedIn, Delegation.Delegated)
        who = f"from {d.owner}" if handle != d.owner else f"to {d.delegator}"
        yield _dated(d, "check-in", due, f"Delegation check-in {who}: {d.title}",
                     f"Every {d.cadence_days} days; delegated by {d.delegator} to "
                     f"{d.owner}.")  # fmt: skip
        yield _dated(d, "due", d.due, f"Delegation due: {d.title}",
                     f"Desired result: {d.desired_result}")  # fmt: skip

    def _retro_dates(self, r: Retro, handle: str, teams: set[str]) -> Iterator[Dated]:
        if r.team in teams or r.facilitator == handle:
            yield _dated(r, "held", r.held_on, f"Retro: {r.team}, {r.period}",
                         f"{r.format or 'Retro'} facilitated by {r.facilitator}.")  # fmt: skip
        for item_id, action in r.actions.items():
            if action["owner"] == handle and action["state"] is ActionState.OPEN:
                yield _dated(r, f"action-{item_id}", action["due"], f"Action due: {action['text']}",
                             f"From the {r.team} retro of {r.period}.")  # fmt: skip

    def _next_check_in(self, ident: UUID, cadence_days: int, *counted: type[Any]) -> datetime:
        """One cadence after the last event that counts as a check-in (the workers' rule)."""
        last = [e for e in self.event_history(ident) if isinstance(e, counted)][-1]
        moment: datetime = last.timestamp
        return moment + timedelta(days=cadence_days)


def _dated(
    thing: KoersAggregate, what: str, when: date | datetime, summary: str, description: str
) -> Dated:
    kind = _KINDS[type(thing)]
    return Dated(uid=f"{kind}-{thing.id}-{what}", when=when, summary=summary,
                 description=description, kind=kind, thing=thing.id, sequence=thing.version,
                 changed=thing.modified_on)  # fmt: skip


def _day(when: date | datetime) -> date:
    return when.date() if isinstance(when, datetime) else when

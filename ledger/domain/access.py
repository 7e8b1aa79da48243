"""Who may issue a command, and who is asking: the access rules' vocabulary.

Every command of the table names who may issue it (``Command.may``): one or more of the
:class:`Who` below. Whoever fits any of them may; nobody else. The application decides who
fits (:mod:`ledger.application._access`), from the directory (who leads or belongs to which
team, who is an admin) and from the thing the command acts on (its team, owner, decider ...).

A team's **leads** and **members** include those of every team above it in the org tree: the
company team's lead may do what a platform lead may. A ``viewer`` reads a team's items and
writes nothing. ``admin`` manages the directory and credentials, not goals or decisions;
``auditor`` reads everything an audit needs and writes nothing.

A :class:`Principal` is who is asking, as proved by a credential (a token, a sign-on, a web
session), never as claimed by a header or a flag.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ADMIN",
    "APPROVER",
    "CONSULTED",
    "DECIDER",
    "DELEGATOR",
    "FACILITATOR",
    "ITS_OWNER",
    "LEAD",
    "MEMBER",
    "RECIPIENT",
    "RECOMMENDER",
    "SELF",
    "SERVICE",
    "TEAM_MEMBER",
    "Principal",
    "Who",
    "roles_table",
]


@dataclass(frozen=True)
class Who:
    """One kind of person who may issue a command: ``key`` for code, ``says`` for people."""

    key: str
    says: str

    def __str__(self) -> str:
        return self.says


LEAD = Who("lead", "a lead of its team (or of a team above it)")
MEMBER = Who("member", "a member or lead of its team (or of a team above it)")
TEAM_MEMBER = Who("team_member", "a member or lead of its own team (not of a team above it)")
ITS_OWNER = Who("owner", "its owner")
DECIDER = Who("decider", "the decision's decider")
CONSULTED = Who("consulted", "someone the decision names as consulted")
RECOMMENDER = Who("recommender", "the decision's recommender")
APPROVER = Who("approver", "the decision's approver")
DELEGATOR = Who("delegator", "the delegator")
FACILITATOR = Who("facilitator", "the retro's facilitator")
RECIPIENT = Who("recipient", "the prompt's recipient")
ADMIN = Who("admin", "an admin")
SELF = Who("self", "the person it names")
SERVICE = Who("service", "Koers's own workers")


@dataclass(frozen=True)
class Principal:
    """Who is asking, as their credential proved.

    ``handle`` is the person the events are recorded for; ``credential`` how that was proved
    (recorded with every event). ``read_only`` credentials write nothing; ``on_behalf`` ones
    (service tokens created with that right) may name another person to act for, who must
    then be allowed the command. ``local`` is the command line on the machine that holds the
    data (it could write to the store directly anyway): the local administrator, allowed
    everything. ``service`` is Koers's own workers.
    """

    handle: str
    credential: str
    read_only: bool = False
    on_behalf: bool = False
    local: bool = False
    service: bool = False

    def acting_for(self, handle: str) -> Principal:
        """The principal acting for ``handle`` (an ``on_behalf`` or local credential)."""
        same = self.local or handle == self.handle
        by = self.credential if same else f"{self.credential} by {self.handle}"
        return Principal(handle, by, self.read_only, False, self.local, self.service)


def roles_table(commands: Iterable[Any]) -> str:
    """The Markdown table of who may issue each command (docs/security.md is made of it)."""
    rows = ["| command | who may issue it |", "|---|---|"]
    rows += [f"| `{c.name}` | {'; '.join(str(w) for w in c.may)} |" for c in commands]
    return "\n".join(rows) + "\n"

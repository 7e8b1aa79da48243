"""The directory's commands (declared in ``ledger.domain.directory``) and its look-ups.

People and teams are named, not numbered: their ids derive from handle and slug, so a name is
enough to find one. A name the directory does not know is refused with the closest names it
does know (:class:`~ledger.errors.UnknownName`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.utils import TopicError

from ledger.application._base import KoersBase, Receipt
from ledger.domain import Person, Team, person_id, team_id
from ledger.domain import directory as d
from ledger.domain._fields import Field
from ledger.errors import InvalidValue

__all__ = ["DirectoryCommands", "DirectoryImport"]


#: The event fields that name people.
_PEOPLE_FIELDS = ("actor", "owner", "decider", "delegator", "facilitator", "to")
_GROUPS_OF_PEOPLE = ("consulted", "informed")


@dataclass(frozen=True)
class DirectoryImport:
    """What :meth:`DirectoryCommands.import_directory` found and did."""

    people: list[str]
    teams: list[str]
    members: list[tuple[str, str]]
    #: Names in the log that cannot be a handle or a slug, with why.
    skipped: list[str]


class DirectoryCommands(KoersBase):
    def add_team(self, *, actor: str, key: str = "", **values: Any) -> Receipt:
        """Add a team; its parent team, when named, must exist."""
        parent, slug = values.get("parent"), values.get("slug")
        if parent is not None and parent != slug:  # itself: the domain says why not
            self.team(d.ADD_TEAM.field("parent").check(parent))
        return self.run(d.ADD_TEAM, actor=actor, key=key, **values)

    def set_member(self, target: Any, /, *, actor: str, key: str = "", **options: Any) -> Receipt:
        """Give a person (who must be in the directory) a role in a team."""
        handle = options.get("handle")
        if handle is not None:
            self.person(d.SET_MEMBER.field("handle").check(handle))
        return self.run(d.SET_MEMBER, target, actor=actor, key=key, **options)

    # -- look-ups --------------------------------------------------------------------------

    def person(self, handle: str) -> Person:
        """The person with this handle, or ``UnknownName`` with the closest handles."""
        return self.named(Person, "handle", person_id, handle, "`koers people list`")

    def team(self, slug: str) -> Team:
        """The team with this slug, or ``UnknownName`` with the closest slugs."""
        return self.named(Team, "slug", team_id, slug, "`koers teams list`")

    # -- import: the directory of an existing log -----------------------------------------

    def import_directory(self, *, actor: str) -> DirectoryImport:
        """Add the people and teams the log mentions that the directory lacks, each person
        a member of the teams whose items name them (leads are for an admin to set).

        Run again, it adds nothing: what exists is left as it is.
        """
        people, teams, skipped = self._mentioned()
        added: list[str] = []
        for handle in sorted(people):
            if self._find(Person, person_id(handle)) is None:
                self.run(d.ADD_PERSON, actor=actor, handle=handle, name=handle)
                added.append(handle)
        new_teams, members = [], []
        for slug in sorted(teams):
            team = self._find(Team, team_id(slug))
            if team is None:
                self.run(d.ADD_TEAM, actor=actor, slug=slug, name=slug)
                new_teams.append(slug)
                team = self.load(Team, team_id(slug))
            for handle in sorted(teams[slug] - set(team.members)):
                self.run(d.SET_MEMBER, slug, actor=actor, handle=handle, role="member")
                members.append((slug, handle))
        return DirectoryImport(added, new_teams, members, skipped)

    def _mentioned(self) -> tuple[set[str], dict[str, set[str]], list[str]]:
        """The handles and the team slugs (with the handles named in each team's items)."""
        people: set[str] = set()
        teams: dict[str, set[str]] = {}
        team_of: dict[UUID, str] = {}
        skipped: list[str] = []
        for event in self._every_event():
            names = {n for n in _names_in(event) if _valid(_HANDLE, n, skipped)}
            people |= names
            slug = getattr(event, "team", None)
            if isinstance(slug, str) and _valid(_SLUG, slug, skipped):
                team_of[event.originator_id] = slug
            parent = getattr(event, "objective_id", None)
            home = team_of.get(event.originator_id) or team_of.get(parent)  # type: ignore[arg-type]
            if home is not None:
                team_of.setdefault(event.originator_id, home)
                teams.setdefault(home, set()).update(names)
        return people, teams, sorted(set(skipped))

    def _every_event(self) -> Iterator[Any]:
        start = 0
        while page := self.recorder.select_notifications(start, 500, inclusive_of_start=False):
            for notification in page:
                try:
                    yield self.mapper.to_domain_event(notification)
                except (ValueError, KeyError, TypeError, TopicError):  # not a Koers event
                    continue
            start = page[-1].id


_HANDLE = d.ADD_PERSON.field("handle")
_SLUG = d.ADD_TEAM.field("slug")


def _names_in(event: Any) -> set[str]:
    names = {getattr(event, f, None) for f in _PEOPLE_FIELDS}
    for group in _GROUPS_OF_PEOPLE:
        names |= set(getattr(event, group, ()) or ())
    return {n for n in names if isinstance(n, str) and n}


def _valid(field: Field, name: str, skipped: list[str]) -> bool:
    try:
        field.check(name)
    except InvalidValue as e:
        skipped.append(f"{name!r}: {e.detail}")
        return False
    return True

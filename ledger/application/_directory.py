"""The directory's commands (declared in ``ledger.domain.directory``) and its look-ups.

People and teams are named, not numbered: their ids derive from handle and slug, so a name is
enough to find one. A name the directory does not know is refused with the closest names it
does know (:class:`~ledger.errors.UnknownName`).
"""

from __future__ import annotations

from typing import Any

from ledger.application._base import KoersBase, Receipt
from ledger.domain import Person, Team, person_id, team_id
from ledger.domain import directory as d

__all__ = ["DirectoryCommands"]


class DirectoryCommands(KoersBase):
    def add_team(self, *, actor: str, key: str = "", **values: Any) -> Receipt:
        """Add a team; its parent team, when named, must exist."""
        parent = values.get("parent")
        if parent is not None:
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

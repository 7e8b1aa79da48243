"""Plan the story's directory: a company team with the two teams under it, the twelve people
with their e-mail addresses, each a member of their team, the two leads as leads, and Ann
(who set Koers up) as the admin. It all happens first thing in the quarter."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ledger.demo._cast import LEADS, PEOPLE, TEAMS
from ledger.demo._plan import Plan, Week, demo_key

if TYPE_CHECKING:
    from ledger.application import Koers, Receipt

__all__ = ["ADMIN", "COMPANY", "plan_directory"]

#: Who sets the directory up, and the team above the two teams.
ADMIN, COMPANY = "ann", "company"
_START = Week(0, hour=7)


def plan_directory(plan: Plan) -> None:
    for n, person in enumerate(PEOPLE):
        email = f"{person.handle}@example.org"

        def add(app: Koers, key: str, handle: str = person.handle, name: str = person.name,
                email: str = email) -> Receipt:  # fmt: skip
            return app.add_person(actor=ADMIN, key=key, handle=handle, name=name,
                                  email=email, time_zone="Europe/Amsterdam")  # fmt: skip

        plan.add(_START.later(n), demo_key("person", person.handle), "person added", add)

    def grant(app: Koers, key: str) -> Receipt:
        return app.grant_role(ADMIN, actor=ADMIN, key=key, role="admin")

    plan.add(_START.later(20), demo_key("admin", ADMIN), "role granted", grant)
    for n, (slug, parent) in enumerate(((COMPANY, None), *((t, COMPANY) for t in TEAMS))):

        def team(app: Koers, key: str, slug: str = slug, parent: str | None = parent) -> Receipt:
            return app.add_team(actor=ADMIN, key=key, slug=slug, name=slug.capitalize(),
                                parent=parent)  # fmt: skip

        plan.add(_START.later(21 + n), demo_key("team", slug), "team added", team)
    for n, person in enumerate(PEOPLE):
        role = "lead" if LEADS[person.team] == person.handle else "member"

        def member(app: Koers, key: str, handle: str = person.handle, team: str = person.team,
                   role: str = role) -> Receipt:  # fmt: skip
            return app.set_member(team, actor=ADMIN, key=key, handle=handle, role=role)

        plan.add(_START.later(30 + n), demo_key("member", person.team, person.handle),
                 "member added", member)  # fmt: skip

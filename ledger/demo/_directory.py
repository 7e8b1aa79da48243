"""Plan the story's directory: a company team with the two teams under it, the twelve people
with their e-mail addresses, each a member of their team, the two leads as leads, and Ann
(who set Koers up) as the admin. It all happens first thing in the quarter."""

from __future__ import annotations

from ledger.demo._cast import LEADS, PEOPLE, TEAMS
from ledger.demo._plan import Plan, Week, command, demo_key

__all__ = ["ADMIN", "COMPANY", "plan_directory"]

#: Who sets the directory up, and the team above the two teams.
ADMIN, COMPANY = "ann", "company"
_START = Week(0, hour=7)


def plan_directory(plan: Plan) -> None:
    for n, person in enumerate(PEOPLE):
        add = command(
            "add_person",
            actor=ADMIN,
            handle=person.handle,
            name=person.name,
            email=f"{person.handle}@example.org",
            time_zone="Europe/Amsterdam",
        )
        plan.add(_START.later(n), demo_key("person", person.handle), "person added", add)
    grant = command("grant_role", ADMIN, actor=ADMIN, role="admin")
    plan.add(_START.later(20), demo_key("admin", ADMIN), "role granted", grant)
    for n, (slug, parent) in enumerate(((COMPANY, None), *((t, COMPANY) for t in TEAMS))):
        team = command("add_team", actor=ADMIN, slug=slug, name=slug.capitalize(), parent=parent)
        plan.add(_START.later(21 + n), demo_key("team", slug), "team added", team)
    for n, person in enumerate(PEOPLE):
        role = "lead" if LEADS[person.team] == person.handle else "member"
        member = command("set_member", person.team, actor=ADMIN, handle=person.handle, role=role)
        key = demo_key("member", person.team, person.handle)
        plan.add(_START.later(30 + n), key, "member added", member)

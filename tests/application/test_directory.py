"""The directory: people by handle, teams by slug in a tree, members with one role per team,
names the directory does not know refused with the closest ones, and the import of the people
and teams an existing log mentions."""

from __future__ import annotations

import pytest

from ledger.application import Koers
from ledger.domain import OrgRole, Person, Role, Team, person_id, team_id
from ledger.errors import InvalidValue, NotAllowed, UnknownName
from tests.factories import ANN, BOB, new_decision, new_key_result, new_objective


def people(app: Koers, *handles: str) -> None:
    for handle in handles:
        app.add_person(actor=ANN, handle=handle, name=handle.title(), email=f"{handle}@ex.org")


def test_a_person_is_known_by_a_handle_once(koers_app: Koers) -> None:
    people(koers_app, "ann")
    ann = koers_app.load(Person, person_id("ann"))
    assert (ann.handle, ann.name, ann.email, ann.time_zone) == ("ann", "Ann", "ann@ex.org", "UTC")
    with pytest.raises(NotAllowed, match="person 'ann' exists already"):
        koers_app.add_person(actor=ANN, handle="ann", name="Another Ann")
    assert koers_app.load(Person, person_id("ann")).version == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("email", "not-an-address"), ("time_zone", "Mars/Base"), ("handle", "ann bob")],
)
def test_a_person_needs_a_handle_an_address_and_a_zone_that_exist(
    koers_app: Koers, field: str, value: str
) -> None:
    values = {"handle": "ann", "name": "Ann", "email": "ann@ex.org", field: value}
    with pytest.raises(InvalidValue) as refused:
        koers_app.add_person(actor=ANN, **values)
    assert refused.value.field == field


def test_teams_form_a_tree_and_an_unknown_parent_is_refused_with_close_names(
    koers_app: Koers,
) -> None:
    koers_app.add_team(actor=ANN, slug="company", name="Company")
    koers_app.add_team(actor=ANN, slug="platform", name="Platform", parent="company")
    assert koers_app.load(Team, team_id("platform")).parent == "company"
    with pytest.raises(UnknownName) as refused:
        koers_app.add_team(actor=ANN, slug="sales", name="Sales", parent="compnay")
    assert refused.value.close == ["company"]
    assert "Did you mean 'company'?" in str(refused.value)
    with pytest.raises(InvalidValue, match="cannot belong to itself"):
        koers_app.add_team(actor=ANN, slug="ops", name="Ops", parent="ops")


def test_a_member_has_one_role_per_team(koers_app: Koers) -> None:
    people(koers_app, "ann", "bram")
    koers_app.add_team(actor=ANN, slug="platform", name="Platform")
    koers_app.set_member("platform", actor=ANN, handle="bram", role="member")
    koers_app.set_member("platform", actor=ANN, handle="bram", role="lead")
    assert koers_app.load(Team, team_id("platform")).members == {"bram": Role.LEAD}
    with pytest.raises(InvalidValue, match="lead of platform already"):
        koers_app.set_member("platform", actor=ANN, handle="bram", role="lead")
    koers_app.remove_member("platform", actor=ANN, handle="bram")
    assert koers_app.load(Team, team_id("platform")).members == {}
    with pytest.raises(InvalidValue, match="not in platform"):
        koers_app.remove_member("platform", actor=ANN, handle="bram")


def test_unknown_people_and_teams_are_refused_with_the_closest_names(koers_app: Koers) -> None:
    people(koers_app, "bram")
    koers_app.add_team(actor=ANN, slug="platform", name="Platform")
    with pytest.raises(UnknownName) as person:
        koers_app.set_member("platform", actor=ANN, handle="brm", role="member")
    assert person.value.close == ["bram"]
    with pytest.raises(UnknownName) as team:
        koers_app.set_member("platfrm", actor=ANN, handle="bram", role="member")
    assert team.value.close == ["platform"]


def test_org_roles_are_granted_and_revoked(koers_app: Koers) -> None:
    people(koers_app, "ann")
    koers_app.grant_role("ann", actor=ANN, role="auditor")
    assert koers_app.load(Person, person_id("ann")).org_roles == {OrgRole.AUDITOR}
    with pytest.raises(NotAllowed, match="auditor already"):
        koers_app.grant_role("ann", actor=ANN, role="auditor")
    koers_app.revoke_role("ann", actor=ANN, role="auditor")
    assert koers_app.load(Person, person_id("ann")).org_roles == set()


def test_the_import_adds_the_people_and_teams_a_log_mentions_once(koers_app: Koers) -> None:
    objective = new_objective(koers_app)  # team platform, by ann, owned by ann
    new_key_result(koers_app, objective_id=objective)  # owned by bob
    new_decision(koers_app)
    found = koers_app.import_directory(actor=ANN)
    assert {ANN, BOB} <= set(found.people)
    assert "platform" in found.teams
    assert ("platform", BOB) in found.members
    assert koers_app.load(Team, team_id("platform")).members[BOB] is Role.MEMBER
    again = koers_app.import_directory(actor=ANN)
    assert (again.people, again.teams, again.members) == ([], [], [])

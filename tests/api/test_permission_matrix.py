"""Who may do what, generated: every command of the table × every kind of person, and every
read route × those who may not see it, against the API on a real nats-server.

The expected answer is worked out here, from the command's declared ``may`` and a small table
of who each person is (their team roles, org-wide roles, and what they are to the thing: its
owner, decider, ...), written apart from the application's check (ledger/application/_access.py)
and following docs/security.md:

- whoever fits any of the command's ``may`` is answered 2xx;
- whoever does not, and may not see the thing the command acts on, is told 404 (a thing one may
  not see is not revealed to exist): a team's things are seen by its members of any role, by
  members of the teams above it, by auditors and by the people named on the thing; a prompt by
  its recipient only;
- a create names no existing thing, so whoever does not fit is told 403, naming who may (team
  and person names are not secret: an unknown one is answered with close matches); except a
  key result, whose team is its objective's: an objective one may not see is answered as one
  that does not exist (422 ``unknown-reference`` naming ``objective_id``);
- anyone else is told 403, and the answer names the roles that may.

Every refusal records nothing (the stream position is unchanged). A new command appears in the
matrix by itself and fails until its kind has a scene here (a thing in team ``platform``, below
``company``, with known people); a new GET route fails until it is classified.

The roles table in docs/security.md is checked against the command table by
``tests/api/test_access.py::test_the_roles_table_in_docs_security_is_the_command_tables``:
this matrix checks the command table's ``may`` against the API, so the three agree.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from ledger.domain import COMMANDS, Command
from ledger.domain._fields import Day, Moment, Ref
from tests.api import test_api_support as make
from tests.api.test_access import status
from tests.api.test_api_support import MEMBERS, TEAMS, TODAY, Api, running_api

ALL = list(COMMANDS.values())

# -- who is who (the test's own table) -------------------------------------------------------

#: People this module adds to the seeded directory: a viewer and a second lead of platform (the
#: delegator of the delegations here), and people whose only tie to a thing is being named on it.
VIEWER, DELEGATOR = "vera", "delia"
OWNER, DECIDER, FACILITATOR, RECIPIENT, SELF = "olga", "dirk", "fay", "rita", "sam"
#: Named on a decision: consulted, its recommender, its approver.
CONSULTED, RECOMMENDER, APPROVER = "connie", "remy", "april"
NAMED = (VIEWER, DELEGATOR, OWNER, DECIDER, FACILITATOR, RECIPIENT, SELF, CONSULTED,
         RECOMMENDER, APPROVER)  # fmt: skip
ADDED_MEMBERS = {("platform", VIEWER): "viewer", ("platform", DELEGATOR): "lead"}
ROLES = {**MEMBERS, **ADDED_MEMBERS}
ADMINS, AUDITORS, WORKERS = {"admin"}, {"audrey"}, {"koers"}

#: The kinds of person asked, for every command (the thing's people are added per scene).
PERSONAS = {
    "lead": "tester",  # a lead of platform
    "member": "bob",  # a member of platform
    "viewer": VIEWER,
    "lead above": "ann",  # the lead of company, platform's parent
    "lead elsewhere": "dora",  # the lead of sales
    "member elsewhere": "cem",  # a member of sales
    "nobody": "mallory",  # in no team
    "admin": "admin",
    "auditor": "audrey",
    "workers": "koers",  # Koers's own service token
}


def role_in(handle: str, teams: frozenset[str]) -> str | None:
    """A person's strongest role in any of the teams, counting the teams above each."""
    found = set()
    for team in teams:
        current: str | None = team
        while current is not None:
            found.add(ROLES.get((current, handle)))
            current = TEAMS.get(current)
    return next((r for r in ("lead", "member", "viewer") if r in found), None)


@dataclass
class Scene:
    """A command ready to send: its route and body, and the facts of the thing it acts on."""

    path: str
    body: dict[str, Any]
    teams: frozenset[str]
    #: Who is what to the thing, by ``Who.key``: "owner", "decider", "self", ...
    named: dict[str, str]
    #: Only its recipient (a prompt) or its owner (a webhook) sees it.
    private: bool = False
    #: Whoever asks is this to the thing (a new webhook is its registrant's: "owner").
    asker_is: str = ""
    #: People who hold an org-wide role in this scene only, by role.
    granted: dict[str, str] = field(default_factory=dict)

    def fits(self, handle: str) -> set[str]:
        """The ``Who.key``s the person fits for this thing."""
        keys = {key for key, named in self.named.items() if named == handle}
        keys |= {self.asker_is} if self.asker_is else set()
        role = role_in(handle, self.teams)
        keys |= {"lead": {"lead", "member"}, "member": {"member"}}.get(role or "", set())
        if {ROLES.get((team, handle)) for team in self.teams} & {"lead", "member"}:
            keys.add("team_member")  # of the thing's own team, not of one above it
        keys |= {"admin"} if handle in ADMINS or self.granted.get(handle) == "admin" else set()
        return keys | ({"service"} if handle in WORKERS else set())

    def sees(self, handle: str) -> bool:
        if self.private:
            return handle == (self.named.get("recipient") or self.named.get("owner"))
        auditor = handle in AUDITORS or self.granted.get(handle) == "auditor"
        named = handle in self.named.values()
        return auditor or named or role_in(handle, self.teams) is not None

    def personas(self) -> dict[str, str]:
        return {**PERSONAS, **{f"the {key}": handle for key, handle in self.named.items()}}


def expected(command: Command, scene: Scene, handle: str) -> tuple[int, str]:
    """What the API must answer this person (see the module docstring)."""
    if scene.fits(handle) & {w.key for w in command.may}:
        return (201 if command.creates else 200), ""
    if command.creates:
        if command.kind == "key_result" and not scene.sees(handle):
            return 422, "unknown-reference"
        return 403, "forbidden"
    return (403, "forbidden") if scene.sees(handle) else (404, "not-found")


# -- the API, its directory, and scenes -----------------------------------------------------


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    with running_api() as running:
        for handle in NAMED:
            as_admin(running, "/people", {"handle": handle, "name": handle.title()})
        for (team, handle), role in ADDED_MEMBERS.items():
            as_admin(running, f"/teams/{team}/members", {"handle": handle, "role": role})
        yield running


def as_admin(api: Api, path: str, body: dict[str, Any]) -> dict[str, Any]:
    return api.ok(path, body, **{"Koers-Actor": "admin"})


def as_(api: Api, handle: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    return api.ok(path, body, **{"Koers-Actor": handle})


_fresh = itertools.count(1)


def fresh(prefix: str) -> str:
    """A name not used before in this module's stream."""
    return f"{prefix}{next(_fresh)}"


def soon(days: int = 14) -> str:
    return str(TODAY + timedelta(days=days))


#: Fields naming a person: which of the thing's people (``Who.key``) the field names.
_PEOPLE_FIELDS = {"owner": "owner", "decider": "decider", "facilitator": "facilitator",
                  "to": "recipient"}  # fmt: skip


def scene_for(command: Command, given: dict[str, Any], **facts: Any) -> Scene:
    """The command's route and body: ids and names from ``given``, people from the facts'
    ``named``, every other required field its documented example (dates: soon)."""
    named: dict[str, str] = facts["named"]
    body: dict[str, Any] = {}
    for f in command.fields:
        if f.name in given:
            body[f.name] = given[f.name]
        elif not f.required:
            continue
        elif f.name in _PEOPLE_FIELDS and _PEOPLE_FIELDS[f.name] in named:
            body[f.name] = named[_PEOPLE_FIELDS[f.name]]
        elif isinstance(f, Day):
            body[f.name] = soon()
        elif isinstance(f, Moment):
            body[f.name] = (datetime.now(UTC) + timedelta(days=2)).isoformat()
        else:
            assert not isinstance(f, Ref), f"{command.name}: no scene gives {f.name}"
            body[f.name] = f.example
    path = command.path
    for name in [command.target_name, *(f.name for f in command.fields)]:
        if "{" + name + "}" in path:
            value = given[name] if name == command.target_name else body.pop(name)
            path = path.replace("{" + name + "}", str(value))
    return Scene(path, body, **facts)


PLATFORM = frozenset({"platform"})


def person_scene(api: Api, command: Command) -> Scene:
    """A person of their own (made afresh: a grant changes them), who is ``self``."""
    handle = fresh("newbie")
    if command.creates:
        return scene_for(command, {"handle": handle}, teams=frozenset(), named={})
    as_admin(api, "/people", {"handle": handle, "name": "New"})
    granted = {}
    if command.name == "person.revoke":
        granted[handle] = command.field("role").example
        as_admin(api, f"/people/{handle}/grant", {"role": granted[handle]})
    given = {"handle": handle, **({"digest": "daily"} if command.name == "person.notify" else {})}
    return scene_for(command, given, teams=frozenset(),
                     named={"self": handle}, granted=granted)  # fmt: skip


def team_scene(api: Api, command: Command) -> Scene:
    """Team platform (a new team for a create); its new member is a new person."""
    if command.creates:
        slug = fresh("crew")
        return scene_for(command, {"slug": slug}, teams=frozenset({slug}), named={})
    handle = fresh("joiner")
    as_admin(api, "/people", {"handle": handle, "name": "Joiner"})
    if command.name == "team.remove_member":
        as_admin(api, "/teams/platform/members", {"handle": handle, "role": "member"})
    given = {"slug": "platform", "handle": handle}
    if command.name == "team.notify":  # a URL of its own: setting the same one changes nothing
        given["slack_url"] = f"https://hooks.slack.com/services/T0/B0/{fresh('hook')}"
    return scene_for(command, given, teams=PLATFORM, named={})


def token_scene(api: Api, command: Command) -> Scene:
    given = {"handle": SELF}
    if not command.creates:
        given["token_id"] = as_admin(api, "/tokens", {"handle": SELF})["id"]
    return scene_for(command, given, teams=frozenset(), named={"self": SELF})


def objective_scene(api: Api, command: Command) -> Scene:
    given = {}
    if not command.creates:
        given["objective_id"] = api.ok("/objectives", make.objective(owner=OWNER))["id"]
    return scene_for(command, given, teams=PLATFORM, named={"owner": OWNER})


def key_result_scene(api: Api, command: Command) -> Scene:
    given = {"objective_id": api.ok("/objectives", make.objective())["id"]}
    if not command.creates:
        kr = api.ok("/key-results", make.key_result(given["objective_id"], owner=OWNER))["id"]
        given["key_result_id"] = kr
        if command.name == "key_result.correct":
            as_(api, OWNER, f"/key-results/{kr}/check-ins", {"value": "8", "confidence": 6})
            check_ins = api.get(f"/key-results/{kr}").json()["check_ins"]
            given["check_in_id"] = next(iter(check_ins))
    return scene_for(command, given, teams=PLATFORM, named={"owner": OWNER})


def kpi_scene(api: Api, command: Command) -> Scene:
    given = {}
    if not command.creates:
        kpi = {"team": "platform", "name": "Deploys", "owner": OWNER, "target": "5",
               "direction": "higher_is_better", "kind": "leading"}  # fmt: skip
        given["kpi_id"] = api.ok("/kpis", kpi)["id"]
    return scene_for(command, given, teams=PLATFORM, named={"owner": OWNER})


def decision_scene(api: Api, command: Command) -> Scene:
    """Decided by dirk, connie consulted, remy recommending; april approves where the command
    is the approval (elsewhere no approver holds the call up); a roles command names her."""
    given: dict[str, Any] = {}
    named = {"decider": DECIDER, "consulted": CONSULTED, "recommender": RECOMMENDER}
    if command.name == "decision.approve":
        named["approver"] = APPROVER
    if command.name == "decision.roles":
        given["approver"] = APPROVER
    if not command.creates:
        opened = make.decision(decider=DECIDER, consulted=[CONSULTED], recommender=RECOMMENDER,
                               approver=named.get("approver"))  # fmt: skip
        given["decision_id"] = ident = api.ok("/decisions", opened)["id"]
        if command.name in ("decision.review", "decision.reverse", "decision.supersede"):
            as_(api, DECIDER, f"/decisions/{ident}/decide", make.decide())
        if command.name == "decision.supersede":
            given["by_decision_id"] = api.ok("/decisions", make.decision(decider=DECIDER))["id"]
        if command.name == "decision.link":
            given["target_id"] = api.ok("/objectives", make.objective())["id"]
    if command.creates:
        named = {"decider": DECIDER}
    return scene_for(command, given, teams=PLATFORM, named=named)


def delegation_scene(api: Api, command: Command) -> Scene:
    """Delegated by platform's second lead to bram, a member of platform (a delegation's
    team is its owner's)."""
    given: dict[str, Any] = {}
    named = {"owner": "bram"}
    if not command.creates:
        named["delegator"] = DELEGATOR
        given["delegation_id"] = ident = as_(api, DELEGATOR, "/delegations",
                                             make.delegation(owner="bram"))["id"]  # fmt: skip
        if command.name == "delegation.ack":
            check_in = {"status": "on_track", "progress": "Started"}
            as_(api, "bram", f"/delegations/{ident}/check-ins", check_in)
            check_ins = api.get(f"/delegations/{ident}").json()["check_ins"]
            given["check_in_id"] = next(iter(check_ins))
    return scene_for(command, given, teams=PLATFORM, named=named)


def retro_scene(api: Api, command: Command) -> Scene:
    """Facilitated by fay; its action item (where the command acts on one) is olga's."""
    given: dict[str, Any] = {"owner": OWNER}  # a new action item's
    named = {}
    if not command.creates:
        named["facilitator"] = FACILITATOR
        ident = api.ok("/retros", make.retro(facilitator=FACILITATOR, held_on=str(TODAY)))["id"]
        given["retro_id"] = ident
        if "item_id" in {f.name for f in command.fields}:
            named["owner"] = OWNER
            action = {"text": "Automate the changelog", "owner": OWNER, "due": soon()}
            given["item_id"] = api.ok(f"/retros/{ident}/action-items", action)["item_id"]
            given["to_retro_id"] = api.ok("/retros", make.retro(held_on=soon(7)))["id"]
    return scene_for(command, given, teams=PLATFORM, named=named)


def prompt_scene(api: Api, command: Command) -> Scene:
    given = {}
    if not command.creates:
        asked = {"to": RECIPIENT, "question": "What would you redo?"}
        given["prompt_id"] = as_(api, "koers", "/prompts", asked)["id"]
    return scene_for(command, given, teams=frozenset(), named={"recipient": RECIPIENT},
                     private=True)  # fmt: skip


#: Where the webhooks here would send (nothing listens: the API tests send nothing).
HOOK = {"url": "http://127.0.0.1:9/hook", "events": "decision.*"}


def webhook_scene(api: Api, command: Command) -> Scene:
    """A new webhook is whoever adds it's own; olga's webhook is hers alone to see."""
    if command.creates:
        return scene_for(command, HOOK, teams=frozenset(), named={}, asker_is="owner")
    given = {"webhook_id": as_(api, OWNER, "/webhooks", HOOK)["id"]}
    return scene_for(command, given, teams=frozenset(), named={"owner": OWNER}, private=True)


#: How to set up the thing each kind of command acts on (a new kind fails until it has one).
SCENES: dict[str, Callable[[Api, Command], Scene]] = {
    "person": person_scene,
    "team": team_scene,
    "token": token_scene,
    "objective": objective_scene,
    "key_result": key_result_scene,
    "kpi": kpi_scene,
    "decision": decision_scene,
    "delegation": delegation_scene,
    "retro": retro_scene,
    "prompt": prompt_scene,
    "webhook": webhook_scene,
}


# -- the matrix ------------------------------------------------------------------------------


def position(api: Api) -> int:
    return api.koers.recorder.max_notification_id() or 0


def send(api: Api, scene: Scene, handle: str) -> httpx.Response:
    return api.client.post(scene.path, json=scene.body, headers={"Koers-Actor": handle})


@pytest.mark.parametrize("command", ALL, ids=[c.name for c in ALL])
def test_every_command_answers_every_kind_of_person_as_its_may_says(
    api: Api, command: Command
) -> None:
    build = SCENES.get(command.kind)
    assert build is not None, f"{command.name}: add a scene for {command.kind!r} here"
    scene = build(api, command)
    answers = {label: expected(command, scene, handle)
               for label, handle in scene.personas().items()}  # fmt: skip
    assert any(code < 300 for code, _ in answers.values()), f"nobody here may {command.name}"
    if not scene.asker_is:  # a webhook is anyone's to add, for themselves
        assert any(code >= 400 for code, _ in answers.values()), f"everybody may {command.name}"
    for handle in scene.personas().values():
        api.tokens.of(handle)  # before counting: making a token records an event
    before = position(api)
    for label, handle in scene.personas().items():
        if answers[label][0] < 300:
            continue
        answer = send(api, scene, handle)
        assert status(answer) == answers[label], (label, handle, answer.text)
        if answers[label][0] == 403:
            for who in command.may:
                assert str(who) in answer.json()["detail"], (label, answer.text)
        assert position(api) == before, (label, handle, "a refusal recorded something")
    allowed = [label for label, (code, _) in answers.items() if code < 300]
    for n, label in enumerate(allowed):
        handle = scene.personas()[label]
        if n:  # a write changes the thing: each allowed person gets a new one
            scene = build(api, command)
            handle = scene.personas()[label]
        api.tokens.of(handle)
        before = position(api)
        answer = send(api, scene, handle)
        assert answer.status_code == answers[label][0], (label, handle, answer.text)
        assert position(api) > before, (label, handle, "nothing was recorded")


# -- reads -----------------------------------------------------------------------------------

#: GET routes anyone may read, signed in or not.
#: (A calendar feed's address is its credential: tests/application/test_calendar.py checks that
#: a feed holds only what its person may read.)
PUBLIC = {"/", "/login", "/health", "/metrics", "/problems/{slug}", "/openapi.json", "/docs",
          "/docs/oauth2-redirect", "/redoc", "/calendar/{link}.ics"}  # fmt: skip
#: Members of another team, and nobody's: they see nothing of platform's.
OUTSIDERS = ("cem", "dora", "mallory")


def get_routes(routes: list[Any], prefix: str = "") -> Iterator[str]:
    """The path of every GET route, also of the routers included in the app."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from get_routes(inner.routes, prefix + route.include_context.prefix)
        elif "GET" in getattr(route, "methods", ()):
            yield prefix + route.path


@pytest.fixture(scope="module")
def platform(api: Api) -> dict[str, str]:
    """One thing of every kind in platform (ids by path parameter), and rita's prompts: one
    answered (her journal), one open (her inbox)."""
    ids = {"team": "platform", "person": RECIPIENT, "slug": "platform", "handle": RECIPIENT}
    ids["objective_id"] = api.ok("/objectives", make.objective())["id"]
    ids["key_result_id"] = api.ok("/key-results", make.key_result(ids["objective_id"]))["id"]
    kpi = {"team": "platform", "name": "Deploys", "owner": "tester", "target": "5",
           "direction": "higher_is_better", "kind": "leading"}  # fmt: skip
    ids["kpi_id"] = api.ok("/kpis", kpi)["id"]
    ids["decision_id"] = api.ok("/decisions", make.decision(decider="tester"))["id"]
    ids["delegation_id"] = as_(api, DELEGATOR, "/delegations", make.delegation(owner="bram"))["id"]
    ids["retro_id"] = api.ok("/retros", make.retro())["id"]
    ids["thing_id"] = ids["decision_id"]  # GET /lineage/{thing_id}: any thing with a lineage
    asked = {"to": RECIPIENT, "question": "What would you redo?"}
    ids["prompt_id"] = as_(api, "koers", "/prompts", asked)["id"]
    as_(api, RECIPIENT, f"/prompts/{ids['prompt_id']}/answer", {"answer": "Less"})
    as_(api, "koers", "/prompts", {**asked, "question": "What went well?"})
    hook = {**HOOK, "team": "platform"}
    ids["webhook_id"] = as_(api, "tester", "/webhooks", hook)["id"]
    return ids


def everyone() -> set[str]:
    return {*PERSONAS.values(), *NAMED, *(handle for _, handle in ROLES)}


def read(api: Api, path: str, handle: str) -> httpx.Response:
    quarterly = path.startswith(("/teams/", "/org/"))  # a team's views, the alignment
    params = {"period": make.quarter(TODAY)} if quarterly else {}
    return api.client.get(path, params=params, headers={"Koers-Actor": handle})


def test_every_read_route_hides_platform_from_other_teams_and_private_reads_from_everyone(
    api: Api, platform: dict[str, str]
) -> None:
    """Lists leave platform's things out; a thing, its history and a team's views are 404;
    a person's inbox and journal, and their prompts, are 404 to everyone but that person (not
    to leads above, admins or auditors); the audit routes are the auditors' (403)."""
    for handle in everyone():
        api.tokens.of(handle)
    routes = [r for r in get_routes(api.app.routes) if r not in PUBLIC]
    things = [name for name in platform if name.endswith("_id")]
    assert "/teams/{team}/okr-progress" in routes
    for route in routes:
        path = route
        for name in {part.strip("{}") for part in route.split("/") if part.startswith("{")}:
            assert name in platform, f"GET {route}: say here what {{{name}}} is"
            path = path.replace("{" + name + "}", platform[name])
        private = RECIPIENT in path.split("/") or platform["prompt_id"] in path
        if route.endswith("/notify"):
            _channels_are_read_as_said(api, route, path)
        elif route.startswith("/audit/"):
            for handle in OUTSIDERS:
                refused = read(api, path, handle)
                assert status(refused) == (403, "forbidden"), (route, handle, refused.text)
                assert "auditor" in refused.json()["detail"]
            assert read(api, path, "audrey").status_code == 200, route
        elif route == "/webhooks/failures":  # none here (tests/workers/test_webhooks.py)
            for handle in OUTSIDERS:
                assert read(api, path, handle).json() == [], (route, handle)
        elif "{" not in route:  # a list: platform's things are left out
            for handle in OUTSIDERS:
                listed = read(api, path, handle)
                assert listed.status_code == 200, (route, handle, listed.text)
                shown = [name for name in things if platform[name] in listed.text]
                assert not shown, (route, handle, shown)
            seen = " ".join(read(api, path, who).text for who in ("audrey", RECIPIENT))
            assert any(platform[name] in seen for name in things), (route, seen[:300])
        else:
            seer = RECIPIENT if private else "tester"
            assert read(api, path, seer).status_code == 200, (route, seer)
            for handle in sorted(everyone() - {seer}) if private else OUTSIDERS:
                hidden = read(api, path, handle)
                assert status(hidden) == (404, "not-found"), (route, handle, hidden.text)


def _channels_are_read_as_said(api: Api, route: str, path: str) -> None:
    """Notification channels: the person (a team's members), admins and auditors; 404 to
    anyone else."""
    seers = {"admin", "audrey", RECIPIENT if route.startswith("/people/") else "tester"}
    directory = api.koers.directory()
    for handle in sorted(everyone()):
        member = directory.role(handle, "platform") is not None
        wanted = handle in seers or (route.startswith("/teams/") and member)
        shown = read(api, path, handle)
        assert shown.status_code == (200 if wanted else 404), (route, handle, shown.text)


def test_the_delegation_board_of_someone_else_is_not_found(
    api: Api, platform: dict[str, str]
) -> None:
    for handle in (*OUTSIDERS, "tester", "ann"):
        board = api.client.get("/delegation-board", params={"owner": "bram"},
                               headers={"Koers-Actor": handle})  # fmt: skip
        assert status(board) == (404, "not-found"), (handle, board.text)
    for handle in ("bram", "audrey"):
        board = api.client.get("/delegation-board", params={"owner": "bram"},
                               headers={"Koers-Actor": handle})  # fmt: skip
        assert platform["delegation_id"] in board.text, handle


def test_the_public_routes_answer_without_signing_in(api: Api) -> None:
    """What PUBLIC leaves out of the read checks is public indeed (and the rest is not)."""
    unsigned = {"koers-test-raw": "1"}
    for route in get_routes(api.app.routes):
        path = route.replace("{slug}", "not-found")
        answer = api.client.get(path, headers=unsigned, follow_redirects=False)
        assert (answer.status_code != 401) == (route in PUBLIC), (route, answer.status_code)


def test_a_key_result_for_an_objective_one_may_not_see_is_answered_as_for_none(
    api: Api, platform: dict[str, str]
) -> None:
    """The answer does not tell an objective of another team from an id that names nothing."""
    unknown = "00000000-0000-4000-8000-000000000000"
    answers = []
    for objective_id in (platform["objective_id"], unknown):
        answer = api.post("/key-results", make.key_result(objective_id), **{"Koers-Actor": "dora"})
        body = answer.json()
        answers.append((answer.status_code, body["type"],
                        body["detail"].replace(objective_id, "<id>")))  # fmt: skip
    assert answers[0] == answers[1]
    assert answers[0][:2] == (422, "/problems/unknown-reference")

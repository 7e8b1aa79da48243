"""The directory: who the people are, which teams there are, and each person's role in them.

Invariants:
- a person is known by a handle (``ann``), unique in the ledger: their id derives from it, so a
  second ``person.add`` for the same handle is refused instead of making a second person;
- a team is known by a slug (``platform``), unique likewise; teams form a tree (a parent team
  must exist, and a team is never its own ancestor);
- a member has exactly one role per team: ``viewer``, ``member`` or ``lead``; org-wide roles
  are ``auditor`` (reads what a verification needs, writes nothing) and ``admin`` (the
  directory and credentials);
- nothing is deleted: a member leaves a team by an event, a role is revoked by an event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from ledger.domain._base import NAMESPACE, Given, KoersAggregate, changes, still_open
from ledger.domain._commands import Command
from ledger.domain._fields import Choice, Field, Handle, Matching, Text, Texts
from ledger.domain.access import ADMIN, LEAD, SELF
from ledger.domain.notify import Channels, Digest, QuietHours, Switch, WebhookUrl
from ledger.errors import InvalidValue

__all__ = [
    "DIRECTORY_COMMANDS",
    "OrgRole",
    "Person",
    "Role",
    "Team",
    "person_id",
    "team_id",
]

_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?")
_EMAIL = re.compile(r"[^@\s<>(),;:\"\[\]]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")


class Role(Enum):
    """A person's role in one team."""

    VIEWER = "viewer"
    MEMBER = "member"
    LEAD = "lead"


class OrgRole(Enum):
    """A role across the whole organisation."""

    AUDITOR = "auditor"
    ADMIN = "admin"


def person_id(handle: str) -> UUID:
    """The id of the person with this handle (the same in every ledger)."""
    return uuid5(NAMESPACE, f"person/{handle.strip()}")


def team_id(slug: str) -> UUID:
    """The id of the team with this slug."""
    return uuid5(NAMESPACE, f"team/{slug.strip()}")


@dataclass(frozen=True, kw_only=True)
class Slug(Matching):
    """A team's short name: lower-case letters, digits and dashes, up to 40 characters."""

    metavar: ClassVar[str] = "SLUG"
    pattern: ClassVar[re.Pattern[str]] = _SLUG
    longest: ClassVar[int] = 40

    def mismatch(self, value: Any) -> str:
        return (
            f"{value!r} is not a team slug: use lower-case letters, digits and dashes "
            f"(e.g. 'platform' or 'sales-emea')"
        )


@dataclass(frozen=True, kw_only=True)
class Email(Field):
    """An e-mail address (one, without a display name)."""

    metavar: ClassVar[str] = "EMAIL"

    def check(self, value: Any) -> str:
        text = value.strip() if isinstance(value, str) else value
        if text == "" and not self.required:
            return text
        if not isinstance(text, str) or len(text) > 254 or not _EMAIL.fullmatch(text):
            raise self.fail(f"{value!r} is not an e-mail address (e.g. ann@example.org)")
        return text

    def _schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "email", "maxLength": 254}


@dataclass(frozen=True, kw_only=True)
class TimeZone(Field):
    """A time zone of the IANA database, e.g. ``Europe/Amsterdam``."""

    metavar: ClassVar[str] = "ZONE"

    def check(self, value: Any) -> str:
        text = value.strip() if isinstance(value, str) else ""
        if not _known_zone(text):
            raise self.fail(
                f"{value!r} is not a time zone: give one such as Europe/Amsterdam or UTC"
            )
        return text

    def _schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": sorted(available_timezones() | {"UTC"})}


def _known_zone(name: str) -> bool:
    if not name or "." in name or name.startswith("/"):
        return False
    try:
        ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        return False
    return True


# -- the commands --------------------------------------------------------------------------------

_HANDLE = Handle(name="handle", help="The person's handle: how Koers names them.", example="ann")
_SLUG_FIELD = Slug(name="slug", help="The team's short name (its id).", example="platform")
_MEMBER = Handle(name="handle", help="The person (their handle).", example="bram")

ADD_PERSON = Command(
    "person.add",
    "Add a person to the directory.",
    (
        _HANDLE,
        Text(
            name="name",
            help="Their name as people know it.",
            most=120,
            line=True,
            example="Ann de Vries",
        ),
        Email(
            name="email",
            help="Their e-mail address (for notifications).",
            default="",
            example="ann@example.org",
        ),
        TimeZone(
            name="time_zone",
            option="tz",
            help="Their time zone.",
            default="UTC",
            example="Europe/Amsterdam",
        ),
    ),
    creates=True,
    event="Added",
    named_by=_HANDLE,
    identity=person_id,
    arguments=("handle",),
    example="ann --name 'Ann de Vries' --email ann@example.org --tz Europe/Amsterdam",
    may=(ADMIN,),
)
#: A person's org-wide role, given or taken; the person is named by handle.
_ORG_ROLE = (Choice(name="role", of=OrgRole, help="The org-wide role.", example="auditor"),)
_BY_HANDLE: dict[str, Any] = {
    "named_by": _HANDLE, "identity": person_id, "example": "ann --role auditor"
}  # fmt: skip
GRANT_ROLE = Command(
    "person.grant", "Give a person an org-wide role (auditor or admin).", _ORG_ROLE,
    event="Granted", runs="grant_role", **_BY_HANDLE,
    may=(ADMIN,),
)  # fmt: skip
REVOKE_ROLE = Command(
    "person.revoke", "Take an org-wide role from a person.", _ORG_ROLE,
    event="Revoked", runs="revoke_role", **_BY_HANDLE,
    may=(ADMIN,),
)  # fmt: skip
ADD_TEAM = Command(
    "team.add",
    "Add a team to the org tree.",
    (
        _SLUG_FIELD,
        Text(name="name", help="The team's name.", most=120, line=True, example="Platform"),
        Slug(
            name="parent",
            help="The team it belongs to (none: a top team).",
            default=None,
            example="company",
        ),
    ),
    creates=True,
    event="Added",
    named_by=_SLUG_FIELD,
    identity=team_id,
    arguments=("slug",),
    example="platform --name Platform --parent company",
    may=(ADMIN,),
)
#: A team's membership commands name the team by slug and take the person as an argument.
_OF_TEAM: dict[str, Any] = {"named_by": _SLUG_FIELD, "identity": team_id, "arguments": ("handle",)}
SET_MEMBER = Command(
    "team.member",
    "Make a person a member of a team with a role (or change their role).",
    (_MEMBER, Choice(name="role", of=Role, help="Their role in the team.", example="member")),
    route="members", event="MemberSet", method="set_member", runs="set_member",
    example="platform bram --role member", **_OF_TEAM,
    may=(ADMIN, LEAD),
)  # fmt: skip
REMOVE_MEMBER = Command(
    "team.remove_member",
    "Take a person out of a team.",
    (_MEMBER,),
    route="members/remove", event="MemberRemoved", runs="remove_member",
    example="platform bram", **_OF_TEAM,
    may=(ADMIN, LEAD),
)  # fmt: skip

#: Where a person or team is told of prompts (``ledger.domain.notify``); left out: unchanged.
_SLACK = WebhookUrl(name="slack_url", option="slack", default=None,
                    help="The Slack incoming-webhook URL ('off' removes it).",
                    example="https://hooks.slack.com/services/T000/B000/XXXX")  # fmt: skip
_TEAMS = WebhookUrl(name="teams_url", option="teams", default=None,
                    help="The Microsoft Teams incoming-webhook URL ('off' removes it).",
                    example="https://example.webhook.office.com/webhookb2/XXXX")  # fmt: skip
NOTIFY_PERSON = Command(
    "person.notify",
    "Set how a person is told of their prompts: e-mail, Slack, Teams, digest, quiet hours.",
    (
        Choice(name="email", of=Switch, default=None, example="on",
               help="E-mail to their address in the directory."),
        _SLACK,
        _TEAMS,
        Choice(name="digest", of=Digest, default=None, example="daily",
               help="Gather prompts into one message a day or a week ('off': each at once)."),
        QuietHours(name="quiet", default=None, example="19:00-08:00",
                   help="Hours (their time zone) in which nothing is sent ('off': none)."),
        Texts(name="kinds", most=20, each=60, default=None, example=["weekly_review"],
              help="Only these kinds of prompts (repeat; 'all': every kind)."),
    ),
    event="NotificationsSet", named_by=_HANDLE, identity=person_id,
    example="ann --email on --digest daily --quiet 19:00-08:00",
    may=(ADMIN, SELF),
)  # fmt: skip
NOTIFY_TEAM = Command(
    "team.notify",
    "Set a team's chat channels (Slack, Teams) for notices to the whole team.",
    (_SLACK, _TEAMS,
     Choice(name="digest", of=Digest, default=None, example="weekly",
            help="Also post what changed on the team's key results and decisions, once a "
                 "day or a week ('off': no digest).")),
    event="NotificationsSet", named_by=_SLUG_FIELD, identity=team_id,
    example="platform --slack https://hooks.slack.com/services/T000/B000/XXXX",
    may=(ADMIN, LEAD),
)  # fmt: skip

DIRECTORY_COMMANDS = (
    ADD_PERSON, GRANT_ROLE, REVOKE_ROLE, ADD_TEAM, SET_MEMBER, REMOVE_MEMBER,
    NOTIFY_PERSON, NOTIFY_TEAM,
)  # fmt: skip


@dataclass(frozen=True)
class _NotificationsSet:
    """What a ``*.notify`` command leaves: every channel and preference (not only those
    changed), so the last such event says it all."""

    email: bool
    slack_url: str
    teams_url: str
    digest: Digest
    quiet: str
    kinds: tuple[str, ...]

    def channels(self) -> Channels:
        return Channels(self.email, self.slack_url, self.teams_url, self.digest, self.quiet,
                        tuple(self.kinds))  # fmt: skip


def _notify(thing: Person | Team, command: Command, actor: str, command_id: str,
            values: Any) -> None:  # fmt: skip
    """Record ``command``'s channels on a person or team, if they change anything."""
    given = command.check(values)
    channels = thing.channels.but(given)
    if channels == thing.channels:
        raise InvalidValue(
            next((k for k, v in given.items() if v is not None), command.fields[0].name),
            "changes nothing: these are the settings already (`koers notify show`)",
        )
    fields = vars(channels)
    thing.trigger_event(thing.NotificationsSet, actor=actor, command_id=command_id, **fields)


class _PersonGiven(Given):
    """What a person starts with: its Added event's fields, its first attributes."""

    handle: str
    name: str
    email: str
    time_zone: str


class Person(_PersonGiven, KoersAggregate):
    """Someone who uses Koers, known by a handle."""

    if TYPE_CHECKING:  # attributes, not dataclass fields (the events carry the data)
        org_roles: tuple[OrgRole, ...]
        _channels: Channels  # private: reads show it masked (``notify.masked``)

    class Added(_PersonGiven, KoersAggregate.Created):
        def apply(self, person: Person) -> None:
            self.adopt(person)
            person.org_roles = ()
            person._channels = Channels(email=bool(self.email))

    class Granted(KoersAggregate.Event):
        role: OrgRole

        def apply(self, person: Person) -> None:
            person.org_roles = (*person.org_roles, self.role)

    class Revoked(KoersAggregate.Event):
        role: OrgRole

        def apply(self, person: Person) -> None:
            person.org_roles = tuple(r for r in person.org_roles if r is not self.role)

    class NotificationsSet(_NotificationsSet, KoersAggregate.Event):
        class_version: ClassVar[int] = 1  # new with ``notify``: no older shape

        def apply(self, person: Person) -> None:
            person._channels = self.channels()

    @classmethod
    def add(cls, *, id: UUID, actor: str, command_id: str = "", **values: Any) -> Person:
        checked = ADD_PERSON.check(values)
        if id != person_id(checked["handle"]):
            raise InvalidValue("handle", "a person's id derives from their handle")
        return cls._create(cls.Added, id=id, actor=actor, command_id=command_id, **checked)

    def _role_not_held(self, _: str, checked: dict[str, Any]) -> None:
        still_open(checked["role"] not in self.org_roles,
                   f"{self.handle} is {checked['role'].value} already")  # fmt: skip

    def _role_held(self, _: str, checked: dict[str, Any]) -> None:
        still_open(checked["role"] in self.org_roles,
                   f"{self.handle} is not {checked['role'].value}")  # fmt: skip

    grant = changes(GRANT_ROLE, _role_not_held)
    revoke = changes(REVOKE_ROLE, _role_held)

    @property
    def channels(self) -> Channels:
        return self._channels

    def notify(self, *, actor: str, command_id: str = "", **values: Any) -> None:
        _notify(self, NOTIFY_PERSON, actor, command_id, values)


class _TeamGiven(Given):
    """What a team starts with: its Added event's fields, its first attributes."""

    slug: str
    name: str
    parent: str | None


class Team(_TeamGiven, KoersAggregate):
    """A team in the org tree, with its members and their roles."""

    if TYPE_CHECKING:  # attributes, not dataclass fields (the events carry the data)
        members: dict[str, Role]
        _channels: Channels  # private: reads show it masked (``notify.masked``)

    class Added(_TeamGiven, KoersAggregate.Created):
        def apply(self, team: Team) -> None:
            self.adopt(team)
            team.members = {}
            team._channels = Channels(email=False)

    class MemberSet(KoersAggregate.Event):
        handle: str
        role: Role

        def apply(self, team: Team) -> None:
            team.members[self.handle] = self.role

    class MemberRemoved(KoersAggregate.Event):
        handle: str

        def apply(self, team: Team) -> None:
            team.members.pop(self.handle, None)

    class NotificationsSet(_NotificationsSet, KoersAggregate.Event):
        class_version: ClassVar[int] = 1  # new with ``notify``: no older shape

        def apply(self, team: Team) -> None:
            team._channels = self.channels()

    @classmethod
    def add(cls, *, id: UUID, actor: str, command_id: str = "", **values: Any) -> Team:
        checked = ADD_TEAM.check(values)
        if id != team_id(checked["slug"]):
            raise InvalidValue("slug", "a team's id derives from its slug")
        if checked["parent"] == checked["slug"]:
            raise InvalidValue("parent", "a team cannot belong to itself")
        return cls._create(cls.Added, id=id, actor=actor, command_id=command_id, **checked)

    def _not_in_that_role(self, _: str, checked: dict[str, Any]) -> None:
        handle, role = checked["handle"], checked["role"]
        if handle in self.members and self.members[handle] is role:
            raise InvalidValue("role", f"{handle} is {role.value} of {self.slug} already")

    def _a_member(self, _: str, checked: dict[str, Any]) -> None:
        if checked["handle"] not in self.members:
            raise InvalidValue("handle", f"{checked['handle']} is not in {self.slug}")

    set_member = changes(SET_MEMBER, _not_in_that_role)
    remove_member = changes(REMOVE_MEMBER, _a_member)

    @property
    def channels(self) -> Channels:
        return self._channels

    def notify(self, *, actor: str, command_id: str = "", **values: Any) -> None:
        _notify(self, NOTIFY_TEAM, actor, command_id, values)

"""Who may do what: the directory as the access rules see it, credentials, and the checks.

- :class:`Directory` is the directory at a moment: people with their org-wide roles, teams
  with their parents and members. Read again when older than ``cache_seconds``, at once
  after a directory command through this application, and when a read asks for a log
  position it was read before (read your writes: a team made through another process).
- :meth:`AccessCommands.authorize` is the one check of a command (the API, the remote
  command line and the web page all come through :meth:`KoersBase.execute`): the command's
  ``may`` (:mod:`ledger.domain.access`) against the facts of the thing it acts on.
- :meth:`AccessCommands.may_read` is the one check of a read: a team's things are seen by
  its members (any role) and by members of the teams above it, and by auditors; a person's
  prompts only by that person. A thing someone may not see is reported as not found.
- Credentials (:func:`new_secret`): tokens ``koers_<id>_<secret>``, login links
  ``koers-link_<id>_<secret>``, calendar links ``koers-cal_<id>_<secret>``; the ledger keeps
  the SHA-256 of each, never the text.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError

from ledger.application._base import KoersBase, Receipt
from ledger.application._kinds import event_topics
from ledger.domain import (
    AGGREGATES,
    Command,
    KoersAggregate,
    LoginLink,
    Objective,
    OrgRole,
    Person,
    Principal,
    Role,
    Team,
    Token,
    person_id,
    team_id,
)
from ledger.domain import credentials as c
from ledger.domain._clock import now
from ledger.domain._fields import Handle, Handles
from ledger.domain.access import ADMIN, LEAD, SELF, Who
from ledger.errors import Forbidden, NotAllowed, NotFound, Unauthenticated

__all__ = ["AccessCommands", "Directory", "Facts", "ReadScope"]

_TOKEN_PREFIX = "koers_"
#: At most this many tokens (and objectives' teams) are kept in memory (then the cache
#: starts again).
_MOST_TOKENS = 10_000
_LINK_PREFIX = "koers-link_"
#: The events the directory is made of (a person's roles and e-mail, a team's members).
_DIRECTORY_TOPICS = (*event_topics(Person), *event_topics(Team))
#: Fields that name a person who must be in the directory.
_PEOPLE = frozenset({"owner", "decider", "to", "facilitator", "handle", "recommender", "approver"})


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret(prefix: str, ident: UUID) -> tuple[str, str]:
    """A credential's text, ``<prefix><id as hex>_<256 random bits>``, shown once, and the
    SHA-256 of it, which is all the ledger keeps (tokens, login links, calendar links)."""
    text = f"{prefix}{ident.hex}_{secrets.token_urlsafe(32)}"
    return text, _sha256(text)


def secret_id(text: str, prefix: str) -> UUID | None:
    """The id a credential's text names, or ``None`` when it is not one with ``prefix``."""
    if not text.startswith(prefix):
        return None
    try:
        return UUID(hex=text[len(prefix) :].split("_", 1)[0])
    except ValueError:
        return None


def same_secret(text: str, secret_sha256: str) -> bool:
    """Whether ``text`` is the secret whose SHA-256 was kept (in constant time)."""
    return hmac.compare_digest(secret_sha256, _sha256(text))


@dataclass(frozen=True)
class Directory:
    """The directory at a moment, as the access rules read it."""

    org_roles: Mapping[str, frozenset[OrgRole]] = field(default_factory=dict)
    parents: Mapping[str, str | None] = field(default_factory=dict)
    members: Mapping[str, Mapping[str, Role]] = field(default_factory=dict)
    #: e-mail address (lower case) -> handle
    emails: Mapping[str, str] = field(default_factory=dict)

    def above(self, team: str) -> list[str]:
        """The team and every team above it, nearest first."""
        chain: list[str] = []
        current: str | None = team
        while current is not None and current not in chain:
            chain.append(current)
            current = self.parents.get(current)
        return chain

    def role(self, handle: str, team: str) -> Role | None:
        """A person's strongest role in a team, counting the teams above it."""
        roles = [self.members.get(t, {}).get(handle) for t in self.above(team)]
        order = (Role.LEAD, Role.MEMBER, Role.VIEWER)
        return next((r for r in order if r in roles), None)

    def teams_of(self, handle: str) -> set[str]:
        return {t for t, people in self.members.items() if handle in people}

    def has(self, handle: str, role: OrgRole) -> bool:
        return role in self.org_roles.get(handle, frozenset())


@dataclass(frozen=True)
class Facts:
    """What the access rules need of the thing a command acts on or a read shows."""

    teams: frozenset[str] = frozenset()
    #: Who is what to the thing, by :attr:`Who.key`: "owner", "decider", "delegator", ...
    people: Mapping[str, str] = field(default_factory=dict)
    #: Who are several to the thing, by :attr:`Who.key`: "consulted" (a decision's).
    groups: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: Only these people may see it (a prompt: its recipient), whatever their teams.
    private_to: str | None = None


@dataclass(frozen=True)
class ReadScope:
    """What one principal may read of one kind, as data a query filters by (the rules of
    :meth:`AccessCommands.may_see` for every thing of the kind at once): everything; or what
    names ``handle``, is of one of ``teams`` (where they have a role, counting the teams
    above), or, for a delegation, has an owner in ``owners`` (the people of those teams). A
    prompt (``private``) only its recipient sees, never a service."""

    handle: str
    everything: bool
    teams: frozenset[str] = frozenset()
    owners: frozenset[str] = frozenset()
    private: bool = False
    service: bool = False


class AccessCommands(KoersBase):
    """The access rules and credentials (see the module docstring)."""

    #: How long (seconds) the directory and a token, once read, are trusted.
    cache_seconds: float = 2.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._access_lock = threading.Lock()
        #: when it was read (monotonic), the log position it includes, the directory
        self._directory: tuple[float, int, Directory] | None = None
        self._tokens: dict[UUID, tuple[float, Token | None]] = {}
        #: moved on by every revocation or forgetting: a token read that began before one
        #: is not kept (it could hold the token as it was before the revocation)
        self._token_epoch = 0
        self._objective_teams: dict[UUID, str] = {}

    # -- the directory ---------------------------------------------------------------------

    def directory(self, at_least: int | None = None) -> Directory:
        """The directory, read again when older than ``cache_seconds`` (by one thread: the
        others that found it old wait for that read and take it), or when a person or team
        changed after it was read, at or before log position ``at_least`` (a write's
        position: read your writes; asking that costs one small read of the log)."""
        cached = self._directory
        if cached is not None and self._directory_fresh(cached, at_least):
            return cached[2]
        with self._access_lock:
            cached = self._directory
            if cached is not None and self._directory_fresh(cached, at_least):
                return cached[2]  # read by the thread this one waited for
            if cached is not None and at_least is not None and self._directory_fresh(cached, None):
                unchanged = self._directory_unchanged(cached[1], at_least)
                if unchanged is not None:
                    self._directory = (cached[0], unchanged, cached[2])
                    return cached[2]
            position = self.recorder.max_notification_id() or 0  # read before: it includes it
            if cached is not None and cached[1] >= position:  # nothing written since
                self._directory = (time.monotonic(), position, cached[2])
                return cached[2]
            people = self.all_of(Person)
            teams = self.all_of(Team)
            fresh = Directory(
                org_roles={p.handle: frozenset(p.org_roles) for p in people},
                parents={t.slug: t.parent for t in teams},
                members={t.slug: dict(t.members) for t in teams},
                emails={p.email.lower(): p.handle for p in people if p.email},
            )
            self._directory = (time.monotonic(), position, fresh)
        return fresh

    def _directory_unchanged(self, since: int, at_least: int) -> int | None:
        """Up to which position the directory read at ``since`` is known to be the same, if
        that covers ``at_least``: ``since`` when no person or team changed after it (up to the
        log's end), ``at_least`` when the next change comes after it; ``None`` when one
        changed at or before ``at_least`` (read it again)."""
        after = self.recorder.select_notifications(
            since, 1, topics=_DIRECTORY_TOPICS, inclusive_of_start=False
        )
        if not after:
            return since
        return at_least if after[0].id > at_least else None

    def _directory_fresh(self, cached: tuple[float, int, Directory], at_least: int | None) -> bool:
        read_at, position, _ = cached
        young = time.monotonic() - read_at < self.cache_seconds
        return young and (at_least is None or position >= at_least)

    def forget_access(self) -> None:
        """Read the directory and tokens again at the next check (after a change here).

        Under the directory's lock: a read that began before the change, and ends after it,
        cannot put its older directory back once this has forgotten it."""
        with self._access_lock:
            self._directory = None
        self._token_epoch += 1
        self._tokens.clear()

    # -- checks ----------------------------------------------------------------------------

    def facts(self, kind: str, thing: KoersAggregate | None, values: Mapping[str, Any]) -> Facts:
        """The facts of the thing a command acts on (``thing``), or of the one a creating
        command makes (from its ``values``)."""
        get = (lambda name: getattr(thing, name, None)) if thing is not None else values.get
        if kind == "key_result":
            objective_id = get("objective_id")
            team = self._objective_team(objective_id) if objective_id else None
            return Facts(frozenset({team} if team else ()), {"owner": get("owner") or ""})
        if kind == "delegation":
            owner = get("owner") or ""
            return Facts(frozenset(self.directory().teams_of(owner)),
                         {"owner": owner, "delegator": get("delegator") or ""})  # fmt: skip
        if kind in ("prompt", "webhook"):  # its recipient's alone; a webhook's URL its owner's
            role, name = ("recipient", "to") if kind == "prompt" else ("owner", "owner")
            return Facts(people={role: get(name) or ""}, private_to=get(name) or "")
        if kind in ("person", "token"):
            return Facts(people={"self": get("handle") or ""})
        if kind == "team":
            slug = get("slug") or get("parent")
            return Facts(frozenset({slug} if slug else ()))
        named = ("owner", "decider", "facilitator", "recommender", "approver")
        people = {name: get(name) or "" for name in named}
        actions = getattr(thing, "actions", {}) if kind == "retro" else {}
        if values.get("item_id") in actions:
            people["owner"] = actions[values["item_id"]]["owner"]
        team = get("team")
        groups = {"consulted": frozenset(get("consulted") or ())} if kind == "decision" else {}
        return Facts(frozenset({team} if team else ()), people, groups)

    def _objective_team(self, objective_id: UUID) -> str:
        """The team of an objective (``NotFound`` if there is none): a key result's team
        for the access rules. Only the objective's first event (``Set``) gives it a team,
        so once read it is kept (no round trip to the store, and no wait on the objective
        while its other key results are checked at the same time)."""
        team = self._objective_teams.get(objective_id)
        if team is None:
            team = self.load(Objective, objective_id).team
            if len(self._objective_teams) >= _MOST_TOKENS:
                self._objective_teams.clear()
            self._objective_teams[objective_id] = team
        return team

    def fits(self, who: Who, principal: Principal, facts: Facts) -> bool:
        """Whether the principal is ``who`` for a thing with these facts."""
        handle, directory = principal.handle, self.directory()
        if who.key == "service":  # the workers, or a service's token (acts for others)
            return principal.service or principal.on_behalf
        if who.key == "admin":
            return directory.has(handle, OrgRole.ADMIN)
        if who.key == "team_member":  # the team's own people, not those of teams above
            own = {Role.LEAD, Role.MEMBER}
            return any(directory.members.get(t, {}).get(handle) in own for t in facts.teams)
        if who.key in ("lead", "member"):
            wanted = {Role.LEAD} if who.key == "lead" else {Role.LEAD, Role.MEMBER}
            return any(directory.role(handle, t) in wanted for t in facts.teams)
        if handle in facts.groups.get(who.key, ()):
            return True
        return bool(handle) and facts.people.get(who.key) == handle

    def may_see(self, principal: Principal, facts: Facts) -> bool:
        """Whether the principal may see a thing with these facts (see the module docs)."""
        if facts.private_to is not None:
            return principal.handle == facts.private_to and not principal.service
        if principal.local or principal.service:
            return True
        directory = self.directory()
        if directory.has(principal.handle, OrgRole.AUDITOR):
            return True
        if principal.handle in facts.people.values():
            return True
        if any(principal.handle in group for group in facts.groups.values()):
            return True
        return any(directory.role(principal.handle, t) is not None for t in facts.teams)

    def may_see_party(self, principal: Principal, team: str, people: Sequence[str]) -> bool:
        """Whether the principal may see a thing of ``team`` on which ``people`` are (its
        owner first); a thing of no team (a delegation) belongs to its owner's teams, as in
        :meth:`facts` (the lineage read filters its nodes with this)."""
        teams = {team} if team else (self.directory().teams_of(people[0]) if people else set())
        on_it = {f"party{n}": handle for n, handle in enumerate(people)}
        return self.may_see(principal, Facts(frozenset(teams), on_it))

    def may_see_team(self, principal: Principal, team: str) -> bool:
        return self.may_see(principal, Facts(frozenset({team})))

    def quality_scope(self, principal: Principal, handle: str) -> frozenset[str] | None:
        """The teams whose decisions by ``handle`` the principal may read in that person's
        decision quality: all (``None``) for the person themself and the local administrator;
        for a lead of one of the person's teams (or of a team above it), the teams that lead
        leads (their own and every one below). ``NotFound`` for anyone else (as a person's
        prompts are: not revealed), ``UnknownName``
        for a handle the directory does not know."""
        self.person(handle)
        if principal.local or (principal.handle == handle and not principal.service):
            return None
        directory = self.directory()
        led = frozenset(
            t for t in directory.parents if directory.role(principal.handle, t) is Role.LEAD
        )
        if not led & directory.teams_of(handle):
            raise NotFound(
                "person", handle,
                "a person's decision quality is read by them and by leads of their teams (or "
                "of a team above them)",
            )  # fmt: skip
        return led

    def may_read(self, principal: Principal, kind: str, thing: KoersAggregate) -> bool:
        return self.may_see(principal, self.facts(kind, thing, {}))

    def read_scope(self, principal: Principal, kind: str) -> ReadScope:
        """What ``principal`` may read of ``kind`` (:meth:`may_read` of each thing, as data:
        a test holds the two to the same answers)."""
        handle = principal.handle
        if kind in ("prompt", "webhook"):
            return ReadScope(handle, False, private=True, service=principal.service)
        directory = self.directory()
        if principal.local or principal.service or directory.has(handle, OrgRole.AUDITOR):
            return ReadScope(handle, True)
        teams = frozenset(t for t in directory.parents if directory.role(handle, t) is not None)
        owners = frozenset(p for t in teams for p in directory.members.get(t, {}))
        return ReadScope(handle, False, teams, owners if kind == "delegation" else frozenset())

    def authorize(
        self,
        principal: Principal,
        command: Command,
        target: UUID | None,
        values: Mapping[str, Any],
    ) -> KoersAggregate | None:
        """Refuse (``Forbidden``; ``NotFound`` for a thing the principal may not see, also
        the objective a new key result names) unless the principal may issue the command on
        its target with these values; answer the target as loaded for the check."""
        if principal.read_only:
            raise Forbidden("this credential is read-only: it may read, never write",
                            "a credential that may write")  # fmt: skip
        if principal.local:  # the local administrator (see Principal)
            return None
        self._known_names(command, values)
        thing = None
        if target is not None:
            thing = self.load(AGGREGATES[command.kind], target)
        facts = self.facts(command.kind, thing, values)
        if command.name == "delegation.create":
            facts = replace(facts, people={**facts.people, "delegator": principal.handle})
        if command.name == "webhook.add":  # a webhook is its registrant's own
            facts = replace(facts, people={**facts.people, "owner": principal.handle})
        if any(self.fits(who, principal, facts) for who in command.may):
            if command.name == "token.create" and values.get("on_behalf"):
                self._only_admins(principal, "a token that acts for others")
            return thing
        if not self.may_see(principal, facts):
            if thing is not None:
                raise NotFound(command.kind.replace("_", " "), target)
            if command.kind == "key_result":  # its team is its objective's: not revealed
                raise NotFound("objective", values["objective_id"])
        needs = " or ".join(str(w) for w in command.may)
        raise Forbidden(
            f"{command.name.replace('_', ' ')} may be issued by {needs}; {principal.handle} is not",
            needs,
        )

    def _only_admins(self, principal: Principal, what: str) -> None:
        if not (principal.local or self.directory().has(principal.handle, OrgRole.ADMIN)):
            raise Forbidden(f"only an admin may make {what}", "an admin")

    def _known_names(self, command: Command, values: Mapping[str, Any]) -> None:
        """The people and teams a command names must be in the directory (not the name a
        creating command gives the new person or team)."""
        for f in command.fields:
            value = values.get(f.name)
            if value is None or (command.creates and f is command.named_by):
                continue
            if f.name in ("team", "parent"):
                self.team(str(value))
            elif (isinstance(f, Handle) and f.name in _PEOPLE) or isinstance(f, Handles):
                for handle in (value,) if isinstance(value, str) else value:
                    self.person(str(handle))

    # -- notification channels -------------------------------------------------------------

    def notifications(self, principal: Principal, kind: str, name: str) -> dict[str, Any]:
        """A person's (``kind`` person, by handle) or team's (by slug) channels as
        ``koers notify show`` prints them: the webhook URLs in full for the person
        themself, a team's leads and admins, masked for others who may see the person or
        team; ``NotFound`` for anyone else."""
        thing: Person | Team = (
            self.named(Person, "handle", person_id, name, "`koers people list`")
            if kind == "person"
            else self.named(Team, "slug", team_id, name, "`koers teams list`")
        )
        if not (principal.local or self.may_read(principal, kind, thing)
                or self.directory().has(principal.handle, OrgRole.ADMIN)):  # fmt: skip
            raise NotFound(kind, name)
        facts = self.facts(kind, thing, {})
        owners = (SELF,) if kind == "person" else (LEAD,)
        secrets = principal.local or any(
            self.fits(who, principal, facts) for who in (*owners, ADMIN)
        )
        return {kind: name, **thing.channels.shown(secrets=secrets and not principal.service)}

    # -- tokens ----------------------------------------------------------------------------

    def create_token(self, *, actor: str, key: str = "", **values: Any) -> Receipt:
        """Make a token; the receipt carries its secret (shown once, never recorded)."""
        self.person(c.CREATE_TOKEN.field("handle").check(values.get("handle")))
        holder: dict[str, str] = {}

        def make(new_id: UUID) -> Token:
            holder["token"], digest = new_secret(_TOKEN_PREFIX, new_id)
            return Token.create(id=new_id, actor=actor, command_id=str(key),
                                secret_sha256=digest, **values)  # fmt: skip

        receipt = self.create(Token, key, make, Token.Issued)
        return replace(receipt, secret=None if receipt.replayed else holder.get("token"))

    def revoke_token(self, target: UUID, /, **options: Any) -> Receipt:
        receipt = self.run(c.REVOKE_TOKEN, target, **options)
        self._token_epoch += 1
        self._tokens.pop(target, None)
        return receipt

    def tokens(self, handle: str | None = None) -> list[Token]:
        """Every token (of one person), oldest first."""
        return [t for t in self.all_of(Token) if handle is None or t.handle == handle]

    def token_principal(self, secret: str, *, cached_only: bool = False) -> Principal | None:
        """The principal a token's secret proves, or ``Unauthenticated`` saying why not.
        ``cached_only``: answer ``None`` rather than read the store."""
        token_id = _token_id(secret)
        entry = self._tokens.get(token_id)
        if entry is None or time.monotonic() - entry[0] >= self.cache_seconds:
            if cached_only:
                return None
            epoch = self._token_epoch
            entry = (time.monotonic(), self._find(Token, token_id))
            # made-up ids are not kept (they could fill memory), nor a read a revocation
            # overtook (it could hold the token as it was before)
            if entry[1] is not None and self._token_epoch == epoch:
                if len(self._tokens) >= _MOST_TOKENS:
                    self._tokens.clear()
                self._tokens[token_id] = entry
        token = entry[1]
        if token is None or not same_secret(secret, token.secret_sha256):
            raise Unauthenticated("the token is not valid: check it, or make a new one with "
                                  "`koers token create <handle>`")  # fmt: skip
        if token.revoked:
            raise Unauthenticated("the token was revoked: make a new one")
        if not token.works(now()):
            raise Unauthenticated(
                f"the token expired at {token.expires_at.isoformat()}: make a new one"
            )
        return Principal(token.handle, f"token:{token_id}", token.read_only, token.on_behalf)

    def signed_on(self, issuer: str, subject: str, email: str | None, match: str) -> Principal:
        """The person a single sign-on identity names: by e-mail address (``match`` is
        ``email``) or by handle equal to the subject (``subject``)."""
        directory = self.directory()
        if match == "email":
            handle = directory.emails.get((email or "").lower())
        else:
            handle = subject if subject in directory.org_roles else None
        if handle is None:
            what = f"e-mail address {email!r}" if match == "email" else f"handle {subject!r}"
            raise Unauthenticated(
                f"signed on, but no person in the directory has the {what}: ask an admin to "
                f"add you (`koers people add`)"
            )
        return Principal(handle, f"oidc:{issuer}#{subject}")

    # -- login links -----------------------------------------------------------------------

    def issue_login_link(self, handle: str, *, actor: str, minutes: float) -> str:
        """A one-time secret that signs ``handle`` in (the web page's ``/login?token=``)."""
        self.person(handle)
        link_id = uuid4()
        text, digest = new_secret(_LINK_PREFIX, link_id)
        link = LoginLink.issue(id=link_id, actor=actor, handle=handle,
                               lifetime=timedelta(minutes=minutes),
                               secret_sha256=digest)  # fmt: skip
        self.save(link)
        return text

    def use_login_link(self, text: str) -> Principal:
        """Sign in with a login link's secret: once, in time (``Unauthenticated`` if not)."""
        link_id = secret_id(text, _LINK_PREFIX)
        if link_id is None:
            raise Unauthenticated("this is not a login link: ask for a new one")
        link = self._find(LoginLink, link_id)
        if link is None or not same_secret(text, link.secret_sha256):
            raise Unauthenticated("this login link is not valid: ask for a new one")
        try:
            link.use()
            self.save(link)
        except NotAllowed as e:  # used, or expired
            raise Unauthenticated(str(e)) from None
        except IntegrityError:  # used concurrently, just now
            raise Unauthenticated("this login link was used already: ask for a new one") from None
        return Principal(link.handle, f"session:{link_id}")


def _token_id(secret: str) -> UUID:
    if not secret.startswith(_TOKEN_PREFIX):
        raise Unauthenticated("the token is not a Koers token: send 'Authorization: Bearer "
                              "koers_…' as `koers token create` printed it")  # fmt: skip
    token_id = secret_id(secret, _TOKEN_PREFIX)
    if token_id is None:
        raise Unauthenticated("the token is malformed: send it as it was printed")
    return token_id

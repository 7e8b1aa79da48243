"""Posting to a team's chat channels (``koers teams notify <slug> --slack … --teams …``):
what concerns the team, in its Slack and Microsoft Teams.

- **Decisions** (``<name>-teams`` on the ledger, filtered by the server to five event types:
  :data:`~workers._names.TEAM_EVENTS`): a decision opened for the team, decided, reviewed
  or reversed.
- **Due items** (``<name>-teams-due`` on the schedules' ``due.>``, beside the prompts' own
  consumer): a decision's decide-by and review dates, a retro action's due date, a key
  result's missed check-in cadence. Judged as for the person's prompt
  (:class:`~workers._due.DueHandlers`: the reason must still hold when the schedule fires;
  one item per prompt key), but told about the thing, never as the prompt: prompts are
  private to their person, and neither their question nor their page reaches a team.
- **The team's digest** (``--digest daily|weekly``; ``team.notifications_set`` arms a cron
  schedule on ``digest_at.<team id>``, the notifier's gather calls :meth:`TeamPosts.digest`):
  what changed on the team's key results and decisions in the period.

Each item is one delivery per channel (:func:`~workers._outbox.delivery_id` of the item,
the channel and ``team:<slug>``), sent as a person's are (:mod:`workers._claims`: claimed,
sent, marked sent; retried on failure): once, whatever the restarts and redeliveries.

Only the team's own things are posted (a decision of the team, a key result of its
objectives, an action of its retros: :meth:`Koers.facts` names the team and nothing is
private), and every member of a team may read those. A channel gets what happened after it
was connected: an event stored (or a schedule fired) before its URL was set is not posted to
it, so a worker starting on an old ledger does not post the team's history.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import anyio.to_thread
from nats.aio.msg import Msg

from ledger.application import Koers
from ledger.domain import Decision, KeyResult, KoersAggregate, Retro, Team, team_id
from ledger.domain.notify import Digest
from ledger.domain.pages import page_path
from ledger.errors import NotFound
from ledger.settings import WorkerSettings
from workers._actions import IssuePrompt
from workers._changes import changes_of
from workers._decode import Decoder
from workers._due import DueHandlers
from workers._names import TEAM_EVENTS, Names
from workers._notices import Item, Notice
from workers._notifier import digest_cron, settle, title_of
from workers._outbox import Delivery, Outbox, delivery_id

__all__ = ["TeamPosts"]

log = logging.getLogger("workers.notify")
T = TypeVar("T")
#: The schedules whose due items concern a team: the kind of the thing each is about.
DUE_KINDS = {"decision_decide_by": "decision", "decision_review": "decision",
             "kr_check_in": "key_result", "action_item": "retro"}  # fmt: skip
CHANNELS = ("slack", "teams")


class TeamPosts:
    def __init__(self, *, app: Koers, settings: WorkerSettings, names: Names, decoder: Decoder,
                 outbox: Outbox, retry: Callable[[Msg], float]) -> None:  # fmt: skip
        self.app = app
        self.settings = settings
        self.names = names
        self.base = settings.notify.public_url
        self.decoder = decoder
        self.outbox = outbox
        self.due = DueHandlers(app, settings)
        self._retry = retry

    # -- the two consumers ------------------------------------------------------------------

    async def events(self, messages: Iterable[Msg]) -> None:
        """Ledger events, one after the other (few concern a team; the rest are skipped
        by their subject, unread)."""
        for msg in messages:
            if _concerns_teams(msg.subject):
                await settle(msg, self._event, "posting to a team", self._retry)
            else:
                await msg.ack()

    async def due_items(self, messages: Iterable[Msg]) -> None:
        for msg in messages:
            await settle(msg, self._due, "posting to a team", self._retry)

    # -- what is posted -----------------------------------------------------------------------

    async def _event(self, msg: Msg) -> None:
        event = self.decoder.decode_msg(msg)
        if event is None:
            return
        if event.kind == "team":
            await self._digest_schedule(event.aggregate_id)
            return
        found = await self._in_thread(self._decision_item, event.aggregate_id, event.version)
        if found is not None:
            slug, at, item = found
            await self.post(slug, f"team:{event.name}:{event.aggregate_id}@{event.version}",
                            item, at)  # fmt: skip

    def _decision_item(self, ident: uuid.UUID, version: int) -> tuple[str, datetime, Item] | None:
        """The decision as this event left it, as the team's item (with the event's time)."""
        try:
            d = self.app.load(Decision, ident, version)
        except NotFound:
            return None
        if not self._the_teams("decision", d, d.team):
            return None
        chosen = next((o.title for o in d.options if o.key == d.chosen), d.chosen)
        status, why = {
            "open": ("New decision", f"{d.decider} decides by {d.decide_by}."),
            "decided": ("Decided", f"{d.decider} chose {chosen}; review on {d.review_on}."),
            "reviewed": ("Reviewed", f"{d.decider}'s decision (chose {chosen}) was reviewed."),
            "reversed": ("Reversed", f"{d.decider}'s decision (chose {chosen}) was reversed."),
        }.get(d.status.value, (d.status.value.capitalize(), ""))
        return (
            d.team,
            d.modified_on,
            Item(f"{status}: {d.question}", why, self._link("decision", d.id)),
        )

    async def _due(self, msg: Msg) -> None:
        prefix = f"{self.names.schedules_prefix}.due."
        kind, _, ident = msg.subject.removeprefix(prefix).partition(".")
        if kind not in DUE_KINDS:  # periodic reviews, delegations: a person's, not a team's
            return
        actions = await self._in_thread(self.due.handle, kind, ident)
        for action in actions:
            if isinstance(action, IssuePrompt):
                found = await self._in_thread(self._due_item, kind, ident)
                if found is not None:
                    slug, item = found
                    await self.post(slug, f"due:{action.key}", item, msg.metadata.timestamp)

    def _due_item(self, kind: str, ident: str) -> tuple[str, Item] | None:
        """What is due (its schedule ``kind`` and ``ident``) as its team's item."""
        about = {"decision_decide_by": self._decision_due, "decision_review": self._review_due,
                 "kr_check_in": self._check_in_missed,
                 "action_item": self._action_due}[kind]  # fmt: skip
        try:
            thing, item = about(ident)
        except (NotFound, KeyError, ValueError):
            return None
        teams = self.app.facts(DUE_KINDS[kind], thing, {}).teams
        slug = next(iter(sorted(teams)), "")
        return (slug, item) if self._the_teams(DUE_KINDS[kind], thing, slug) else None

    def _decision_due(self, ident: str) -> tuple[KoersAggregate, Item]:
        return self._about_decision(ident, lambda d: (
            f"To decide: {d.question}",
            f"{d.decider} was to decide by {d.decide_by}; information at "
            f"{d.information_level} %."))  # fmt: skip

    def _review_due(self, ident: str) -> tuple[KoersAggregate, Item]:
        return self._about_decision(ident, lambda d: (
            f"Review due: {d.question}",
            f"Decided on {d.decided_on} by {d.decider}, to be reviewed on "
            f"{d.review_on}."))  # fmt: skip

    def _about_decision(
        self, ident: str, said: Callable[[Decision], tuple[str, str]]
    ) -> tuple[KoersAggregate, Item]:
        """An item about decision ``ident``: ``said`` gives its title and line; the link is
        its page."""
        d = self.app.load(Decision, uuid.UUID(ident))
        title, line = said(d)
        return d, Item(title, line, self._link("decision", d.id))

    def _check_in_missed(self, ident: str) -> tuple[KoersAggregate, Item]:
        kr = self.app.load(KeyResult, uuid.UUID(ident))
        return kr, Item(f"Check-in missed: {kr.title}",
                        f"{kr.owner} checks in every {kr.cadence_days} days.",
                        self._link("key_result", kr.id))  # fmt: skip

    def _action_due(self, ident: str) -> tuple[KoersAggregate, Item]:
        retro_part, _, item_part = ident.partition(".")
        retro = self.app.load(Retro, uuid.UUID(retro_part))
        action = retro.actions[uuid.UUID(item_part)]
        return retro, Item(f"Retro action due: {action['text']}",
                           f"{action['owner']}, due {action['due']}, from the retro of "
                           f"{retro.period}.",
                           self._link("retro", retro.id))  # fmt: skip

    def _link(self, kind: str, ident: uuid.UUID) -> tuple[tuple[str, str], ...]:
        """The link to the page of the thing an item is about."""
        return ((f"Open the {kind.replace('_', ' ')}", self.base + page_path(kind, ident)),)

    def _the_teams(self, kind: str, thing: KoersAggregate, slug: str) -> bool:
        """Whether ``thing`` is ``slug``'s own, which each of its members may read (not
        private to one person): the access rules' facts of it."""
        facts = self.app.facts(kind, thing, {})
        return bool(slug) and facts.private_to is None and slug in facts.teams

    # -- the team's digest --------------------------------------------------------------------

    async def _digest_schedule(self, team: uuid.UUID) -> None:
        """Arm (or cancel) the team's digest as its channels say now (not as this event
        said: a redelivered older event must not undo a later change)."""
        try:
            found = await self._in_thread(self.app.load, Team, team)
        except NotFound:
            return
        digest = found.channels.digest
        if digest is Digest.OFF:
            await self.outbox.no_digest(team.hex)
            return
        cron = digest_cron(digest, self.settings)
        await self.outbox.digest_schedule(team.hex, cron, self.settings.timezone,
                                          {"team": found.slug}, cached=False)  # fmt: skip

    async def digest(self, slug: str, through: int, fired: datetime) -> None:
        """The team's digest fired (``through``: the trigger's sequence): what changed on
        its key results and decisions in the period, one message per channel."""
        notice = await self._in_thread(self._digest_of, slug, fired)
        if notice is not None:
            await self.post(slug, f"digest:{team_id(slug).hex}:{through}", notice, fired)

    def _digest_of(self, slug: str, fired: datetime) -> Notice | None:
        try:
            team = self.app.load(Team, team_id(slug))
        except NotFound:
            return None
        if team.channels.digest is Digest.OFF:
            return None
        weekly = team.channels.digest is Digest.WEEKLY
        period = "week" if weekly else "day"
        changes = changes_of(self.app, {slug}, fired - timedelta(days=7 if weekly else 1),
                             self.base)  # fmt: skip
        if not changes:
            return None
        count = f"{len(changes)} change{'s' if len(changes) != 1 else ''}"
        return Notice(f"The {period} of {team.name} in Koers: {count}",
                      f"What changed on {team.name}'s key results and decisions this {period}.",
                      tuple(changes))  # fmt: skip

    # -- posting ------------------------------------------------------------------------------

    async def post(self, slug: str, key: str, what: Item | Notice, at: datetime) -> None:
        """One delivery of ``what`` (``key``: the item's id) per channel of the team that
        was connected by ``at``."""
        channels = await self._in_thread(self._channels, slug)
        if channels is None:
            return
        name, connected = channels
        notice = what if isinstance(what, Notice) else Notice(
            title_of(what.text), f"For the team {name} ({slug}).", (what,))  # fmt: skip
        to = f"team:{slug}"
        for channel, (url, since) in connected.items():
            if since > at:
                log.debug("not posting %s to %s's %s: connected after it", key, slug, channel)
                continue
            await self.outbox.now(Delivery(delivery_id(key, channel, to), channel, url, to,
                                           key.replace(":", "-"), notice))  # fmt: skip

    def _channels(self, slug: str) -> tuple[str, dict[str, tuple[str, datetime]]] | None:
        """The team's name, and each chat channel's URL with when it was set to that URL."""
        try:
            team = self.app.load(Team, team_id(slug))
        except NotFound:
            return None
        connected: dict[str, tuple[str, datetime]] = {}
        for event in self.app.event_history(team.id):
            if isinstance(event, Team.NotificationsSet):
                for channel, url in zip(CHANNELS, (event.slack_url, event.teams_url), strict=True):
                    if not url:
                        connected.pop(channel, None)
                    elif connected.get(channel, ("",))[0] != url:
                        connected[channel] = (url, event.timestamp)
        return team.name, connected

    async def _in_thread(self, fn: Callable[..., T], *args: Any) -> T:
        return await anyio.to_thread.run_sync(fn, *args)


def _concerns_teams(subject: str) -> bool:
    """Whether a ledger subject (``<prefix>.<kind>.<id>.<type>``) is an event posted to a
    team (a decision's) or arming its digest (the team's channels set). The consumer's
    filters pass only those; a consumer made before they did still passes every event."""
    tokens = subject.split(".")
    if len(tokens) != 4:  # a tracking record, or not the ledger's: the other consumers judge it
        return False
    return f"{tokens[1]}.{tokens[3]}" in TEAM_EVENTS

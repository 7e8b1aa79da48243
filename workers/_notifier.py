"""Telling people of their prompts: from a ``prompt.issued`` event to deliveries, and from a
delivery to the message sent once.

- **A new prompt** (``<name>-notify`` on the ledger; with a person's notification settings,
  :meth:`Notifier._digest_setting`): if it is still open and its person's
  channels want its kind, one delivery per channel (e-mail, Slack, Teams), each with its
  derived id (:func:`~workers._outbox.delivery_id`): into the digest (daily or weekly), or
  held back until the person's quiet hours end, or sent now. Due items (check-ins,
  acknowledgements, reviews, retro actions) reach people this way too: the workers raise
  prompts for them.
- **A delivery** (``<name>-send``): claimed, sent, marked sent (:mod:`workers._claims`); a
  failed send is retried with backoff for as long as it takes.
- **A digest** (``<name>-gather``, fired by the person's cron): the items kept for the person
  before the trigger (so a redelivered trigger gathers the same ones, into the same
  delivery ids), those still open, and what changed on their teams' key results and
  decisions in the period (:mod:`workers._changes`), as one message per channel; then the
  items are removed.
- **A team's digest** (the same trigger, its body naming the team): handed to
  :meth:`workers._teamchan.TeamPosts.digest`, which posts to the team's chat channels.

The application is synchronous: its reads run in a thread.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import anyio.to_thread
import orjson
from nats.aio.msg import Msg

from ledger.application import Koers
from ledger.domain import Person, Prompt, PromptState, person_id
from ledger.domain.notify import Channels, Digest, quiet_until
from ledger.errors import NotFound
from ledger.settings import WorkerSettings
from workers._changes import team_changes
from workers._claims import Claim, Claims, Sent, Taken
from workers._decode import BadMessage, Decoder
from workers._metrics import Metrics
from workers._notices import Item, Notice, prompt_item
from workers._outbox import Delivery, Outbox, delivery_id
from workers._senders import Senders, SendFailed

if TYPE_CHECKING:
    from workers._teamchan import TeamPosts

__all__ = ["Notifier", "digest_cron", "settle", "title_of"]

log = logging.getLogger("workers.notify")
T = TypeVar("T")
SENDS_AT_ONCE = 32
INTRO = "Koers has a question for you."


class Notifier:
    def __init__(
        self,
        *,
        app: Koers,
        settings: WorkerSettings,
        decoder: Decoder,
        outbox: Outbox,
        claims: Claims,
        senders: Senders,
        metrics: Metrics,
    ) -> None:
        self.app = app
        self.settings = settings
        self.base = settings.notify.public_url
        self.decoder = decoder
        self.outbox = outbox
        self.claims = claims
        self.senders = senders
        self.metrics = metrics
        self.teams: TeamPosts | None = None  # what the teams' channels are told of
        self._sending = anyio.CapacityLimiter(SENDS_AT_ONCE)
        self._telling = anyio.CapacityLimiter(SENDS_AT_ONCE)

    # -- a new prompt -----------------------------------------------------------------------

    async def prompts(self, messages: Iterable[Msg]) -> None:
        """Each prompt of the batch at once (they are independent: one id each)."""
        async with anyio.create_task_group() as group:
            for msg in messages:
                group.start_soon(self._tell, msg)

    async def _tell(self, msg: Msg) -> None:
        async with self._telling:
            await settle(msg, self._prompt, "telling of", self.backoff)

    async def _prompt(self, msg: Msg) -> None:
        event = self.decoder.decode_msg(msg)
        if event is None:
            return
        if event.kind == "person":  # notifications_set: the consumer's other filter
            await self._digest_setting(event.aggregate_id)
            return
        prompt_id, payload = str(event.aggregate_id), event.payload
        found = await self._in_thread(self._recipient, event.aggregate_id, payload["to"])
        if found is None:
            return
        person, channels = found
        if not channels.wants(str(payload["kind"])):
            return
        if channels.digest is not Digest.OFF:
            token, handle = person_id(person.handle).hex, person.handle
            item_id = delivery_id(f"prompt:{prompt_id}", "digest", handle)
            await self.outbox.into_digest(token, item_id, {"prompt": prompt_id, **payload})
            cron = digest_cron(channels.digest, self.settings)
            await self.outbox.digest_schedule(token, cron, person.time_zone,
                                              {"person": token, "handle": handle})  # fmt: skip
            self.metrics.deliveries.labels("digest", "digested").inc()
            return
        item = prompt_item(prompt_id, payload, self.base)
        notice = Notice(title_of(item.text), INTRO, (item,))
        await self._dispatch(person, channels, f"prompt:{prompt_id}", notice)

    async def _digest_setting(self, person: uuid.UUID) -> None:
        """A person's notification settings changed: with the digest off, cancel their
        digest schedule, so that no digest comes after. The person as they are now decides,
        not the event (a redelivered older event must not undo a later change); a digest
        turned on again is armed by their next prompt, as the first one was. Items kept for
        the digest stay until they expire (``KEEP``): their prompts wait in the person's
        inbox, and a digest turned on again gathers those still open."""
        try:
            found = await self._in_thread(self.app.load, Person, person)
        except NotFound:
            return
        if found.channels.digest is Digest.OFF:
            await self.outbox.no_digest(person.hex)

    def _recipient(self, prompt: uuid.UUID, handle: str) -> tuple[Person, Channels] | None:
        """The prompt's person and channels, if the prompt is still open and they exist."""
        try:
            state = self.app.load(Prompt, prompt).state
            person = self.app.load(Person, person_id(handle))
        except NotFound:
            return None
        if state is not PromptState.OPEN:
            return None
        return person, person.channels

    async def _dispatch(self, person: Person, channels: Channels, item: str,
                        notice: Notice) -> None:  # fmt: skip
        """One delivery per channel of the person: now, or when their quiet hours end."""
        ends = quiet_until(channels.quiet, person.time_zone, datetime.now(UTC))
        for channel, to in self._targets(person, channels):
            delivery = Delivery(delivery_id(item, channel, person.handle), channel, to,
                                person.handle, item.replace(":", "-"), notice)  # fmt: skip
            if ends is None:
                await self.outbox.now(delivery)
            else:
                await self.outbox.later(delivery, ends)
                self.metrics.deliveries.labels(channel, "deferred").inc()

    def _targets(self, person: Person, channels: Channels) -> list[tuple[str, str]]:
        targets = []
        if channels.email and person.email and self.senders.mailer is not None:
            targets.append(("email", person.email))
        targets += [(c, url) for c, url in (("slack", channels.slack_url),
                                            ("teams", channels.teams_url)) if url]  # fmt: skip
        return targets

    # -- a delivery -------------------------------------------------------------------------

    async def deliveries(self, messages: Iterable[Msg]) -> None:
        async with anyio.create_task_group() as group:
            for msg in messages:
                group.start_soon(self._deliver, msg)

    async def _deliver(self, msg: Msg) -> None:
        """One delivery; whatever goes wrong stays with it (the batch's other sends go on:
        cancelling them mid-send could leave a message sent and not recorded)."""
        async with self._sending:
            try:
                await self._deliver_one(msg)
            except Exception:
                log.warning("delivery %s failed, retrying", msg.subject, exc_info=True)
                with contextlib.suppress(Exception):
                    await msg.nak(delay=self.backoff(msg))

    async def _deliver_one(self, msg: Msg) -> None:
        try:
            delivery = Delivery.decode(msg.data)
        except (ValueError, KeyError, TypeError):
            log.warning("not a delivery: %s (set aside)", msg.subject)
            await msg.term()
            return
        try:
            claim = await self.claims.claim(delivery.id)
        except Sent:
            self.metrics.deliveries.labels(delivery.channel, "skipped").inc()
            await msg.ack()
            return
        except Taken as e:
            await msg.nak(delay=e.wait)
            return
        try:
            claim = await self._send_holding(delivery, claim, msg)
        except SendFailed as e:
            self.metrics.deliveries.labels(delivery.channel, "failed").inc()
            log.warning("%s to %s failed, retrying: %s", delivery.channel, delivery.handle, e)
            await msg.nak(delay=self.backoff(msg))
            return
        await self.claims.sent(claim)
        self.metrics.deliveries.labels(delivery.channel, "sent").inc()
        await msg.ack()

    async def _send_holding(self, delivery: Delivery, claim: Claim, msg: Msg) -> Claim:
        """Send, renewing the claim (and the message's ack deadline) every third of the
        lease meanwhile; the claim as last renewed. A failed send gives the claim back."""
        held = [claim]

        async def renew() -> None:  # never fails: that would cancel the send
            while True:
                await anyio.sleep(self.claims.lease / 3)
                try:
                    held.append(await self.claims.renew(held[-1]))
                    await msg.in_progress()
                except Taken:  # taken over: it can no longer be helped
                    return
                except Exception:  # the server slow or away: try again at the next beat
                    log.debug("renewing the claim on %s failed", delivery.id, exc_info=True)

        failed: SendFailed | None = None
        async with anyio.create_task_group() as group:
            group.start_soon(renew)
            try:
                await self.senders.send(delivery)
            except SendFailed as e:
                failed = e
            group.cancel_scope.cancel()
        if failed is not None:
            await self.claims.give_back(held[-1])
            raise failed
        return held[-1]

    def backoff(self, msg: Msg) -> float:
        attempt = max(1, msg.metadata.num_delivered or 1)
        notify = self.settings.notify
        return float(min(notify.retry * 2 ** (attempt - 1), notify.retry_max))

    # -- a digest ---------------------------------------------------------------------------

    async def digests(self, messages: Iterable[Msg]) -> None:
        for msg in messages:
            try:
                await self._gather(msg)
            except Exception:
                log.warning("gathering %s failed; retrying", msg.subject, exc_info=True)
                await msg.nak(delay=self.backoff(msg))
            else:
                await msg.ack()

    async def _gather(self, msg: Msg) -> None:
        """The items kept before this trigger (its stream sequence), and what changed on the
        person's teams in the digest's period, as one message per channel."""
        token = msg.subject.rpartition(".")[2]
        through, fired = msg.metadata.sequence.stream, msg.metadata.timestamp
        body = orjson.loads(msg.data or b"{}")
        if "team" in body and self.teams is not None:  # a team's digest: its chat channels
            await self.teams.digest(str(body["team"]), through, fired)
            return
        handle = str(body.get("handle", ""))
        items = await self.outbox.waiting(token, through)
        if items or handle:
            handle = handle or str(items[0][1]["to"])
            found = await self._in_thread(self._digest_of, handle, [b for _, b in items], fired)
            if found is not None:
                person, channels, notice = found
                await self._dispatch(person, channels, f"digest:{token}:{through}", notice)
        await self.outbox.gathered(token, through)

    def _digest_of(
        self, handle: str, bodies: list[dict[str, Any]], fired: datetime
    ) -> tuple[Person, Channels, Notice] | None:
        """The person, their channels and their digest (``None``: nothing to tell)."""
        try:
            person = self.app.load(Person, person_id(handle))
        except NotFound:
            return None
        waiting = []
        for body in bodies:
            try:
                state = self.app.load(Prompt, uuid.UUID(body["prompt"])).state
            except NotFound:
                continue
            if state is PromptState.OPEN:
                waiting.append(prompt_item(body["prompt"], body, self.base))
        weekly = person.channels.digest is Digest.WEEKLY
        since = fired - timedelta(days=7 if weekly else 1)
        changes = team_changes(self.app, handle, since, self.base)
        if not waiting and not changes:
            return None
        return person, person.channels, _digest(weekly, waiting, changes)

    async def _in_thread(self, fn: Callable[..., T], *args: Any) -> T:
        return await anyio.to_thread.run_sync(fn, *args)


async def settle(msg: Msg, work: Callable[[Msg], Awaitable[None]], doing: str,
                 backoff: Callable[[Msg], float]) -> None:  # fmt: skip
    """``work`` on ``msg``, then settle it: acknowledged when done, set aside (``term``) when
    it cannot be read (nothing to tell), retried after ``backoff`` when anything else failed."""
    try:
        await work(msg)
    except BadMessage as e:
        log.warning("not %s %s: %s", doing, msg.subject, e.reason)
        await msg.term()
    except Exception:
        log.warning("%s %s failed; retrying", doing, msg.subject, exc_info=True)
        await msg.nak(delay=backoff(msg))
    else:
        await msg.ack()


def digest_cron(digest: Digest, settings: WorkerSettings) -> str:
    """The six-field cron of a daily or weekly (Mondays) digest at ``KOERS_NOTIFY_DAILY``."""
    at = settings.notify.digest_time
    return f"0 {at.minute} {at.hour} * * {'MON' if digest is Digest.WEEKLY else '*'}"


def title_of(question: str) -> str:
    line = " ".join(question.split())
    return line if len(line) <= 90 else line[:89] + "…"


def _digest(weekly: bool, waiting: list[Item], changes: list[Item]) -> Notice:
    period = "week" if weekly else "day"
    count = f"{len(waiting)} question{'s' if len(waiting) != 1 else ''} waiting"
    changed = f", {len(changes)} change{'s' if len(changes) != 1 else ''} on your teams"
    return Notice(f"Your {period} in Koers: {count}{changed if changes else ''}",
                  f"What is waiting for you, and what changed on your teams' key results and "
                  f"decisions this {period}.", (*waiting, *changes))  # fmt: skip

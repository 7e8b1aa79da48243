"""The streams, subjects and durable consumers of the reflection workers.

For a ledger stream ``LEDGER`` with subject prefix ``ledger``::

    LEDGER             ledger.<kind>.<id>.<type>          read (durable koers-prompts-ledger)
    LEDGER_SCHEDULES   ledger_schedules.set.<kind>.<id>   one schedule per subject (re-publish
                                                          = re-schedule, purge = cancel)
                       ledger_schedules.due.<kind>.<id>   what a schedule fires: read (durable
                                                          koers-prompts-schedules)
    LEDGER_DLQ         ledger_dlq.<stream>.<sequence>     one dead letter per bad message
    LEDGER_NOTIFY      ledger_notify.send.<delivery>      a delivery to send (durable
                                                          koers-prompts-send)
                       ledger_notify.later.<delivery>     one sent later (quiet hours): a
                                                          schedule targeting send.<delivery>
                       ledger_notify.digest.<person>.<delivery>  an item waiting for a digest
                       ledger_notify.digest_at.<person>   the person's digest schedule (cron)
                       ledger_notify.gather.<person>      what it fires (durable
                                                          koers-prompts-gather)
    LEDGER_DELIVERIES  (key-value bucket) <delivery> -> sending | sent: the claims
    prompts to tell    ledger.prompt.*.issued on LEDGER (durable koers-prompts-notify)
    team posts         ledger.> on LEDGER (durable koers-prompts-teams) and
                       ledger_schedules.due.> (durable koers-prompts-teams-due)

The ledger stream is never changed by the workers (schedules, TTLs and purges live in the
schedules stream, whose configuration they own).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ledger.webhooks import Joined

if TYPE_CHECKING:
    from ledger.settings import WorkerSettings

__all__ = ["Names"]


#: The ledger events a team's chat channels are told of (:mod:`workers._teamchan`): a
#: decision opened, made, reviewed or reversed, and a team's channels set.
TEAM_EVENTS = frozenset({"decision.opened", "decision.made", "decision.reviewed",
                         "decision.reversed", "team.notifications_set"})  # fmt: skip


@dataclass(frozen=True)
class Names:
    """Every name of the module docstring's table, from the ledger's stream and prefix and
    the worker's name."""

    stream: str
    prefix: str
    worker: str

    @classmethod
    def of(cls, settings: WorkerSettings) -> Names:
        """The names of the workers that ``settings`` configure."""
        return cls(settings.stream, settings.subject_prefix, settings.name)

    ledger_filter = Joined("prefix", ".>")
    schedules_stream = Joined("stream", "_SCHEDULES")
    schedules_prefix = Joined("prefix", "_schedules")
    due_filter = Joined("prefix", "_schedules.due.>")
    dlq_stream = Joined("stream", "_DLQ")
    dlq_prefix = Joined("prefix", "_dlq")
    # notifications (``workers._outbox``)
    notify_stream = Joined("stream", "_NOTIFY")
    notify_prefix = Joined("prefix", "_notify")
    deliveries_bucket = Joined("stream", "_DELIVERIES")
    prompts_filter = Joined("prefix", ".prompt.*.issued")
    # durable consumers
    ledger_durable = Joined("worker", "-ledger")
    schedules_durable = Joined("worker", "-schedules")
    notify_durable = Joined("worker", "-notify")
    send_durable = Joined("worker", "-send")
    gather_durable = Joined("worker", "-gather")
    teams_durable = Joined("worker", "-teams")
    teams_due_durable = Joined("worker", "-teams-due")

    @property
    def notify_filters(self) -> list[str]:
        """The notifier's ledger filters: new prompts, and a person's notification settings
        (their digest turned off cancels its schedule)."""
        return [self.prompts_filter, f"{self.prefix}.person.*.notifications_set"]

    @property
    def team_events_filters(self) -> list[str]:
        """The ledger subjects of :data:`TEAM_EVENTS` (the team consumer's filters: the
        server passes it those only, not every event to acknowledge unread)."""
        kinds_and_types = sorted(name.split(".") for name in TEAM_EVENTS)
        return [f"{self.prefix}.{kind}.*.{type_}" for kind, type_ in kinds_and_types]

    def schedule_subject(self, kind: str, ident: str) -> str:
        return f"{self.schedules_prefix}.set.{kind}.{ident}"

    def due_subject(self, kind: str, ident: str) -> str:
        return f"{self.schedules_prefix}.due.{kind}.{ident}"

    def dlq_subject(self, source_stream: str, sequence: int) -> str:
        return f"{self.dlq_prefix}.{source_stream}.{sequence}"

    def notify_subject(self, what: str, *tokens: str) -> str:
        """``<prefix>_notify.<what>.<tokens…>`` (``send``, ``later``, ``digest``,
        ``digest_at``, ``gather``); ``*`` tokens make a filter."""
        return ".".join((self.notify_prefix, what, *tokens))

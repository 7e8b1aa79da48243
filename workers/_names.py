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

__all__ = ["Names"]


@dataclass(frozen=True)
class Names:
    stream: str
    prefix: str
    worker: str

    @property
    def ledger_filter(self) -> str:
        return f"{self.prefix}.>"

    @property
    def schedules_stream(self) -> str:
        return f"{self.stream}_SCHEDULES"

    @property
    def schedules_prefix(self) -> str:
        return f"{self.prefix}_schedules"

    def schedule_subject(self, kind: str, ident: str) -> str:
        return f"{self.schedules_prefix}.set.{kind}.{ident}"

    def due_subject(self, kind: str, ident: str) -> str:
        return f"{self.schedules_prefix}.due.{kind}.{ident}"

    @property
    def due_filter(self) -> str:
        return f"{self.schedules_prefix}.due.>"

    @property
    def dlq_stream(self) -> str:
        return f"{self.stream}_DLQ"

    @property
    def dlq_prefix(self) -> str:
        return f"{self.prefix}_dlq"

    def dlq_subject(self, source_stream: str, sequence: int) -> str:
        return f"{self.dlq_prefix}.{source_stream}.{sequence}"

    # -- notifications (``workers._outbox``) --------------------------------------------------

    @property
    def notify_stream(self) -> str:
        return f"{self.stream}_NOTIFY"

    @property
    def notify_prefix(self) -> str:
        return f"{self.prefix}_notify"

    def notify_subject(self, what: str, *tokens: str) -> str:
        """``<prefix>_notify.<what>.<tokens…>`` (``send``, ``later``, ``digest``,
        ``digest_at``, ``gather``); ``*`` tokens make a filter."""
        return ".".join((self.notify_prefix, what, *tokens))

    @property
    def deliveries_bucket(self) -> str:
        return f"{self.stream}_DELIVERIES"

    @property
    def prompts_filter(self) -> str:
        return f"{self.prefix}.prompt.*.issued"

    @property
    def notify_durable(self) -> str:
        return f"{self.worker}-notify"

    @property
    def send_durable(self) -> str:
        return f"{self.worker}-send"

    @property
    def gather_durable(self) -> str:
        return f"{self.worker}-gather"

    @property
    def teams_durable(self) -> str:
        return f"{self.worker}-teams"

    @property
    def teams_due_durable(self) -> str:
        return f"{self.worker}-teams-due"

    @property
    def ledger_durable(self) -> str:
        return f"{self.worker}-ledger"

    @property
    def schedules_durable(self) -> str:
        return f"{self.worker}-schedules"

"""The reflection workers' section, read once with the others.

The section is bound to the store the workers serve (:meth:`WorkerSettings.bound_to`): its
environment (every ``NATS_*`` key of :mod:`ledger.settings._store`) builds the workers' Koers
application, its stream and subject prefix name what they consume. The workers' own:

- ``KOERS_WORKER_NAME``: prefix of the durable consumers (``koers-prompts``); replicas that
  share it share the work, a different name processes everything again (prompts stay unique).
- ``KOERS_WORKER_BATCH`` (256), ``KOERS_WORKER_FETCH_WAIT`` (0.05 s): ledger messages per fetch,
  and how long a fetch waits to fill a batch (the latency it may add at low traffic).
- ``KOERS_WORKER_ACK_WAIT`` (60 s): a message not acknowledged within it is redelivered (a
  worker that died holding it).
- ``KOERS_WORKER_ATTEMPTS`` (3), ``KOERS_WORKER_RETRY_DELAY`` (1 s, doubled each time): a bad
  message is tried this often, then dead-lettered.
- ``KOERS_WORKER_CONCURRENCY`` (32): aggregates processed at once (one at a time each).
- ``KOERS_LOW_INFORMATION`` (80): a one-way door decided below this information level (%)
  prompts its decider ("decide at 80 %").
- ``KOERS_CONFIDENCE_DROP`` (2): a key-result check-in this many points below the previous
  one prompts its owner.
- ``KOERS_DUE_TIME`` (``09:00``) and ``KOERS_TIMEZONE`` (``UTC``): when a date (a review date,
  an action item's due date) becomes due, and the zone of the periodic schedules.
- ``KOERS_WEEKLY_CRON`` (``0 0 16 * * FRI``), ``KOERS_MONTHLY_CRON`` (``0 0 9 1 * *``),
  ``KOERS_QUARTERLY_CRON`` (``0 0 9 1 1,4,7,10 *``): six-field cron expressions (seconds first)
  of the weekly review, the monthly look-back and the quarterly retro; ``off`` disables one.
- ``KOERS_METRICS_PORT``: serve Prometheus metrics on this port (127.0.0.1); unset: none.
- Notifications (e-mail, chat): :mod:`ledger.settings._notify`.
- ``KOERS_WEBHOOK_*``: the webhook deliveries (:mod:`ledger.settings._webhooks`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ledger.errors import ConfigurationError
from ledger.settings._notify import NotifySettings
from ledger.settings._parse import clock, cron, number, numbers
from ledger.settings._store import DEFAULT_STREAM
from ledger.settings._webhooks import WebhookSettings

__all__ = ["PERIODIC_KINDS", "WorkerSettings"]

#: The periodic prompts, in the order of their periods' length.
PERIODIC_KINDS = ("weekly", "monthly", "quarterly")
_CRON = re.compile(r"\S+( \S+){5}")


@dataclass(frozen=True)
class WorkerSettings:
    """Everything the workers need; build it with :meth:`from_env` or :meth:`for_store`."""

    store_env: Mapping[str, str] = field(default_factory=dict)
    stream: str = DEFAULT_STREAM
    subject_prefix: str = "ledger"
    name: str = "koers-prompts"
    batch_size: int = 256
    fetch_wait: float = 0.05
    ack_wait: float = 60.0
    attempts: int = 3
    retry_delay: float = 1.0
    max_deliver: int = 100
    concurrency: int = 32
    low_information: int = 80
    confidence_drop: int = 2
    due_time: time = time(9, 0)
    timezone: str = "UTC"
    crons: Mapping[str, str | None] = field(
        default_factory=lambda: {
            "weekly": "0 0 16 * * FRI",
            "monthly": "0 0 9 1 * *",
            "quarterly": "0 0 9 1 1,4,7,10 *",
        }
    )
    metrics_port: int | None = None
    lag_interval: float = 5.0
    schedule_ttl: str = "720h"  # fired schedule messages expire after 30 days
    actor: str = "koers"
    notify: NotifySettings = field(default_factory=NotifySettings)
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.max_deliver <= self.attempts:
            raise ConfigurationError(
                "KOERS_WORKER_ATTEMPTS must be at least 1 and below the consumer's max_deliver"
            )
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigurationError(
                f"KOERS_TIMEZONE is {self.timezone!r}: use an IANA zone such as Europe/Amsterdam"
            ) from None
        for kind, expression in self.crons.items():
            if expression is not None and not _CRON.fullmatch(expression):
                raise ConfigurationError(
                    f"the {kind} cron {expression!r} needs six fields (seconds first), "
                    f"e.g. '0 0 16 * * FRI', or 'off'"
                )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def but(self, **changes: Any) -> WorkerSettings:
        """A copy with some settings changed (tests, benchmarks)."""
        return replace(self, **changes)

    def bound_to(self, store_env: Mapping[str, str]) -> WorkerSettings:
        """This section for the ledger the Koers application ``store_env`` names."""
        stream = store_env.get("NATS_STREAM") or DEFAULT_STREAM
        prefix = store_env.get("NATS_SUBJECT_PREFIX") or stream.lower()
        return replace(self, store_env=dict(store_env), stream=stream, subject_prefix=prefix)

    @classmethod
    def for_store(cls, store_env: Mapping[str, str], **changes: Any) -> WorkerSettings:
        """Default settings (with ``changes``) for the ledger ``store_env`` names."""
        return cls(**changes).bound_to(store_env)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WorkerSettings:
        """From ``KOERS_*`` variables; not yet bound to a store (see :meth:`bound_to`)."""
        d = cls()
        crons = {
            kind: cron(env, f"KOERS_{kind.upper()}_CRON", d.crons[kind]) for kind in PERIODIC_KINDS
        }
        return cls(
            name=env.get("KOERS_WORKER_NAME") or d.name,
            batch_size=number(env, "KOERS_WORKER_BATCH", d.batch_size, int),
            **numbers(env, d, "KOERS_WORKER_", _TIMINGS),
            **numbers(env, d, "KOERS_", ("low_information", "confidence_drop")),
            due_time=clock(env, "KOERS_DUE_TIME", d.due_time),
            timezone=env.get("KOERS_TIMEZONE") or d.timezone,
            crons=crons,
            metrics_port=_port(env, "KOERS_METRICS_PORT"),
            notify=NotifySettings.from_env(env),
            webhooks=WebhookSettings.from_env(env),
        )


#: The numbers read from ``KOERS_WORKER_<NAME>``.
_TIMINGS = ("fetch_wait", "ack_wait", "attempts", "retry_delay", "concurrency")


def _port(env: Mapping[str, str], key: str) -> int | None:
    return number(env, key, 0, int) or None

"""The reflection workers' settings: one frozen object, read once from the environment.

Store settings (``KOERS_DATA_DIR``, ``NATS_URL``, ``NATS_STREAM`` and the other ``NATS_*``
keys of docs/store.md) are handed to the Koers application unchanged. The workers' own:

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
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ledger.errors import ConfigurationError
from ledger.settings import Settings

__all__ = ["PERIODIC_KINDS", "WorkerSettings"]

#: The periodic prompts, in the order of their periods' length.
PERIODIC_KINDS = ("weekly", "monthly", "quarterly")
_PASSED_ON = re.compile(r"NATS_[A-Z_]+|ORIGINATOR_ID_TYPE")
_CRON = re.compile(r"\S+( \S+){5}")


@dataclass(frozen=True)
class WorkerSettings:
    """Everything the workers need; build it with :meth:`from_env` or :meth:`for_store`."""

    store_env: Mapping[str, str]
    stream: str = "LEDGER"
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
        for kind, cron in self.crons.items():
            if cron is not None and not _CRON.fullmatch(cron):
                raise ConfigurationError(
                    f"the {kind} cron {cron!r} needs six fields (seconds first), "
                    f"e.g. '0 0 16 * * FRI', or 'off'"
                )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def but(self, **changes: Any) -> WorkerSettings:
        """A copy with some settings changed (tests, benchmarks)."""
        return replace(self, **changes)

    @classmethod
    def for_store(cls, store_env: Mapping[str, str], **changes: Any) -> WorkerSettings:
        """Settings for the ledger the Koers application ``store_env`` names."""
        stream = store_env.get("NATS_STREAM") or "LEDGER"
        prefix = store_env.get("NATS_SUBJECT_PREFIX") or stream.lower()
        return cls(store_env=dict(store_env), stream=stream, subject_prefix=prefix, **changes)

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        data_dir: Path | None = None,
        store: Settings | None = None,
    ) -> WorkerSettings:
        """From ``KOERS_*``/``NATS_*`` variables (``os.environ`` by default)."""
        env = os.environ if environ is None else environ
        store = store or Settings.from_env(env, data_dir=data_dir)
        store_env = store.store_env()
        store_env.update({k: v for k, v in env.items() if _PASSED_ON.fullmatch(k) and v})
        store_env["NATS_STREAM"] = store.stream
        read = _Reader(env)
        defaults = cls(store_env={})
        crons = {
            kind: read.cron(f"KOERS_{kind.upper()}_CRON", defaults.crons[kind])
            for kind in PERIODIC_KINDS
        }
        return cls.for_store(
            store_env,
            name=env.get("KOERS_WORKER_NAME") or defaults.name,
            batch_size=read.number("KOERS_WORKER_BATCH", defaults.batch_size, int),
            fetch_wait=read.number("KOERS_WORKER_FETCH_WAIT", defaults.fetch_wait, float),
            ack_wait=read.number("KOERS_WORKER_ACK_WAIT", defaults.ack_wait, float),
            attempts=read.number("KOERS_WORKER_ATTEMPTS", defaults.attempts, int),
            retry_delay=read.number("KOERS_WORKER_RETRY_DELAY", defaults.retry_delay, float),
            concurrency=read.number("KOERS_WORKER_CONCURRENCY", defaults.concurrency, int),
            low_information=read.number("KOERS_LOW_INFORMATION", defaults.low_information, int),
            confidence_drop=read.number("KOERS_CONFIDENCE_DROP", defaults.confidence_drop, int),
            due_time=read.clock("KOERS_DUE_TIME", defaults.due_time),
            timezone=env.get("KOERS_TIMEZONE") or defaults.timezone,
            crons=crons,
            metrics_port=read.number("KOERS_METRICS_PORT", None, int),
        )


class _Reader:
    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def number(self, key: str, default: Any, kind: type[Any]) -> Any:
        raw = self.env.get(key)
        if not raw:
            return default
        try:
            value = kind(raw)
        except ValueError:
            value = -1
        if value <= 0:
            raise ConfigurationError(f"{key} is {raw!r}: set it to a positive number")
        return value

    def clock(self, key: str, default: time) -> time:
        raw = self.env.get(key)
        if not raw:
            return default
        try:
            return time.fromisoformat(raw)
        except ValueError:
            raise ConfigurationError(
                f"{key} is {raw!r}: write a time of day such as 09:00"
            ) from None

    def cron(self, key: str, default: str | None) -> str | None:
        raw = (self.env.get(key) or "").strip()
        if not raw:
            return default
        return None if raw.lower() == "off" else raw

"""The webhook deliveries' section (part of the workers' settings).

- ``KOERS_WEBHOOK_TIMEOUT`` (10 s): how long one POST may take before it counts as failed.
- ``KOERS_WEBHOOK_RETRY_DELAY`` (1 s) and ``KOERS_WEBHOOK_MAX_DELAY`` (3600 s): the wait
  before the first retry, doubled after each failed attempt, never longer than the maximum.
- ``KOERS_WEBHOOK_RETRY_WINDOW`` (86400 s: 24 h): how long a delivery is retried (from its
  first attempt) before it lands in the failures (``koers webhooks failures``).
- ``KOERS_WEBHOOK_CONCURRENCY`` (64): POSTs in flight at once per worker.
- ``KOERS_WEBHOOK_KEEP`` (30 days, in seconds): how long deliveries and their records are
  kept (a record keeps a redelivered message from being sent twice; replays need the
  failure record).
- ``KOERS_WEBHOOKS_ALLOW_PRIVATE`` (no): whether webhooks and Slack/Teams channels may point
  at loopback, link-local and private addresses (a receiver on this machine: tests,
  benchmarks); refused otherwise, when the URL is given and when it is sent to
  (:mod:`ledger.application._destinations`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ledger.errors import ConfigurationError
from ledger.settings._parse import flag, numbers

__all__ = ["WebhookSettings"]


@dataclass(frozen=True)
class WebhookSettings:
    timeout: float = 10.0
    retry_delay: float = 1.0
    max_delay: float = 3600.0
    retry_window: float = 86400.0
    concurrency: int = 64
    keep: float = 30 * 86400.0
    batch_size: int = 256
    allow_private: bool = False

    def __post_init__(self) -> None:
        if min(self.timeout, self.retry_delay, self.retry_window, self.keep) <= 0:
            raise ConfigurationError("the KOERS_WEBHOOK_* durations must be above zero")
        if self.keep <= self.retry_window:
            raise ConfigurationError(
                "KOERS_WEBHOOK_KEEP must be longer than KOERS_WEBHOOK_RETRY_WINDOW"
            )
        if self.concurrency < 1:
            raise ConfigurationError("KOERS_WEBHOOK_CONCURRENCY must be at least 1")

    @property
    def ack_wait(self) -> float:
        """How long a sender holds a delivery before JetStream gives it to another: longer
        than a POST may take (three times ``KOERS_WEBHOOK_TIMEOUT``, at least 5 s)."""
        return max(self.timeout * 3, 5.0)

    def delay(self, attempts: int) -> float:
        """The wait after the ``attempts``-th failed attempt."""
        return float(min(self.retry_delay * 2 ** (attempts - 1), self.max_delay))

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WebhookSettings:
        d = cls()
        timings = ("timeout", "retry_delay", "max_delay", "retry_window", "concurrency", "keep")
        private = flag(env, "KOERS_WEBHOOKS_ALLOW_PRIVATE", d.allow_private)
        return cls(**numbers(env, d, "KOERS_WEBHOOK_", timings), allow_private=private)

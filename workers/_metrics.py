"""Prometheus metrics of the reflection workers, and the consumer-lag poller.

- ``koers_worker_consumer_pending{consumer}`` (gauge): messages not yet delivered, the lag;
- ``koers_worker_consumer_ack_pending{consumer}`` (gauge): delivered, not yet acknowledged;
- ``koers_worker_consumer_redelivered{consumer}`` (gauge): redelivered, not yet acknowledged;
- ``koers_worker_consumer_up{consumer}`` (gauge): 1 while the durable consumer exists (it is
  re-created when it vanished);
- ``koers_worker_messages_total{source,outcome}`` (counter): processed, retried, dead_lettered;
- ``koers_worker_prompts_issued_total{kind}`` (counter): prompts this worker issued;
- ``koers_worker_prompts_replayed_total{kind}`` (counter): prompts found issued already
  (redelivery, another replica, a periodic tick computed again);
- ``koers_worker_event_to_prompt_seconds`` (histogram): from the triggering event stored in
  the stream to its prompt saved;
- ``koers_worker_deliveries_total{channel,outcome}`` (counter): notifications ``sent``,
  ``skipped`` (sent already: a redelivery, another worker), ``failed`` (to be retried),
  ``deferred`` (quiet hours), ``digested`` (kept for a digest);
- ``koers_quarantined_events_total{consumer="workers"}`` (counter): events this worker set
  aside (dead-lettered); the API's ``/metrics`` has the views' count under the same name.

Each worker has its own registry (several workers in one process never clash); with
``KOERS_METRICS_PORT`` it is served over HTTP on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["Metrics", "poll_lag"]

log = logging.getLogger("workers")


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry

        def per_consumer(name: str, documentation: str) -> Gauge:
            return Gauge(name, documentation, ["consumer"], registry=r)

        def counted(name: str, documentation: str, *labels: str) -> Counter:
            return Counter(name, documentation, list(labels), registry=r)

        self.pending = per_consumer("koers_worker_consumer_pending", "Messages not yet delivered")
        self.ack_pending = per_consumer(
            "koers_worker_consumer_ack_pending", "Messages delivered, not yet acknowledged"
        )
        self.redelivered = per_consumer(
            "koers_worker_consumer_redelivered", "Messages redelivered, not yet acknowledged"
        )
        self.up = per_consumer("koers_worker_consumer_up", "1 while the durable consumer exists")
        self.messages = counted(
            "koers_worker_messages", "Messages handled, by outcome", "source", "outcome"
        )
        self.issued = counted(
            "koers_worker_prompts_issued", "Prompts issued by this worker", "kind"
        )
        self.replayed = counted(
            "koers_worker_prompts_replayed", "Prompts that had been issued already", "kind"
        )
        self.deliveries = counted(
            "koers_worker_deliveries", "Notifications by channel and outcome", "channel", "outcome"
        )
        self.quarantined = counted(
            "koers_quarantined_events",
            "Events set aside (dead-lettered) by this worker",
            "consumer",
        )
        self.latency = Histogram(
            "koers_worker_event_to_prompt_seconds",
            "From the triggering event stored to its prompt stored",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=r,
        )

    def text(self) -> str:
        return generate_latest(self.registry).decode()


async def poll_lag(
    js: JetStreamContext,
    consumers: list[tuple[str, str]],
    metrics: Metrics,
    interval: float,
    recreate: Callable[[], Awaitable[None]],
) -> None:
    """Every ``interval`` seconds, read each (stream, durable)'s state into the gauges.

    A durable consumer deleted behind the workers' back stalls a pull subscriber silently;
    this notices, logs it once per occurrence and re-creates it (it resumes from the stream's
    start: prompts are idempotent, so nothing is issued twice).
    """
    while True:
        for stream, durable in consumers:
            try:
                info = await js.consumer_info(stream, durable)
            except NotFoundError:
                metrics.up.labels(durable).set(0)
                log.warning("consumer %s on %s vanished: re-creating it", durable, stream)
                with contextlib.suppress(Exception):
                    await recreate()
                continue
            except Exception as e:  # the server is away: keep the last values
                log.debug("consumer info for %s failed: %r", durable, e)
                continue
            metrics.up.labels(durable).set(1)
            metrics.pending.labels(durable).set(info.num_pending or 0)
            metrics.ack_pending.labels(durable).set(info.num_ack_pending or 0)
            metrics.redelivered.labels(durable).set(info.num_redelivered or 0)
        await asyncio.sleep(interval)

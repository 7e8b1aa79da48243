"""The webhooks' stream, subjects and durable consumers.

For a ledger stream ``LEDGER`` with subject prefix ``ledger``::

    LEDGER_WEBHOOKS  ledger_webhooks.send.<delivery>       one event for one webhook, as it
                                                           is POSTed (the fan-out writes it
                                                           once: expected subject sequence 0)
                     ledger_webhooks.send.<delivery>.<n>   the same delivery again: a replay
                     ledger_webhooks.done.<delivery>       delivered: a receiver answered 2xx
                                                           (create-if-absent, the record that
                                                           makes a delivery happen once)
                     ledger_webhooks.failed.<delivery>     given up after the retry window,
                                                           with the body, for a replay

Durable consumers: ``koers-webhooks`` on the ledger (the fan-out) and ``koers-webhook-sends``
on ``send.>`` (the senders), the same for every worker whatever its ``KOERS_WORKER_NAME``:
workers of another name share them rather than send every delivery again.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HookNames"]


@dataclass(frozen=True)
class HookNames:
    stream: str
    prefix: str

    @property
    def hooks_stream(self) -> str:
        return f"{self.stream}_WEBHOOKS"

    @property
    def hooks_prefix(self) -> str:
        return f"{self.prefix}_webhooks"

    def send_subject(self, delivery: str, replay: int | None = None) -> str:
        again = f".{replay}" if replay is not None else ""
        return f"{self.hooks_prefix}.send.{delivery}{again}"

    @property
    def send_filter(self) -> str:
        return f"{self.hooks_prefix}.send.>"

    def done_subject(self, delivery: str) -> str:
        return f"{self.hooks_prefix}.done.{delivery}"

    def failed_subject(self, delivery: str) -> str:
        return f"{self.hooks_prefix}.failed.{delivery}"

    @property
    def failed_filter(self) -> str:
        return f"{self.hooks_prefix}.failed.>"

    def delivery_of(self, subject: str) -> str:
        """The delivery id a ``send``, ``done`` or ``failed`` subject names."""
        return subject.removeprefix(self.hooks_prefix + ".").split(".")[1]

    @property
    def fanout_durable(self) -> str:
        return "koers-webhooks"

    @property
    def send_durable(self) -> str:
        return "koers-webhook-sends"

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
from typing import Any

__all__ = ["HookNames", "Joined"]


class Joined:
    """A name made of one part of a names record and a fixed ending: ``Joined("stream",
    "_WEBHOOKS")`` is ``LEDGER_WEBHOOKS`` for the ledger stream ``LEDGER`` (the webhooks' and
    the workers' streams, subjects and consumers are all named so)."""

    def __init__(self, part: str, ending: str) -> None:
        self.part = part
        self.ending = ending

    def __get__(self, names: Any, owner: Any = None) -> str:
        return f"{getattr(names, self.part)}{self.ending}"


@dataclass(frozen=True)
class HookNames:
    stream: str
    prefix: str

    hooks_stream = Joined("stream", "_WEBHOOKS")
    hooks_prefix = Joined("prefix", "_webhooks")
    send_filter = Joined("prefix", "_webhooks.send.>")
    failed_filter = Joined("prefix", "_webhooks.failed.>")

    def send_subject(self, delivery: str, replay: int | None = None) -> str:
        again = f".{replay}" if replay is not None else ""
        return f"{self.hooks_prefix}.send.{delivery}{again}"

    def done_subject(self, delivery: str) -> str:
        return f"{self.hooks_prefix}.done.{delivery}"

    def failed_subject(self, delivery: str) -> str:
        return f"{self.hooks_prefix}.failed.{delivery}"

    def delivery_of(self, subject: str) -> str:
        """The delivery id a ``send``, ``done`` or ``failed`` subject names."""
        return subject.removeprefix(self.hooks_prefix + ".").split(".")[1]

    @property
    def fanout_durable(self) -> str:
        return "koers-webhooks"

    @property
    def send_durable(self) -> str:
        return "koers-webhook-sends"

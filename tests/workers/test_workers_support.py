"""Helpers shared by the reflection-worker tests (this module holds no tests itself).

Workers run in-process (:func:`running_workers`, a thread with its own event loop) against a
real nats-server; waiting is always on a condition with a deadline (:func:`wait_for`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

import nats

from ledger.application import Koers
from ledger.domain import Prompt
from ledger.settings import WebhookSettings
from workers import WorkerHandle, WorkerSettings, start_workers

__all__ = [
    "NO_CRONS",
    "fast_settings",
    "nats_call",
    "prompts_of",
    "running_workers",
    "stream_messages",
    "wait_for",
]

T = TypeVar("T")
NO_CRONS: dict[str, str | None] = {"weekly": None, "monthly": None, "quarterly": None}


def fast_settings(env: Mapping[str, str], **changes: Any) -> WorkerSettings:
    """Worker settings for tests: short delays, no periodic schedules unless asked."""
    values: dict[str, Any] = {
        "retry_delay": 0.1,
        "ack_wait": 5.0,
        "lag_interval": 0.2,
        "crons": NO_CRONS,
        "webhooks": WebhookSettings(allow_private=True),  # receivers on 127.0.0.1
    }
    values.update(changes)
    return WorkerSettings.for_store(env, **values)


@contextmanager
def running_workers(
    env: Mapping[str, str] | WorkerSettings, **changes: Any
) -> Iterator[WorkerHandle]:
    settings = env if isinstance(env, WorkerSettings) else fast_settings(env, **changes)
    handle = start_workers(settings)
    try:
        yield handle
    finally:
        handle.stop()


def wait_for(condition: Callable[[], T | None], timeout: float = 20.0, what: str = "") -> T:
    """``condition()`` once it is truthy; fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what or condition}")
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def prompts_of(app: Koers, kind: str | None = None, to: str | None = None) -> list[Prompt]:
    return [
        p
        for p in app.all_of(Prompt)
        if (kind is None or p.kind == kind) and (to is None or p.to == to)
    ]


def nats_call(url: str, work: Callable[[Any], Any]) -> Any:
    """Run ``await work(nc)`` on a fresh connection to ``url``."""

    async def main() -> Any:
        nc = await nats.connect(url, allow_reconnect=False)
        try:
            return await work(nc)
        finally:
            await nc.close()

    return asyncio.run(main())


def stream_messages(url: str, stream: str, subject: str = ">") -> list[Any]:
    """Every message of ``stream`` on ``subject`` (nats-py ``RawStreamMsg``), oldest first."""

    async def read(nc: Any) -> list[Any]:
        js = nc.jetstream()
        info = await js.stream_info(stream)
        out: list[Any] = []
        if not info.state.messages:
            return out
        for seq in range(max(1, info.state.first_seq), info.state.last_seq + 1):
            try:
                msg = await js.get_msg(stream, seq)
            except nats.js.errors.NotFoundError:
                continue
            if _matches(subject, msg.subject):
                out.append(msg)
        return out

    result: list[Any] = nats_call(url, read)
    return result


def _matches(pattern: str, subject: str) -> bool:
    p, s = pattern.split("."), subject.split(".")
    for i, token in enumerate(p):
        if token == ">":
            return len(s) > i
        if i >= len(s) or (token != "*" and token != s[i]):
            return False
    return len(p) == len(s)

"""What the store's errors say about an outage: who watches the nats-server, and its state.

``koers serve`` supervises its embedded nats-server (:class:`ledger.embedded.Supervisor`)
and registers it here under the server's URL with :func:`watch`. Every connection of the
process to that URL then builds its :class:`~ledger.errors.StoreUnavailable` with
:func:`unavailable`, whose advice says what is being done ("koers serve is restarting it")
instead of telling the user to start a server that is already being looked after.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Literal

from ledger.errors import StoreOutOfSpace, StoreUnavailable

__all__ = ["Condition", "condition", "unavailable", "watch"]

Condition = Literal["running", "restarting", "out-of-space"]

RESTARTING = "The nats-server stopped and koers serve is restarting it: retry in a few seconds."
SLOW = (
    "koers serve watches the nats-server and it runs, but it did not answer in time: retry "
    "in a few seconds."
)
FULL_SUPERVISED = (
    "Free space on the disk of the data directory: koers serve restarts the nats-server once "
    "there is room, and writes resume by themselves. Reads still work."
)
FULL = (
    "Free space on the disk of the nats-server's store (or raise its max_file_store), then "
    "restart the nats-server and try again."
)

_watchers: dict[str, Callable[[], Condition]] = {}
_lock = threading.Lock()


def watch(url: str, condition: Callable[[], Condition]) -> Callable[[], None]:
    """Register the supervisor of the server at ``url``; returns the call that unregisters."""
    with _lock:
        _watchers[url] = condition

    def forget() -> None:
        with _lock:
            if _watchers.get(url) is condition:
                del _watchers[url]

    return forget


def condition(url: str) -> Condition | None:
    """The state of the server at ``url`` as its supervisor sees it; ``None``: unwatched."""
    with _lock:
        watcher = _watchers.get(url)
    return watcher() if watcher is not None else None


def unavailable(url: str, detail: str, *, out_of_space: bool = False) -> StoreUnavailable:
    """The error for "the store at ``url`` did not do it", with advice that fits the state."""
    state = condition(url)
    if out_of_space or state == "out-of-space":
        return StoreOutOfSpace(url, detail, FULL if state is None else FULL_SUPERVISED)
    if state == "restarting":
        return StoreUnavailable(url, detail, RESTARTING)
    if state == "running":
        return StoreUnavailable(url, detail, SLOW)
    return StoreUnavailable(url, detail)

"""Koers's own settings, read once from the environment (``KOERS_*`` and ``NATS_*``).

The event store reads its keys through the ``eventsourcing`` library's ``Environment``
(see ``ledger.settings._store``) so per-application prefixes work; this object is what the
command line and the server need on top, and what they hand to the store.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ledger.settings._store import DEFAULT_DATA_DIR, DEFAULT_STREAM

__all__ = ["Settings"]


@dataclass(frozen=True)
class Settings:
    """Where the data lives and which NATS to use."""

    data_dir: Path = field(default_factory=DEFAULT_DATA_DIR.expanduser)
    nats_url: str | None = None
    stream: str = DEFAULT_STREAM

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {
            "data_dir": Path(env.get("KOERS_DATA_DIR") or DEFAULT_DATA_DIR).expanduser(),
            "nats_url": env.get("NATS_URL") or None,
            "stream": env.get("NATS_STREAM") or DEFAULT_STREAM,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    def store_env(self) -> dict[str, str]:
        """The environment the event store's factory is built from."""
        env = {
            "PERSISTENCE_MODULE": "ledger.nats",
            "KOERS_DATA_DIR": str(self.data_dir),
            "NATS_STREAM": self.stream,
        }
        if self.nats_url:
            env["NATS_URL"] = self.nats_url
        return env

"""Where a command line away from the data sends its commands: ``KOERS_API_URL`` (a running
``koers serve``) and ``KOERS_TOKEN`` (the person's token). Unset: the command line works on
the local data."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from ledger.errors import ConfigurationError

__all__ = ["RemoteSettings"]


@dataclass(frozen=True)
class RemoteSettings:
    url: str
    token: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RemoteSettings | None:
        """The API to work through, or ``None`` to work on the local data."""
        env = os.environ if environ is None else environ
        url = env.get("KOERS_API_URL", "").strip()
        if not url:
            return None
        if not url.startswith(("http://", "https://")):
            raise ConfigurationError(
                f"KOERS_API_URL={url!r} is not an http(s) URL: set it to the address `koers "
                f"serve` prints, e.g. http://127.0.0.1:8000"
            )
        token = env.get("KOERS_TOKEN", "").strip()
        if not token:
            raise ConfigurationError(
                "KOERS_API_URL is set but KOERS_TOKEN is not: ask an admin on the server for a "
                "token (`koers token create <your handle>`) and set KOERS_TOKEN to it"
            )
        return cls(url, token)

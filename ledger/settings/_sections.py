"""The two small sections: the views' (``KOERSVIEWS_*``) and the HTTP API's.

- ``KOERSVIEWS_*``: the view store, under the library's per-application prefix:
  ``KOERSVIEWS_PERSISTENCE_MODULE`` (``eventsourcing.sqlite``), ``KOERSVIEWS_SQLITE_DBNAME``
  (``<KOERS_DATA_DIR>/views.sqlite3``), ``KOERSVIEWS_VIEW_CLASS_TOPIC`` and any other key the
  library's factory reads (see :mod:`projections.views`).
- ``KOERS_API_HOST`` (``127.0.0.1``, this machine only) and ``KOERS_API_PORT`` (``8000``;
  ``0``: any free port): where ``koers serve`` listens; its ``--host``/``--port`` win.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ledger.errors import ConfigurationError

__all__ = ["ApiSettings", "ViewSettings"]

VIEWS_PREFIX = "KOERSVIEWS_"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


@dataclass(frozen=True)
class ViewSettings:
    """Every ``KOERSVIEWS_*`` variable, handed to the library's factory as they are."""

    keys: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ViewSettings:
        return cls({k: v for k, v in env.items() if k.startswith(VIEWS_PREFIX)})

    def with_store(self, store_env: Mapping[str, str]) -> dict[str, str]:
        """The environment a view runner is built from: the views' keys and the store's."""
        return {**self.keys, **store_env}


@dataclass(frozen=True)
class ApiSettings:
    """Where the HTTP API listens."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ApiSettings:
        raw = env.get("KOERS_API_PORT") or str(DEFAULT_PORT)
        if not raw.isdigit() or int(raw) > 65535:
            raise ConfigurationError(f"KOERS_API_PORT is {raw!r}: set it to a port, 0 to 65535")
        return cls(host=env.get("KOERS_API_HOST") or DEFAULT_HOST, port=int(raw))

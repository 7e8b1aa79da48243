"""The two small sections: the views' (``KOERSVIEWS_*``) and the HTTP API's.

- ``KOERSVIEWS_*``: the view store, under the library's per-application prefix:
  ``KOERSVIEWS_PERSISTENCE_MODULE`` (``eventsourcing.sqlite``), ``KOERSVIEWS_SQLITE_DBNAME``
  (``<KOERS_DATA_DIR>/views.sqlite3``), ``KOERSVIEWS_VIEW_CLASS_TOPIC``,
  ``KOERSVIEWS_CHECKPOINT_EVERY`` (``2000``: events between view checkpoints, 0: none; see
  :mod:`projections._checkpoints`), ``KOERSVIEWS_CHECKPOINTS_KEPT`` (``24``),
  ``KOERSVIEWS_IMAGES_KEPT`` (``8``: view images an "as of" read may start from, kept in
  memory; 0: none) and ``KOERSVIEWS_IMAGES_MB`` (``256``; see :mod:`projections._images`),
  and any other key the library's factory reads (see
  :mod:`projections.views`).
- ``KOERS_VIEWS_URL`` (empty: SQLite): ``postgresql://user:password@host:port/database`` puts
  every view table in that PostgreSQL database (psycopg 3), in the schema
  ``KOERS_VIEWS_SCHEMA`` (``koers_views``; a rebuild uses ``<schema>_rebuild`` beside it).
- ``KOERS_API_HOST`` (``127.0.0.1``, this machine only) and ``KOERS_API_PORT`` (``8000``;
  ``0``: any free port): where ``koers serve`` listens; its ``--host``/``--port`` win.
- ``KOERS_PUBLIC_HOSTS`` (``localhost,127.0.0.1,[::1]``): the names the API answers to, comma
  separated, each with an optional ``:port`` (without one, any port). A request whose
  ``Host`` header names another host is refused (421), so a web page elsewhere cannot reach
  the API through a name it controls (DNS rebinding). Setting it replaces the default.
- ``KOERS_PUBLIC_URL`` (empty): the address people use, e.g. ``https://koers.example``; its
  host (and port, if written) is accepted too.
- ``KOERS_VIEW_CACHE_SECONDS`` (``1``): how long a cached live view answer is served (its
  "now"-relative numbers are at most this old); ``0`` turns the cache off.
- ``KOERS_AS_OF_READS`` (``2``): "as of" view reads rebuilt at once; more wait up to
  ``KOERS_AS_OF_WAIT_SECONDS`` (``5``) for a turn, then get 503 with ``Retry-After``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ledger.errors import ConfigurationError

__all__ = ["ApiSettings", "ViewSettings"]

VIEWS_PREFIX = "KOERSVIEWS_"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
#: The loopback names: this machine only, any port.
DEFAULT_PUBLIC_HOSTS = ("localhost", "127.0.0.1", "[::1]")
DEFAULT_VIEW_CACHE_SECONDS = 1.0
DEFAULT_AS_OF_READS = 2
DEFAULT_AS_OF_WAIT_SECONDS = 5.0
DEFAULT_VIEWS_SCHEMA = "koers_views"
_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")


@dataclass(frozen=True)
class ViewSettings:
    """Every ``KOERSVIEWS_*`` variable, handed to the library's factory as they are."""

    keys: Mapping[str, str] = field(default_factory=dict)
    #: ``KOERS_VIEWS_URL``: the PostgreSQL database of the views (empty: SQLite).
    url: str = ""
    #: ``KOERS_VIEWS_SCHEMA``: their schema in it.
    schema: str = DEFAULT_VIEWS_SCHEMA

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ViewSettings:
        url = env.get("KOERS_VIEWS_URL", "").strip()
        if url and urlsplit(url).scheme not in ("postgresql", "postgres"):
            raise ConfigurationError(
                f"KOERS_VIEWS_URL starts with {url.split(':', 1)[0]!r}: set it to a "
                f"postgresql://user:password@host:port/database URL, or leave it empty for "
                f"SQLite views"
            )
        try:
            _ = urlsplit(url).port
        except ValueError:
            raise ConfigurationError(
                "KOERS_VIEWS_URL has a port that is not a number 0 to 65535: correct it"
            ) from None
        schema = env.get("KOERS_VIEWS_SCHEMA", "").strip() or DEFAULT_VIEWS_SCHEMA
        if not _SCHEMA.match(schema):
            raise ConfigurationError(
                f"KOERS_VIEWS_SCHEMA is {schema!r}: set it to a lower-case name of letters, "
                f"digits and _ (at most 41), not starting with a digit"
            )
        return cls({k: v for k, v in env.items() if k.startswith(VIEWS_PREFIX)}, url, schema)

    @property
    def where(self) -> str:
        """Where the views are, without a password: for messages."""
        if not self.url:
            return ""
        parts = urlsplit(self.url)
        host = parts.hostname or "localhost"
        port = f":{parts.port}" if parts.port else ""
        return f"postgresql://{host}{port}{parts.path}"

    def with_store(self, store_env: Mapping[str, str]) -> dict[str, str]:
        """The environment a view runner is built from: the views' keys and the store's."""
        pg = {"KOERS_VIEWS_URL": self.url, "KOERS_VIEWS_SCHEMA": self.schema} if self.url else {}
        return {**self.keys, **pg, **store_env}


@dataclass(frozen=True)
class ApiSettings:
    """Where the HTTP API listens, and the host names it answers to."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    public_hosts: tuple[str, ...] = DEFAULT_PUBLIC_HOSTS
    public_url: str = ""
    view_cache_seconds: float = DEFAULT_VIEW_CACHE_SECONDS
    as_of_reads: int = DEFAULT_AS_OF_READS
    as_of_wait_seconds: float = DEFAULT_AS_OF_WAIT_SECONDS

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ApiSettings:
        raw = env.get("KOERS_API_PORT") or str(DEFAULT_PORT)
        if not raw.isdigit() or int(raw) > 65535:
            raise ConfigurationError(f"KOERS_API_PORT is {raw!r}: set it to a port, 0 to 65535")
        hosts = env.get("KOERS_PUBLIC_HOSTS", "")
        names = tuple(_host_name(h, hosts) for h in hosts.split(",") if h.strip())
        settings = cls(
            host=env.get("KOERS_API_HOST") or DEFAULT_HOST,
            port=int(raw),
            public_hosts=names or DEFAULT_PUBLIC_HOSTS,
            public_url=env.get("KOERS_PUBLIC_URL", "").strip(),
            view_cache_seconds=_number(env, "KOERS_VIEW_CACHE_SECONDS",
                                       DEFAULT_VIEW_CACHE_SECONDS, 0, 3600),
            as_of_reads=int(_number(env, "KOERS_AS_OF_READS", DEFAULT_AS_OF_READS, 1, 64,
                                            whole=True)),
            as_of_wait_seconds=_number(env, "KOERS_AS_OF_WAIT_SECONDS",
                                       DEFAULT_AS_OF_WAIT_SECONDS, 0, 60),
        )  # fmt: skip
        settings.host_names()  # refuses a bad KOERS_PUBLIC_URL now, not at the first request
        return settings

    def host_names(self) -> tuple[str, ...]:
        """What a request's ``Host`` may be: ``name`` (any port) or ``name:port``, lower case;
        ``KOERS_PUBLIC_HOSTS`` and the host of ``KOERS_PUBLIC_URL``."""
        if not self.public_url:
            return self.public_hosts
        url = urlsplit(self.public_url)
        try:
            port = url.port
        except ValueError:
            port = -1
        if url.scheme not in ("http", "https") or not url.hostname or port == -1:
            raise ConfigurationError(
                f"KOERS_PUBLIC_URL is {self.public_url!r}: set it to the address people use, "
                "e.g. https://koers.example"
            )
        name = f"[{url.hostname}]" if ":" in url.hostname else url.hostname
        return (*self.public_hosts, name if port is None else f"{name}:{port}")


def _number(
    env: Mapping[str, str],
    key: str,
    default: float,
    low: float,
    high: float,
    *,
    whole: bool = False,
) -> float:
    """``env[key]`` as a number from ``low`` to ``high`` (``default`` when unset)."""
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:
        raise ConfigurationError(f"{key} is {raw!r}: set it to a number from {low:g} to {high:g}")
    if whole and not value.is_integer():
        raise ConfigurationError(f"{key} is {raw!r}: set it to a whole number")
    return value


def _host_name(entry: str, whole: str) -> str:
    """One entry of ``KOERS_PUBLIC_HOSTS``, lower case; refused unless ``name[:port]``."""
    entry = entry.strip().lower().rstrip(".")
    name, _, port = entry.rpartition(":")
    if not port.isdigit():
        name, port = entry, ""
    if name.startswith("["):
        fine = name.endswith("]") and len(name) > 2
    else:
        fine = bool(name) and all(c.isalnum() or c in "-._" for c in name)
    if not fine or (port and int(port) > 65535):
        raise ConfigurationError(
            f"KOERS_PUBLIC_HOSTS is {whole!r}: {entry!r} is not a host name with an optional "
            "port; list names separated by commas, e.g. koers.example,localhost:8000"
        )
    return entry

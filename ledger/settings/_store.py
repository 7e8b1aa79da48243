"""The event store's section: which NATS, which stream, how patient, how strict.

- ``PERSISTENCE_MODULE``: the library's persistence module (``ledger.nats``);
  ``eventsourcing.popo`` keeps events in memory (fast application tests).
- ``NATS_URL``: server URL(s), comma-separated, ``nats://`` or ``tls://`` (NATS's own
  protocol; a WebSocket ``ws://`` address is refused). Default: the embedded nats-server of
  ``KOERS_DATA_DIR``, started if it is not running; each part of Koers signs in to it as its
  own user (``KOERS_NATS_ROLE``). A ``NATS_URL`` is used as given, with its own credentials:
- ``NATS_USER`` and ``NATS_PASSWORD``, or ``NATS_CREDS`` (a ``.creds`` file of NATS's
  decentralized auth): who Koers signs in as on ``NATS_URL``.
- ``NATS_TLS_CA``, ``NATS_TLS_CERT``, ``NATS_TLS_KEY``: TLS to ``NATS_URL``: the CA that
  signed the server's certificate, and this client's certificate and key (mutual TLS).
- ``KOERS_NATS_ROLE``: which user of the embedded server a process signs in as (``app``;
  the workers use ``workers``, a separate view runner ``views``).
- ``KOERS_DATA_DIR``: data directory of the embedded server and the views
  (``~/.local/share/koers``).
- ``NATS_STREAM``: the event stream of this application (``LEDGER``): letters, digits, ``_``
  and ``-`` (NATS refuses spaces, ``.``, ``*``, ``>`` and path separators in a stream name).
- ``NATS_SUBJECT_PREFIX``: the first subject token (the stream name in lower case); the same
  characters.
- ``NATS_REPLICAS``: stream replicas (``1``; ``3`` on a cluster).
- ``NATS_TIMEOUT``: seconds to wait for one answer from NATS (``2``): a read fails (the API
  answers 503) this long after the store became unreachable.
- ``NATS_WRITE_DEADLINE``: seconds a write keeps retrying while NATS is unreachable before
  it fails (``3``: the API answers 503 within 5 s; a cluster whose leader elections pause
  writes 4–7 s may want more; keep it below the stream's 120 s duplicate window).
- ``NATS_MAX_BATCH``: most messages in one atomic batch (``1000``, the server's
  ``jetstream.limits.batch.max_msgs``); one save may hold one fewer.
- ``NATS_CREATE_STREAM``: let any command create the streams when they do not exist (``no``:
  only ``koers init``, and ``koers serve`` on a new ledger, create them; every other command
  stops on a missing stream, so a mistyped ``NATS_STREAM`` never makes a new empty ledger).
  ``yes`` is for tests and scripted set-ups.
- ``NATS_ACCEPT_WEAK_STREAM``: accept an existing stream whose configuration is weaker than
  the audited one, logging each difference (``no``; for migrations only).
- ``ORIGINATOR_ID_TYPE``: ``uuid`` (default) or ``text``, the type of aggregate ids.
- ``KOERS_SIGN_EVENTS``: sign every message written with the audit's signing key (``yes``;
  ``no`` only to measure what signing costs: unsigned events fail ``koers audit verify``).

The store is built by the ``eventsourcing`` library from an environment (so per-application
prefixes such as ``GOALS_NATS_URL`` work): :meth:`StoreSettings.as_env` writes every key of
this section into it, and the NATS factory reads them back with :meth:`StoreSettings.from_env`
over the library's ``Environment``. Every setting thus reaches every command.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ledger.errors import ConfigurationError
from ledger.settings._parse import flag, number

__all__ = ["DEFAULT_DATA_DIR", "DEFAULT_STREAM", "NATS_ROLES", "ROLE_KEY", "StoreSettings"]

NATS_ROLES = ("admin", "app", "workers", "views")
"""The users Koers makes on its embedded server, one per part (see ``docs/store.md``)."""
ROLE_KEY = "KOERS_NATS_ROLE"
_LOGIN_KEYS = {
    "user": "NATS_USER",
    "password": "NATS_PASSWORD",
    "creds": "NATS_CREDS",
    "tls_ca": "NATS_TLS_CA",
    "tls_cert": "NATS_TLS_CERT",
    "tls_key": "NATS_TLS_KEY",
}

DEFAULT_MODULE = "ledger.nats"
DEFAULT_STREAM = "LEDGER"
DEFAULT_TIMEOUT = 2.0
DEFAULT_WRITE_DEADLINE = 3.0
DEFAULT_MAX_BATCH = 1000
DEFAULT_DATA_DIR = Path("~/.local/share/koers")
#: A stream name or subject token NATS accepts and a file name can hold.
_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")


def _name(env: Mapping[str, str], key: str, default: str) -> str:
    """``key``'s value (``default`` when unset), refused unless :data:`_NAME` matches."""
    value = env.get(key) or default
    if value and not _NAME.fullmatch(value):
        raise ConfigurationError(
            f"{key} is {value!r}: use 1-128 letters, digits, '_' or '-' (NATS refuses "
            f"spaces, '.', '*', '>' and path separators in stream names and subjects)"
        )
    return value


@dataclass(frozen=True)
class StoreSettings:
    """Everything the event store needs to know, validated once.

    ``prefix`` is ``NATS_SUBJECT_PREFIX`` as given; empty means :attr:`subject_prefix` follows
    the stream's name (in lower case), also in a copy with another stream.
    """

    data_dir: Path = field(default_factory=DEFAULT_DATA_DIR.expanduser)
    url: str | None = None
    stream: str = DEFAULT_STREAM
    prefix: str = ""
    replicas: int = 1
    timeout: float = DEFAULT_TIMEOUT
    write_deadline: float = DEFAULT_WRITE_DEADLINE
    max_batch: int = DEFAULT_MAX_BATCH
    create_stream: bool = False
    accept_weak_stream: bool = False
    text_ids: bool = False
    persistence_module: str = DEFAULT_MODULE
    sign_events: bool = True
    #: ``KOERS_SIGNING_KEY`` (also the audit section's): carried in :meth:`as_env`, so every
    #: part built from this section (the workers, a views runner) signs and trusts the same key
    signing_key: str | None = None
    role: str = "app"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    creds: str | None = None
    tls_ca: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None

    def __post_init__(self) -> None:
        if self.role not in NATS_ROLES:
            raise ConfigurationError(
                f"{ROLE_KEY} is {self.role!r}: set it to one of {', '.join(NATS_ROLES)}"
            )
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ConfigurationError(
                "NATS_TLS_CERT and NATS_TLS_KEY go together (the client's certificate and its "
                "key): set both, or neither"
            )
        if self.user is not None and self.password is None:
            raise ConfigurationError("NATS_USER is set without NATS_PASSWORD: set both")
        websocket = [
            u for u in (self.url or "").split(",") if u.strip().lower().startswith(("ws:", "wss:"))
        ]
        if websocket:
            raise ConfigurationError(
                f"NATS_URL {websocket[0].strip()!r} is a WebSocket address: Koers speaks NATS's "
                f"own protocol, so give the server's client port, e.g. nats://host:4222 "
                f"(tls://host:4222 with TLS)"
            )

    @property
    def subject_prefix(self) -> str:
        """The first subject token of every event."""
        return self.prefix or self.stream.lower()

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> StoreSettings:
        """From ``env``: a mapping, or the library's ``Environment`` (which looks each key
        up with the application's prefix first)."""
        id_type = (env.get("ORIGINATOR_ID_TYPE") or "uuid").lower()
        if id_type not in ("uuid", "text"):
            raise ConfigurationError(
                f"ORIGINATOR_ID_TYPE is {id_type!r}: set it to 'uuid' or 'text'"
            )
        return cls(
            data_dir=Path(env.get("KOERS_DATA_DIR") or DEFAULT_DATA_DIR).expanduser(),
            url=env.get("NATS_URL") or None,
            stream=_name(env, "NATS_STREAM", DEFAULT_STREAM),
            prefix=_name(env, "NATS_SUBJECT_PREFIX", ""),
            replicas=number(env, "NATS_REPLICAS", 1, int),
            timeout=number(env, "NATS_TIMEOUT", DEFAULT_TIMEOUT, float),
            write_deadline=number(env, "NATS_WRITE_DEADLINE", DEFAULT_WRITE_DEADLINE, float),
            max_batch=number(env, "NATS_MAX_BATCH", DEFAULT_MAX_BATCH, int),
            create_stream=flag(env, "NATS_CREATE_STREAM", False),
            accept_weak_stream=flag(env, "NATS_ACCEPT_WEAK_STREAM", False),
            text_ids=id_type == "text",
            persistence_module=env.get("PERSISTENCE_MODULE") or DEFAULT_MODULE,
            sign_events=flag(env, "KOERS_SIGN_EVENTS", True),
            signing_key=env.get("KOERS_SIGNING_KEY") or None,
            role=env.get(ROLE_KEY) or "app",
            **{name: env.get(key) or None for name, key in _LOGIN_KEYS.items()},
        )

    def as_env(self) -> dict[str, str]:
        """Every key of this section, for the library to build the store from."""
        env = {
            "PERSISTENCE_MODULE": self.persistence_module,
            "KOERS_DATA_DIR": str(self.data_dir),
            "NATS_STREAM": self.stream,
            "NATS_REPLICAS": str(self.replicas),
            "NATS_TIMEOUT": repr(self.timeout),
            "NATS_WRITE_DEADLINE": repr(self.write_deadline),
            "NATS_MAX_BATCH": str(self.max_batch),
            "NATS_CREATE_STREAM": "yes" if self.create_stream else "no",
            "NATS_ACCEPT_WEAK_STREAM": "yes" if self.accept_weak_stream else "no",
            "ORIGINATOR_ID_TYPE": "text" if self.text_ids else "uuid",
            "KOERS_SIGN_EVENTS": "yes" if self.sign_events else "no",
        }
        if self.prefix:
            env["NATS_SUBJECT_PREFIX"] = self.prefix
        if self.url:
            env["NATS_URL"] = self.url
        if self.role != "app":
            env[ROLE_KEY] = self.role
        if self.signing_key:
            env["KOERS_SIGNING_KEY"] = self.signing_key
        for name, key in _LOGIN_KEYS.items():
            value = getattr(self, name)
            if value:
                env[key] = value
        return env

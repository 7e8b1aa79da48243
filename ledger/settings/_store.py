"""Settings of the NATS persistence module, read once through the library's ``Environment``.

Each key is looked up with the application-name prefix first (``GOALS_NATS_URL``), then bare
(``NATS_URL``), as the ``eventsourcing`` library does for all its settings.

- ``NATS_URL``: server URL(s), comma-separated. Default: the embedded nats-server of
  ``KOERS_DATA_DIR``, started if it is not running.
- ``KOERS_DATA_DIR``: data directory of the embedded server (``~/.local/share/koers``).
- ``NATS_STREAM``: the event stream of this application (``LEDGER``).
- ``NATS_SUBJECT_PREFIX``: the first subject token (the stream name in lower case).
- ``NATS_REPLICAS``: stream replicas (``1``; ``3`` on a cluster).
- ``NATS_TIMEOUT``: seconds to wait for one answer from NATS (``5``).
- ``NATS_WRITE_DEADLINE``: seconds a write keeps retrying while NATS is unreachable before
  it fails (``30``; keep it below the stream's 120 s duplicate window).
- ``NATS_MAX_BATCH``: most messages in one atomic batch (``1000``, the server's
  ``jetstream.limits.batch.max_msgs``); one save may hold one fewer.
- ``NATS_CREATE_STREAM``: create the stream when it does not exist (``yes``).
- ``NATS_ACCEPT_WEAK_STREAM``: accept an existing stream whose configuration is weaker than
  the audited one, logging each difference (``no``; for migrations only).
- ``ORIGINATOR_ID_TYPE``: ``uuid`` (default) or ``text``, the type of aggregate ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from eventsourcing.utils import Environment, strtobool

from ledger.errors import ConfigurationError

__all__ = ["DEFAULT_DATA_DIR", "DEFAULT_STREAM", "NatsSettings"]

N = TypeVar("N", int, float)

DEFAULT_STREAM = "LEDGER"
DEFAULT_TIMEOUT = 5.0
DEFAULT_WRITE_DEADLINE = 30.0
DEFAULT_MAX_BATCH = 1000
DEFAULT_DATA_DIR = Path("~/.local/share/koers")


@dataclass(frozen=True)
class NatsSettings:
    """Everything the NATS recorders need to know, validated once."""

    url: str | None
    data_dir: Path
    stream: str
    subject_prefix: str
    replicas: int
    timeout: float
    write_deadline: float
    max_batch: int
    create_stream: bool
    accept_weak_stream: bool
    text_ids: bool

    @classmethod
    def from_env(cls, env: Environment) -> NatsSettings:
        stream = env.get("NATS_STREAM") or DEFAULT_STREAM
        id_type = (env.get("ORIGINATOR_ID_TYPE") or "uuid").lower()
        if id_type not in ("uuid", "text"):
            raise ConfigurationError(
                f"ORIGINATOR_ID_TYPE is {id_type!r}: set it to 'uuid' or 'text'"
            )
        data_dir = env.get("KOERS_DATA_DIR")
        return cls(
            url=env.get("NATS_URL") or None,
            data_dir=Path(data_dir or DEFAULT_DATA_DIR).expanduser(),
            stream=stream,
            subject_prefix=env.get("NATS_SUBJECT_PREFIX") or stream.lower(),
            replicas=_number(env, "NATS_REPLICAS", 1, int),
            timeout=_number(env, "NATS_TIMEOUT", DEFAULT_TIMEOUT, float),
            write_deadline=_number(env, "NATS_WRITE_DEADLINE", DEFAULT_WRITE_DEADLINE, float),
            max_batch=_number(env, "NATS_MAX_BATCH", DEFAULT_MAX_BATCH, int),
            create_stream=_flag(env, "NATS_CREATE_STREAM", True),
            accept_weak_stream=_flag(env, "NATS_ACCEPT_WEAK_STREAM", False),
            text_ids=id_type == "text",
        )


def _number(env: Environment, key: str, default: N, kind: type[N]) -> N:
    raw = env.get(key)
    if raw in (None, ""):
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigurationError(f"{key} is {raw!r}: set it to a positive number") from None
    if value <= 0:
        raise ConfigurationError(f"{key} is {raw!r}: set it to a positive number")
    return value


def _flag(env: Environment, key: str, default: bool) -> bool:
    raw = env.get(key)
    if raw in (None, ""):
        return default
    try:
        return bool(strtobool(raw))
    except ValueError:
        raise ConfigurationError(f"{key} is {raw!r}: set it to 'yes' or 'no'") from None

"""The audited stream configuration, and creating or checking the stream at start-up.

The ledger stream is an append-only log. Its configuration makes deleting or rewriting
events impossible through the data API (``deny_delete``, ``deny_purge``, no roll-ups),
refuses instead of dropping when a limit is hit (``discard: new``, no limits at all),
allows atomic batches (one save = all or nothing) and direct gets (fast reads), keeps a
duplicate window of two minutes (idempotent retries) and compresses blocks with s2.
Message TTLs and schedules are never enabled on it (both can remove messages).

Creating the stream is idempotent, and only done when asked (``koers init``, ``koers serve``
on a new ledger): otherwise a missing stream is a :class:`~ledger.errors.StreamMissing`
error. An existing stream is compared with this configuration;
each weaker setting is reported in one :class:`~ledger.errors.StreamConfigError`, unless
``NATS_ACCEPT_WEAK_STREAM`` is set, in which case each difference is logged as a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from nats.js import JetStreamContext, api
from nats.js.errors import APIError, NotFoundError

from ledger.errors import ConfigurationError, StreamConfigError, StreamMissing

__all__ = [
    "MIN_DUPLICATE_WINDOW",
    "Admin",
    "audited_config",
    "ensure_stream",
    "snapshot_config",
]

log = logging.getLogger(__name__)

Admin = Callable[[], AbstractAsyncContextManager[JetStreamContext]]
"""Opens JetStream as the user that may create streams (``NatsConnection.admin``)."""

MIN_DUPLICATE_WINDOW = 120.0  # seconds
#: The server's error code for a stream asking more replicas than the server can give.
REPLICAS_UNSUPPORTED = 10074


def _layout(
    name: str, description: str, subjects: str, replicas: int, **more: Any
) -> api.StreamConfig:
    """What the ledger stream and its snapshots share: on file, ``replicas`` copies, refusing
    what does not fit, the full duplicate window, direct gets, atomic batches, S2."""
    return api.StreamConfig(
        name=name,
        description=description,
        subjects=[subjects],
        storage=api.StorageType.FILE,
        num_replicas=replicas,
        discard=api.DiscardPolicy.NEW,
        duplicate_window=MIN_DUPLICATE_WINDOW,
        allow_direct=True,
        allow_atomic=True,
        compression=api.StoreCompression.S2,
        **more,
    )


def audited_config(name: str, subjects: str, replicas: int) -> api.StreamConfig:
    """The configuration the ledger stream is created with, and checked against: the layout,
    with no limits, and nothing deleted, purged or rolled up."""
    described = "Koers ledger: immutable domain events (one subject per aggregate and type)"
    return _layout(
        name,
        described,
        subjects,
        replicas,
        retention=api.RetentionPolicy.LIMITS,
        max_msgs=-1,
        max_bytes=-1,
        max_age=0,
        max_msgs_per_subject=-1,
        deny_delete=True,
        deny_purge=True,
        allow_rollup_hdrs=False,
    )


def snapshot_config(name: str, subjects: str, replicas: int) -> api.StreamConfig:
    """Snapshots are derived data: same layout, but they may be purged and rebuilt."""
    return _layout(
        name, "Koers ledger snapshots (derived, can be rebuilt from the ledger)", subjects, replicas
    )


def weaknesses(actual: api.StreamConfig, wanted: api.StreamConfig) -> list[str]:
    """Each way ``actual`` is weaker than the audited ``wanted`` configuration."""
    problems: list[str] = []

    def need(field: str, ok: bool, is_: object, needs: object) -> None:
        if not ok:
            problems.append(f"{field} is {is_}, needs {needs}")

    need("storage", actual.storage == api.StorageType.FILE, actual.storage, "file")
    need("deny_delete", bool(actual.deny_delete), actual.deny_delete, True)
    need("deny_purge", bool(actual.deny_purge), actual.deny_purge, True)
    need("allow_rollup_hdrs", not actual.allow_rollup_hdrs, actual.allow_rollup_hdrs, False)
    need("discard", actual.discard == api.DiscardPolicy.NEW, actual.discard, "new")
    need("allow_atomic", bool(actual.allow_atomic), actual.allow_atomic, True)
    need("allow_direct", bool(actual.allow_direct), actual.allow_direct, True)
    window = actual.duplicate_window or 0
    need("duplicate_window", window >= MIN_DUPLICATE_WINDOW, f"{window:g}s", ">= 120s")
    need("compression", actual.compression == api.StoreCompression.S2, actual.compression, "s2")
    need("allow_msg_ttl", not actual.allow_msg_ttl, actual.allow_msg_ttl, False)
    need("allow_msg_schedules", not actual.allow_msg_schedules, actual.allow_msg_schedules, False)
    for limit in ("max_msgs", "max_bytes", "max_msgs_per_subject"):
        value = getattr(actual, limit)
        need(limit, value in (None, -1, 0), value, "-1 (unlimited)")
    need("max_age", not actual.max_age, actual.max_age, "0 (forever)")
    need("subjects", actual.subjects == wanted.subjects, actual.subjects, wanted.subjects)
    return problems


async def ensure_stream(
    js: JetStreamContext,
    wanted: api.StreamConfig,
    *,
    create: bool,
    accept_weak: bool,
    audited: bool = True,
    url: str = "the NATS server",
    admin: Admin | None = None,
) -> api.StreamInfo:
    """Create the stream with ``wanted`` when ``create``, or check an existing one against it;
    a missing stream not to be created raises :class:`StreamMissing` (naming ``url``).

    ``admin`` opens JetStream as the user allowed to create streams (on the embedded server
    only ``admin`` is; the connection ``js`` belongs to may only read and append)."""
    assert wanted.name is not None
    try:
        info = await js.stream_info(wanted.name)
    except NotFoundError:
        if not create:
            raise StreamMissing(wanted.name, url) from None
        if admin is None:
            return await _create(js, wanted)
        async with admin() as admin_js:
            return await _create(admin_js, wanted)
    if audited:
        _check(info.config, wanted, accept_weak)
    return info


async def _create(js: JetStreamContext, wanted: api.StreamConfig) -> api.StreamInfo:
    """Create the stream; a replica count the server cannot give becomes one sentence."""
    try:
        return await js.add_stream(wanted)
    except APIError as e:
        if e.err_code != REPLICAS_UNSUPPORTED:
            raise
        replicas = wanted.num_replicas
        raise ConfigurationError(
            f"the server refused to create stream {wanted.name!r} with {replicas} replicas "
            f"(R{replicas}): {e.description}. Set NATS_REPLICAS to the number of servers in "
            f"the JetStream cluster (1 for a single server)"
        ) from e


def _check(actual: api.StreamConfig, wanted: api.StreamConfig, accept_weak: bool) -> None:
    assert wanted.name is not None
    problems = weaknesses(actual, wanted)
    if not problems:
        return
    if accept_weak:
        for problem in problems:
            log.warning("stream %s is weaker than audited: %s", wanted.name, problem)
        return
    raise StreamConfigError(
        wanted.name,
        problems,
        "Recreate the stream with the audited configuration (see docs/store.md), or, "
        "to accept it knowingly, set NATS_ACCEPT_WEAK_STREAM=yes.",
    )

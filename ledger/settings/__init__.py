"""Koers's settings: one frozen object, read from the environment once per process.

:meth:`Settings.from_env` (and :func:`user_from_env`) are the only code in Koers that read
``os.environ``; everything else receives a section of what it returns, through
:mod:`ledger.bootstrap`. The variables, with their defaults, are listed in each section's
module:

- ``store`` (:mod:`ledger.settings._store`): ``PERSISTENCE_MODULE``, ``KOERS_DATA_DIR``,
  ``NATS_URL``, ``NATS_STREAM``, ``NATS_SUBJECT_PREFIX``, ``NATS_REPLICAS``, ``NATS_TIMEOUT``,
  ``NATS_WRITE_DEADLINE``, ``NATS_MAX_BATCH``, ``NATS_CREATE_STREAM``,
  ``NATS_ACCEPT_WEAK_STREAM``, ``ORIGINATOR_ID_TYPE``, ``NATS_USER``, ``NATS_PASSWORD``,
  ``NATS_CREDS``, ``NATS_TLS_CA``, ``NATS_TLS_CERT``, ``NATS_TLS_KEY``, ``KOERS_NATS_ROLE``;
- ``views`` (:mod:`ledger.settings._sections`): ``KOERSVIEWS_*``;
- ``workers`` (:mod:`ledger.settings._workers`): ``KOERS_WORKER_*``, ``KOERS_LOW_INFORMATION``,
  ``KOERS_CONFIDENCE_DROP``, ``KOERS_DUE_TIME``, ``KOERS_TIMEZONE``, ``KOERS_*_CRON``,
  ``KOERS_METRICS_PORT``, ``KOERS_WEBHOOK_*`` and ``KOERS_WEBHOOKS_ALLOW_PRIVATE``
  (:mod:`ledger.settings._webhooks`); its
  ``notify`` part (:mod:`ledger.settings._notify`): ``KOERS_SMTP_URL``, ``KOERS_MAIL_FROM``,
  ``KOERS_PUBLIC_URL`` (links), ``KOERS_NOTIFY_*``;
- ``audit`` (:mod:`ledger.settings._audit`): ``KOERS_CHECKPOINT_EVERY``,
  ``KOERS_CHECKPOINT_SECONDS``, ``KOERS_CHECKPOINT_DIR``, ``KOERS_SIGNING_KEY``, ``KOERS_AUDIT``;
- ``api`` (:mod:`ledger.settings._sections`): ``KOERS_API_HOST``, ``KOERS_API_PORT``,
  ``KOERS_PUBLIC_HOSTS``, ``KOERS_PUBLIC_URL``;
- ``access`` (:mod:`ledger.settings._access`): ``KOERS_OIDC_*``, ``KOERS_LOGIN_LINK_MINUTES``,
  ``KOERS_SESSION_IDLE_MINUTES``, ``KOERS_ACCESS_CACHE_SECONDS``;
- ``user``: ``KOERS_USER``, who a command is recorded as when ``--as`` is not given.

A bad value is refused once, at start, with a ``ConfigurationError`` naming the variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from ledger.settings._access import AccessSettings
from ledger.settings._audit import AuditSettings
from ledger.settings._files import private_dir, private_file, write_private
from ledger.settings._notify import NotifySettings
from ledger.settings._remote import RemoteSettings
from ledger.settings._sections import ApiSettings, ViewSettings
from ledger.settings._store import NATS_ROLES, ROLE_KEY, StoreSettings
from ledger.settings._webhooks import WebhookSettings
from ledger.settings._workers import PERIODIC_KINDS, WorkerSettings

__all__ = [
    "NATS_ROLES",
    "PERIODIC_KINDS",
    "ROLE_KEY",
    "AccessSettings",
    "ApiSettings",
    "AuditSettings",
    "NotifySettings",
    "RemoteSettings",
    "Settings",
    "StoreSettings",
    "ViewSettings",
    "WebhookSettings",
    "WorkerSettings",
    "inherited_environment",
    "private_dir",
    "private_file",
    "user_from_env",
    "write_private",
]


@dataclass(frozen=True)
class Settings:
    """Every setting of Koers, by section; the workers' section is bound to the store's."""

    store: StoreSettings = field(default_factory=StoreSettings)
    views: ViewSettings = field(default_factory=ViewSettings)
    workers: WorkerSettings = field(default_factory=WorkerSettings)
    audit: AuditSettings = field(default_factory=AuditSettings)
    api: ApiSettings = field(default_factory=ApiSettings)
    access: AccessSettings = field(default_factory=AccessSettings)
    user: str | None = None

    def __post_init__(self) -> None:
        if self.workers.store_env != self.store.as_env():
            object.__setattr__(self, "workers", self.workers.bound_to(self.store.as_env()))

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, data_dir: Path | None = None
    ) -> Settings:
        """From ``environ`` (default: the process's environment); ``data_dir`` (a command's
        ``--data-dir``) overrides ``KOERS_DATA_DIR``."""
        env = dict(os.environ if environ is None else environ)
        if data_dir is not None:
            env["KOERS_DATA_DIR"] = str(data_dir)
        return cls(
            store=StoreSettings.from_env(env),
            views=ViewSettings.from_env(env),
            workers=WorkerSettings.from_env(env),
            audit=AuditSettings.from_env(env),
            api=ApiSettings.from_env(env),
            access=AccessSettings.from_env(env),
            user=user_from_env(env),
        )

    def with_store(self, **changes: object) -> Settings:
        """A copy with some store settings changed (and the workers bound to it)."""
        return replace(self, store=replace(self.store, **changes))  # type: ignore[arg-type]


def user_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    """``KOERS_USER`` alone: who a command is recorded as without ``--as`` (read apart from
    :meth:`Settings.from_env` so that naming the user never fails on another setting)."""
    return (os.environ if environ is None else environ).get("KOERS_USER") or None


def inherited_environment() -> dict[str, str]:
    """A copy of this process's environment, for a child process Koers starts (the local
    cluster's nodes and processes): PATH, HOME and the rest, on top of which the child's own
    settings are set."""
    return dict(os.environ)

"""The notification settings of the workers (issue 13), read once with the others.

- ``KOERS_SMTP_URL``: where e-mail goes. ``smtp://user:pass@host:587`` speaks STARTTLS
  (always when a user is given, or on port 587), ``smtps://…:465`` TLS from the start,
  ``smtp://127.0.0.1:2525`` plain (a local test server). Unset: no e-mail is sent (chat
  channels still are).
- ``KOERS_MAIL_FROM`` (``Koers <koers@localhost>``): the sender of the e-mail.
- ``KOERS_PUBLIC_URL``: the base of the links in messages (the address people use); unset:
  ``http://127.0.0.1:8000``, what ``koers serve`` binds by default.
- ``KOERS_NOTIFY_LEASE`` (60 s): a delivery claimed by a worker that has not finished it
  within this time is taken over by another (the claimant died); longer than any send.
- ``KOERS_NOTIFY_RETRY`` (2 s, doubled per attempt up to ``KOERS_NOTIFY_RETRY_MAX``, 300 s):
  the backoff after a failed send. A delivery is retried for ever, never dropped.
- ``KOERS_NOTIFY_DAILY`` (``08:00``): when a daily or weekly digest (weekly: Mondays) is sent,
  in the person's time zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from urllib.parse import urlsplit

from ledger.errors import ConfigurationError
from ledger.settings._parse import clock, numbers

__all__ = ["NotifySettings"]

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class NotifySettings:
    smtp_url: str | None = field(default=None, repr=False)  # may hold a password
    mail_from: str = "Koers <koers@localhost>"
    public_url: str = DEFAULT_PUBLIC_URL
    lease: float = 60.0
    retry: float = 2.0
    retry_max: float = 300.0
    digest_time: time = time(8, 0)

    def __post_init__(self) -> None:
        if self.smtp_url is not None:
            parts = urlsplit(self.smtp_url)
            if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
                raise ConfigurationError(  # not the value itself: it may hold a password
                    f"KOERS_SMTP_URL (scheme {parts.scheme!r}) is not an SMTP server: write "
                    f"smtp://user:pass@host:587 (STARTTLS), smtps://user:pass@host:465 or "
                    f"smtp://127.0.0.1:2525"
                )

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> NotifySettings:
        d = cls()
        return cls(
            smtp_url=env.get("KOERS_SMTP_URL", "").strip() or None,
            mail_from=env.get("KOERS_MAIL_FROM", "").strip() or d.mail_from,
            public_url=(env.get("KOERS_PUBLIC_URL", "").strip() or d.public_url).rstrip("/"),
            **numbers(env, d, "KOERS_NOTIFY_", ("lease", "retry", "retry_max")),
            digest_time=clock(env, "KOERS_NOTIFY_DAILY", d.digest_time),
        )

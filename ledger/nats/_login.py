"""Who a connection signs in as, and over what: the options every Koers client connects with.

On the embedded server each part of Koers signs in as its own user (``KOERS_NATS_ROLE``:
the credential file of the data directory). On a ``NATS_URL`` Koers uses the credentials
given with it (``NATS_USER``/``NATS_PASSWORD`` or ``NATS_CREDS``) and TLS when
``NATS_TLS_CA`` or ``NATS_TLS_CERT`` is set. No option here ever lands in a URL, a log line
or an error message.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import Any

from ledger.errors import ConfigurationError
from ledger.settings import StoreSettings

__all__ = ["Login", "login_for"]


@dataclass(frozen=True)
class Login:
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    creds: str | None = None
    tls: ssl.SSLContext | None = None

    def options(self) -> dict[str, Any]:
        """Keyword arguments for nats-py's ``connect`` (the FastStream broker's too)."""
        options: dict[str, Any] = {}
        if self.user is not None:
            options["user"], options["password"] = self.user, self.password
        if self.creds is not None:
            options["user_credentials"] = self.creds
        if self.tls is not None:
            options["tls"] = self.tls
        return options

    @property
    def lean(self) -> bool:
        """Whether the lean readers (plain TCP, a user and password at most) can sign in."""
        return self.tls is None and self.creds is None

    @property
    def user_password(self) -> tuple[str, str] | None:
        return None if self.user is None else (self.user, self.password or "")


def login_for(settings: StoreSettings, credential: tuple[str, str] | None) -> Login:
    """The login for ``settings``: ``credential`` (user, password) on the embedded server,
    else what the settings give for ``NATS_URL``."""
    if credential is not None:
        return Login(user=credential[0], password=credential[1])
    return Login(
        user=settings.user,
        password=settings.password,
        creds=settings.creds,
        tls=_tls_context(settings),
    )


def _tls_context(settings: StoreSettings) -> ssl.SSLContext | None:
    if not settings.tls_ca and not settings.tls_cert:
        return None
    try:
        context = ssl.create_default_context(cafile=settings.tls_ca or None)
        if settings.tls_cert:
            context.load_cert_chain(settings.tls_cert, settings.tls_key)
    except (OSError, ssl.SSLError) as e:
        raise ConfigurationError(
            f"cannot use the TLS files of NATS_TLS_CA/NATS_TLS_CERT/NATS_TLS_KEY ({e}): point "
            f"them at a readable PEM CA certificate, client certificate and key"
        ) from None
    return context

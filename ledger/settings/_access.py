"""Who is who: sign-in and credentials (``KOERS_OIDC_*``, ``KOERS_SESSION_*``, ...).

- ``KOERS_OIDC_ISSUER``, ``KOERS_OIDC_AUDIENCE``, ``KOERS_OIDC_JWKS`` (an ``https://`` URL or
  a file holding the issuer's JSON Web Key Set), ``KOERS_OIDC_MATCH`` (``email``, the
  default, or ``subject``): single sign-on with bearer JWTs from an OpenID Connect issuer.
  Off unless the issuer is set.
- ``KOERS_LOGIN_LINK_MINUTES`` (15): how long a one-time login link works.
- ``KOERS_SESSION_IDLE_MINUTES`` (480): a browser session ends after this long unused.
- ``KOERS_ACCESS_CACHE_SECONDS`` (2): how long an API process trusts what it read of the
  directory and of a token before it reads them again. A change made through the same
  process takes effect at once; one made elsewhere within this many seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ledger.errors import ConfigurationError

__all__ = ["AccessSettings"]


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1
    if not 0 < value <= 10**6:
        raise ConfigurationError(f"{name} is {raw!r}: set it to a positive number")
    return value


@dataclass(frozen=True)
class AccessSettings:
    """Sign-in and credentials (see the module docstring)."""

    oidc_issuer: str = ""
    oidc_audience: str = ""
    oidc_jwks: str = ""
    oidc_match: str = "email"
    login_link_minutes: float = 15
    session_idle_minutes: float = 480
    cache_seconds: float = 2

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AccessSettings:
        match = env.get("KOERS_OIDC_MATCH") or "email"
        if match not in ("email", "subject"):
            raise ConfigurationError(
                f"KOERS_OIDC_MATCH is {match!r}: set it to 'email' or 'subject'"
            )
        settings = cls(
            oidc_issuer=env.get("KOERS_OIDC_ISSUER", ""),
            oidc_audience=env.get("KOERS_OIDC_AUDIENCE", ""),
            oidc_jwks=env.get("KOERS_OIDC_JWKS", ""),
            oidc_match=match,
            login_link_minutes=_positive(env, "KOERS_LOGIN_LINK_MINUTES", 15),
            session_idle_minutes=_positive(env, "KOERS_SESSION_IDLE_MINUTES", 480),
            cache_seconds=_positive(env, "KOERS_ACCESS_CACHE_SECONDS", 2),
        )
        if settings.oidc_issuer and not (settings.oidc_audience and settings.oidc_jwks):
            raise ConfigurationError(
                "KOERS_OIDC_ISSUER is set without KOERS_OIDC_AUDIENCE and KOERS_OIDC_JWKS: "
                "set all three (or none, to turn single sign-on off)"
            )
        return settings

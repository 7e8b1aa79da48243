"""Access: verifying the credentials a caller presents, and saying who they prove the caller is.

Koers's own API tokens, bearer JWTs from a configured OpenID Connect issuer
(:mod:`ledger.access.oidc`), one-time login links and browser sessions. An adapter: it reads
the settings and raises :class:`~ledger.errors.Unauthenticated`; the API decides what each
identity may do.
"""

from __future__ import annotations

from ledger.access.oidc import Identity, OidcVerifier, looks_like_jwt, oidc_verifier

__all__ = ["Identity", "OidcVerifier", "looks_like_jwt", "oidc_verifier"]

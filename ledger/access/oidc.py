"""Single sign-on: a bearer JWT from the configured OpenID Connect issuer, verified.

:meth:`OidcVerifier.verify` accepts a token only if all of these hold, and refuses it with
:class:`~ledger.errors.Unauthenticated` naming the first that does not (the message never
contains the token):

1. It is a compact JWS (three base64url parts) of at most :data:`MAX_TOKEN_CHARS`.
2. Its ``alg`` is one of :data:`ALGORITHMS`: public-key signatures only. ``none`` and the
   shared-secret algorithms (``HS*``) are refused outright, so the issuer's *public* key can
   never be used as an HMAC secret (RFC 8725 §2.1, §3.1).
3. Its ``kid`` names a key the issuer publishes (:mod:`ledger.access._jwks` reads and caches
   the key set, and reads it again for a key id it lacks), of the type ``alg`` needs; a key
   that states its own ``alg`` must state this one (RFC 7517 §4.4).
4. The signature verifies with that key.
5. ``exp`` is present and not past, and ``nbf`` (if present) not ahead, each with
   :data:`LEEWAY_SECONDS` for clocks that disagree.
6. ``iss`` is exactly ``KOERS_OIDC_ISSUER`` and ``aud`` holds ``KOERS_OIDC_AUDIENCE``.
7. ``sub`` is a non-empty string.
8. With ``KOERS_OIDC_MATCH=email``, it carries an email address that is not unverified.

The email of an :class:`Identity` is the ``email`` claim unless the token says
``email_verified`` is false (the boolean, or the string ``"false"`` some issuers send): an
address the issuer has not checked proves nothing. An absent ``email_verified`` is taken as
the issuer vouching for the address, as issuers that only hand out addresses they own (a
company's directory) commonly leave it out.

Verification is synchronous and may wait up to the key set's read timeout (3 s) when the
keys are read; call it from a worker thread in async code.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt

from ledger.access._jwks import Jwk, KeyCache
from ledger.errors import ConfigurationError, Unauthenticated
from ledger.settings import AccessSettings

__all__ = [
    "ALGORITHMS",
    "LEEWAY_SECONDS",
    "MAX_TOKEN_CHARS",
    "Identity",
    "OidcVerifier",
    "looks_like_jwt",
    "oidc_verifier",
]

#: The signature algorithms accepted, with the key type (``kty``, ``crv``) each needs.
ALGORITHMS: Mapping[str, tuple[str, str | None]] = {
    "RS256": ("RSA", None),
    "RS384": ("RSA", None),
    "RS512": ("RSA", None),
    "PS256": ("RSA", None),
    "ES256": ("EC", "P-256"),
    "ES384": ("EC", "P-384"),
    "EdDSA": ("OKP", "Ed25519"),
}
#: How far the issuer's clock and ours may disagree, for ``exp`` and ``nbf``.
LEEWAY_SECONDS = 60
#: The longest token read (a real ID token is 1-2 KiB).
MAX_TOKEN_CHARS = 16_384

_JWT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_SHARED_SECRET = ("HS256", "HS384", "HS512")
_SIGN_IN_AGAIN = "sign in again through the sign-on issuer"
_KEY_UNUSABLE = f"the sign-on issuer's key for this token cannot be used: {_SIGN_IN_AGAIN}"
#: PyJWT's refusals, the more specific first, as sentences (``{issuer}``, ``{claim}`` filled).
_REFUSALS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (
        jwt.InvalidSignatureError,
        "the token's signature does not verify with the sign-on issuer's key: it was not "
        f"issued by {{issuer}}, or was altered; {_SIGN_IN_AGAIN}",
    ),
    (jwt.ExpiredSignatureError, f"the token has expired: {_SIGN_IN_AGAIN}"),
    (
        jwt.ImmatureSignatureError,
        "the token is not valid yet ('nbf' or 'iat' is in the future): check this machine's "
        "clock, or try again in a minute",
    ),
    (
        jwt.InvalidAudienceError,
        "the token was issued for another application (its audience is not Koers): "
        f"{_SIGN_IN_AGAIN} to Koers to get a token for it",
    ),
    (
        jwt.InvalidIssuerError,
        "the token was not issued by the sign-on issuer {issuer}: sign in there",
    ),
    (jwt.MissingRequiredClaimError, f"the token lacks the '{{claim}}' claim: {_SIGN_IN_AGAIN}"),
    (jwt.PyJWKError, _KEY_UNUSABLE),
    (jwt.InvalidKeyError, _KEY_UNUSABLE),
)
_MALFORMED = f"the token's claims are malformed: {_SIGN_IN_AGAIN}"


@dataclass(frozen=True)
class Identity:
    """Who a verified token says the caller is: ``subject`` is unique within ``issuer``;
    ``email`` is ``None`` when the token carries none or says it is unverified."""

    issuer: str
    subject: str
    email: str | None = None


def looks_like_jwt(token: str) -> bool:
    """Whether a bearer token has a JWT's shape (three base64url parts joined by dots, the
    last empty when unsigned), to route it here rather than to Koers's own tokens
    (``koers_...``). Says nothing about whether it is valid."""
    return len(token) <= MAX_TOKEN_CHARS and _JWT.fullmatch(token) is not None


def oidc_verifier(
    settings: AccessSettings, monotonic: Callable[[], float] = time.monotonic
) -> OidcVerifier | None:
    """The verifier for the configured issuer, or ``None`` when single sign-on is off
    (``KOERS_OIDC_ISSUER`` is empty)."""
    return OidcVerifier(settings, monotonic) if settings.oidc_issuer else None


class OidcVerifier:
    """Verifies bearer JWTs from ``settings.oidc_issuer`` (see the module docstring).

    ``monotonic`` is the clock of the key cache's intervals; the token's times are checked
    against the wall clock. Safe to share between threads.
    """

    def __init__(
        self, settings: AccessSettings, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        if not (settings.oidc_issuer and settings.oidc_audience and settings.oidc_jwks):
            raise ConfigurationError(
                "single sign-on needs KOERS_OIDC_ISSUER, KOERS_OIDC_AUDIENCE and "
                "KOERS_OIDC_JWKS: set all three (or none, to turn it off)"
            )
        self._settings = settings
        self._keys = KeyCache(settings.oidc_jwks, monotonic)

    @property
    def issuer(self) -> str:
        return self._settings.oidc_issuer

    def verify(self, token: str) -> Identity:
        """The identity ``token`` proves; :class:`Unauthenticated` if it proves none."""
        alg, kid = _header(token)
        key = _usable(self._keys.key(kid), alg)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[alg],  # from the allow-list, and the key's type fits it
                audience=self._settings.oidc_audience,
                issuer=self._settings.oidc_issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as e:
            raise Unauthenticated(self._refusal(e)) from e
        return self._identity(claims)

    def _identity(self, claims: Mapping[str, Any]) -> Identity:
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject:
            raise Unauthenticated(f"the token names no subject ('sub'): {_SIGN_IN_AGAIN}")
        email = claims.get("email")
        unverified = str(claims.get("email_verified", "")).lower() == "false"
        if not isinstance(email, str) or not email or unverified:
            email = None
        if email is None and self._settings.oidc_match == "email":
            raise Unauthenticated(
                "the token carries no verified email address, and Koers matches sign-on "
                "users by email: ask the issuer's administrator to include a verified 'email' "
                "claim (or the operator to set KOERS_OIDC_MATCH=subject)"
            )
        return Identity(issuer=self.issuer, subject=subject, email=email)

    def _refusal(self, e: jwt.PyJWTError) -> str:
        """A sentence for a token PyJWT refused (none of PyJWT's text, which may quote it)."""
        sentence = next((s for kind, s in _REFUSALS if isinstance(e, kind)), _MALFORMED)
        return sentence.format(issuer=self.issuer, claim=getattr(e, "claim", ""))


def _header(token: str) -> tuple[str, str | None]:
    """The token's accepted ``alg`` and its ``kid``, or :class:`Unauthenticated`."""
    malformed = Unauthenticated(
        "the bearer token is not a well-formed JWT: send the token your sign-on issuer gave "
        "you as 'Authorization: Bearer <token>'"
    )
    if not looks_like_jwt(token):
        raise malformed
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as e:
        raise malformed from e
    alg, kid = header.get("alg"), header.get("kid")
    if not isinstance(alg, str) or not isinstance(kid, str | None):
        raise malformed
    if alg.lower() == "none":
        raise Unauthenticated(
            f"the token is unsigned (alg 'none'): Koers accepts only tokens signed by the "
            f"sign-on issuer; {_SIGN_IN_AGAIN}"
        )
    if alg not in ALGORITHMS:
        named = f"a shared-secret algorithm ({alg})" if alg in _SHARED_SECRET else "an algorithm"
        raise Unauthenticated(
            f"the token is signed with {named} Koers does not accept: only the sign-on "
            f"issuer's public-key signatures are ({', '.join(ALGORITHMS)})"
        )
    return alg, kid


def _usable(jwk: Jwk, alg: str) -> jwt.PyJWK:
    """The issuer's key ``jwk`` bound to ``alg``, if it is a key for that algorithm."""
    kty, crv = ALGORITHMS[alg]
    if jwk.get("kty") != kty or jwk.get("crv") != crv or jwk.get("alg", alg) != alg:
        raise Unauthenticated(
            f"the token's algorithm ({alg}) does not fit the issuer's key it names: "
            f"{_SIGN_IN_AGAIN}"
        )
    try:
        return jwt.PyJWK(dict(jwk), algorithm=alg)
    except jwt.PyJWTError as e:
        raise Unauthenticated(_KEY_UNUSABLE) from e

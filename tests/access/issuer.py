"""A fake OpenID Connect issuer for the sign-on tests: signing keys made in the test, tokens
minted with them, their JWK Set as a file or served over the loopback, and a hand-turned
monotonic clock for the key cache.

Keys are generated once per process and reused (an RSA key takes a few tens of
milliseconds); every test still builds its own issuer from them.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from ledger.settings import AccessSettings

ISSUER = "https://sso.example.test"
AUDIENCE = "koers"

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


@functools.cache
def private_key(kind: str, name: str) -> PrivateKey:
    """A key of ``kind`` (``RSA``, ``P-256``, ``P-384``, ``Ed25519``), the same for a name."""
    if kind == "RSA":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind == "Ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    return ec.generate_private_key(ec.SECP256R1() if kind == "P-256" else ec.SECP384R1())


_KIND = {"RS": "RSA", "PS": "RSA", "ES256": "P-256", "ES384": "P-384", "EdDSA": "Ed25519"}


@dataclass(frozen=True)
class Signer:
    """One of the issuer's signing keys: its id, algorithm and private key."""

    kid: str
    alg: str = "RS256"
    name: str = ""  # keys of the same kind and name are the same key

    @property
    def key(self) -> PrivateKey:
        kind = _KIND.get(self.alg) or _KIND[self.alg[:2]]
        return private_key(kind, self.name or self.kid)

    def jwk(self, **extra: Any) -> dict[str, Any]:
        """The public key as the issuer publishes it."""
        public = self.key.public_key()
        if isinstance(public, rsa.RSAPublicKey):
            jwk = RSAAlgorithm.to_jwk(public, as_dict=True)
        elif isinstance(public, ec.EllipticCurvePublicKey):
            jwk = ECAlgorithm.to_jwk(public, as_dict=True)
        else:
            jwk = OKPAlgorithm.to_jwk(public, as_dict=True)
        return {**jwk, "kid": self.kid, "use": "sig", **extra}

    def public_pem(self) -> bytes:
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def claims(**overrides: Any) -> dict[str, Any]:
    """A valid ID token's claims for Ann, valid for five minutes; an override of ``None``
    leaves that claim out."""
    now = int(time.time())
    base = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "ann-0001",
        "email": "ann@example.test",
        "email_verified": True,
        "iat": now,
        "exp": now + 300,
    }
    return {k: v for k, v in {**base, **overrides}.items() if v is not None}


def token(signer: Signer, header: dict[str, Any] | None = None, **overrides: Any) -> str:
    """A token signed by ``signer`` (its ``kid`` in the header unless ``header`` says; a
    header value of ``None`` leaves that parameter out)."""
    headers = {k: v for k, v in {"kid": signer.kid, **(header or {})}.items() if v is not None}
    return jwt.encode(claims(**overrides), signer.key, algorithm=signer.alg, headers=headers)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged(header: dict[str, Any], secret: bytes | None = None, **overrides: Any) -> str:
    """A token made by hand (PyJWT refuses to make these): HMAC-SHA256 over ``secret``, or
    no signature at all when ``secret`` is ``None``."""
    head = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims(**overrides)).encode())
    if secret is None:
        return head + "."
    return head + "." + _b64(hmac.new(secret, head.encode(), hashlib.sha256).digest())


def settings(jwks: str | Path, match: str = "email") -> AccessSettings:
    return AccessSettings(
        oidc_issuer=ISSUER, oidc_audience=AUDIENCE, oidc_jwks=str(jwks), oidc_match=match
    )


def write_jwks(path: Path, *keys: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"keys": list(keys)}), "utf-8")
    return path


@dataclass
class Ticks:
    """A monotonic clock that moves only when told to."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class JwksServer:
    """The issuer's JWKS endpoint on the loopback: serves ``keys`` (or ``status`` when it is
    not 200) and counts the reads."""

    url: str = ""
    keys: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    reads: int = 0


@contextmanager
def serving(*keys: dict[str, Any]) -> Iterator[JwksServer]:
    """A :class:`JwksServer` on a free loopback port, shut down (and its thread joined) at
    the end."""
    state = JwksServer(keys=list(keys))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.reads += 1
            body = json.dumps({"keys": state.keys}).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/jwks"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

"""The sign-on issuer's public keys: a JSON Web Key Set (RFC 7517 §5), read and cached.

The set is read from ``KOERS_OIDC_JWKS``: an ``https://`` URL (plain ``http://`` only to the
loopback, for tests) or a file. What :class:`KeyCache` guarantees:

- The set is read lazily, when the first token needs it, never at start (the issuer may be
  down while Koers starts).
- A set is used for at most :data:`FRESH_SECONDS` before it is read again.
- A token naming a key id the set lacks makes the set be read again at once (the issuer
  rotated its keys), but the set is read at most once every :data:`RETRY_SECONDS`: a stream
  of made-up key ids cannot make Koers hammer the issuer, and neither can an issuer that is
  down (in between, the last failure is repeated at once instead of waiting again).
- A URL is read with a :data:`TIMEOUT_SECONDS` timeout, at most :data:`MAX_BYTES`, and a
  redirect may not leave ``https``. Reads are serialised: concurrent callers wait for one
  read rather than each starting their own.
- A failed read keeps the set read before, if any (and logs a warning); with no set at all,
  every token is refused with :class:`~ledger.errors.Unauthenticated` saying the keys could
  not be read.
- Only public signature keys are kept: symmetric keys (``kty: oct``), keys for encryption
  (``use: enc``) and keys of other types are dropped, so no token can be checked against a
  shared secret.
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ledger.errors import ConfigurationError, Unauthenticated

__all__ = ["FRESH_SECONDS", "MAX_BYTES", "RETRY_SECONDS", "TIMEOUT_SECONDS", "Jwk", "KeyCache"]

#: How long a key set read is used before it is read again.
FRESH_SECONDS = 600.0
#: The least time between two reads (a rotation, an outage).
RETRY_SECONDS = 30.0
#: How long one read of a URL may wait for the issuer (per network operation).
TIMEOUT_SECONDS = 3.0
#: The largest key set Koers reads (a real one is a few KiB).
MAX_BYTES = 1 << 20

#: One JSON Web Key, as the issuer published it.
Jwk = Mapping[str, Any]

_SIGNATURE_KEY_TYPES = ("RSA", "EC", "OKP")
_LOOPBACK = ("127.0.0.1", "::1", "localhost")

log = logging.getLogger(__name__)


class KeyCache:
    """The issuer's signature keys by key id (see the module docstring for the guarantees).

    ``monotonic`` is the clock the freshness and retry intervals are measured on.
    """

    def __init__(self, location: str, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._read = _reader(location)
        self._location = location
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._keys: dict[str, Jwk] | None = None
        self._read_at = 0.0
        self._tried_at: float | None = None
        self._failure = ""

    def key(self, kid: str | None) -> Jwk:
        """The key the token names (``kid``), or the set's only key when it names none."""
        keys = self._current(kid)
        if kid is None:
            if len(keys) == 1:
                return next(iter(keys.values()))
            raise Unauthenticated(
                "the token names no key ('kid') and the sign-on issuer publishes several: "
                "sign in again to get a token from the issuer"
            )
        if kid not in keys:
            raise Unauthenticated(
                "the token is signed with a key the sign-on issuer does not publish (unknown "
                "'kid'): sign in again to get a fresh token"
            )
        return keys[kid]

    def _current(self, kid: str | None) -> dict[str, Jwk]:
        with self._lock:
            now = self._monotonic()
            keys = self._keys
            stale = keys is None or now - self._read_at >= FRESH_SECONDS
            lacking = keys is not None and kid is not None and kid not in keys
            may_try = self._tried_at is None or now - self._tried_at >= RETRY_SECONDS
            if (stale or lacking) and may_try:
                self._refresh(now)
            if self._keys is None:
                raise Unauthenticated(self._failure)
            return self._keys

    def _refresh(self, now: float) -> None:
        self._tried_at = now
        try:
            self._keys = _parse(self._read())
        except _ReadFailed as e:
            self._failure = (
                f"the sign-on issuer's keys could not be read from {self._location} "
                f"({e.reason}): try again in a minute; if this persists, the operator should "
                f"check KOERS_OIDC_JWKS"
            )
            held = "keeping the keys read before" if self._keys else "no keys to fall back on"
            log.warning("%s (%s)", self._failure, held)
            return
        self._read_at = now


class _ReadFailed(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def _reader(location: str) -> Callable[[], bytes]:
    """A function reading the key set's bytes from ``location`` (URL or file)."""
    url = urllib.parse.urlsplit(location)
    if url.scheme.lower() == "https":
        return lambda: _fetch(location)
    if url.scheme.lower() == "http":
        if url.hostname not in _LOOPBACK:
            raise ConfigurationError(
                f"KOERS_OIDC_JWKS is {location!r}: the issuer's keys must come over https:// "
                f"(plain http:// only from the loopback, for tests)"
            )
        return lambda: _fetch(location)
    return lambda: _read_file(Path(location))


def _fetch(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            if url.lower().startswith("https:") and not response.geturl().startswith("https:"):
                raise _ReadFailed("it redirected away from https")
            data: bytes = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as e:
        e.close()
        raise _ReadFailed(f"HTTP {e.code}") from e
    except TimeoutError as e:
        raise _ReadFailed(f"no answer within {TIMEOUT_SECONDS:g} s") from e
    except urllib.error.URLError as e:
        timed_out = isinstance(e.reason, TimeoutError)
        reason = f"no answer within {TIMEOUT_SECONDS:g} s" if timed_out else str(e.reason)
        raise _ReadFailed(reason) from e
    except (OSError, ValueError, http.client.HTTPException) as e:
        raise _ReadFailed(str(e) or type(e).__name__) from e
    if len(data) > MAX_BYTES:
        raise _ReadFailed(f"the key set is larger than {MAX_BYTES} bytes")
    return data


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise _ReadFailed(e.strerror or type(e).__name__) from e


def _parse(data: bytes) -> dict[str, Jwk]:
    """The public signature keys of a JWK Set, by key id (``""`` for a key without one)."""
    try:
        document = json.loads(data)
    except ValueError as e:
        raise _ReadFailed("it is not JSON") from e
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise _ReadFailed("it is not a JSON Web Key Set: no 'keys' list")
    keys: dict[str, Jwk] = {}
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("kty") not in _SIGNATURE_KEY_TYPES:
            continue
        if entry.get("use", "sig") != "sig" or not isinstance(entry.get("kid", ""), str):
            continue
        keys.setdefault(entry.get("kid", ""), entry)
    if not keys:
        raise _ReadFailed("it holds no public signature key")
    return keys

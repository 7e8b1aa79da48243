"""Single sign-on (``ledger.access.oidc``): every rule of the module docstring, each refusal
as a sentence that never quotes the token, and the key cache's reads (lazy, cached, read again
for a rotated key but rate limited, kept through an outage), against a fake issuer
(``tests.access.issuer``) whose key set is a file or a loopback URL."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest

from ledger.access import Identity, OidcVerifier, looks_like_jwt, oidc_verifier
from ledger.access._jwks import FRESH_SECONDS, RETRY_SECONDS
from ledger.errors import ConfigurationError, Unauthenticated
from ledger.settings import AccessSettings
from tests.access.issuer import (
    AUDIENCE,
    ISSUER,
    JwksServer,
    Signer,
    Ticks,
    forged,
    serving,
    settings,
    token,
    write_jwks,
)

K1 = Signer("k1")
K2 = Signer("k2")
ANN = Identity(issuer=ISSUER, subject="ann-0001", email="ann@example.test")


@pytest.fixture
def jwks_file(tmp_path: Path) -> Path:
    return write_jwks(tmp_path / "jwks.json", K1.jwk())


@pytest.fixture
def verifier(jwks_file: Path) -> OidcVerifier:
    return OidcVerifier(settings(jwks_file))


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def server() -> Iterator[JwksServer]:
    with serving(K1.jwk()) as server:
        yield server


def refused(verifier: OidcVerifier, bearer: str) -> str:
    """The sentence ``verifier`` refuses ``bearer`` with; it quotes no part of the token."""
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(bearer)
    message = str(caught.value)
    assert not bearer or bearer not in message
    for part in bearer.split("."):
        assert len(part) < 8 or part not in message
    return message


# == Tokens accepted =============================================================================


def test_a_valid_token_gives_the_identity(verifier: OidcVerifier) -> None:
    assert verifier.verify(token(K1)) == ANN
    assert verifier.issuer == ISSUER


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"])
def test_every_accepted_algorithm(tmp_path: Path, alg: str) -> None:
    signer = Signer(f"key-{alg}", alg)
    verifier = OidcVerifier(settings(write_jwks(tmp_path / "jwks.json", signer.jwk(alg=alg))))
    assert verifier.verify(token(signer)) == ANN


def test_an_audience_list_holding_koers(verifier: OidcVerifier) -> None:
    assert verifier.verify(token(K1, aud=["other-app", AUDIENCE])) == ANN


def test_clocks_may_disagree_by_a_minute(verifier: OidcVerifier) -> None:
    now = int(time.time())
    assert verifier.verify(token(K1, exp=now - 30)) == ANN
    assert verifier.verify(token(K1, nbf=now + 30, iat=now + 30)) == ANN


def test_a_token_without_kid_when_the_issuer_has_one_key(verifier: OidcVerifier) -> None:
    assert verifier.verify(token(K1, header={"kid": None})) == ANN


# == Tokens refused ==============================================================================


def test_an_unsigned_token(verifier: OidcVerifier) -> None:
    for alg in ("none", "None", "NONE"):
        assert "unsigned" in refused(verifier, forged({"alg": alg, "kid": "k1"}))


def test_hs256_keyed_with_the_issuers_public_key(verifier: OidcVerifier) -> None:
    """The classic confusion: the public key (which anyone has) used as an HMAC secret."""
    for secret in (K1.public_pem(), json.dumps(K1.jwk()).encode()):
        attack = forged({"alg": "HS256", "typ": "JWT", "kid": "k1"}, secret)
        assert "shared-secret algorithm (HS256)" in refused(verifier, attack)


def test_an_algorithm_outside_the_list(verifier: OidcVerifier) -> None:
    message = refused(verifier, forged({"alg": "XX999-" + "a" * 40, "kid": "k1"}, b"s"))
    assert "an algorithm Koers does not accept" in message
    assert "XX999" not in message


def test_a_signature_by_another_key(verifier: OidcVerifier) -> None:
    impostor = Signer("k1", name="impostor")
    assert "does not verify" in refused(verifier, token(impostor))


def test_an_altered_token(verifier: OidcVerifier) -> None:
    head, _, signature = token(K1).split(".")
    other_payload = token(K1, sub="bob-0002").split(".")[1]
    assert "does not verify" in refused(verifier, f"{head}.{other_payload}.{signature}")


def test_an_algorithm_that_does_not_fit_the_key(tmp_path: Path) -> None:
    ec_key = Signer("e1", "ES256")
    path = write_jwks(tmp_path / "jwks.json", K1.jwk(alg="RS256"), ec_key.jwk())
    verifier = OidcVerifier(settings(path))
    # an EC signature naming the RSA key, and an RS384 token for a key published as RS256
    assert "does not fit" in refused(verifier, token(ec_key, header={"kid": "k1"}))
    assert "does not fit" in refused(verifier, token(Signer("k1", "RS384")))


def test_an_unknown_kid(verifier: OidcVerifier) -> None:
    assert "unknown 'kid'" in refused(verifier, token(K2))


def test_no_kid_when_the_issuer_has_several_keys(tmp_path: Path) -> None:
    verifier = OidcVerifier(settings(write_jwks(tmp_path / "j.json", K1.jwk(), K2.jwk())))
    assert "names no key" in refused(verifier, token(K1, header={"kid": None}))


def test_an_expired_token(verifier: OidcVerifier) -> None:
    assert "expired" in refused(verifier, token(K1, exp=int(time.time()) - 120))


def test_a_token_not_valid_yet(verifier: OidcVerifier) -> None:
    assert "not valid yet" in refused(verifier, token(K1, nbf=int(time.time()) + 120))


def test_a_token_for_another_audience(verifier: OidcVerifier) -> None:
    assert "another application" in refused(verifier, token(K1, aud="other-app"))


def test_a_token_from_another_issuer(verifier: OidcVerifier) -> None:
    for issuer in ("https://evil.example.test", ISSUER + "/"):
        assert f"not issued by the sign-on issuer {ISSUER}" in refused(
            verifier, token(K1, iss=issuer)
        )


@pytest.mark.parametrize("claim", ["sub", "exp", "iss", "aud"])
def test_a_token_lacking_a_required_claim(verifier: OidcVerifier, claim: str) -> None:
    assert f"lacks the {claim!r} claim" in refused(verifier, token(K1, **{claim: None}))


def test_an_empty_or_non_string_subject(verifier: OidcVerifier) -> None:
    assert "no subject" in refused(verifier, token(K1, sub=""))
    assert "malformed" in refused(verifier, token(K1, sub=42))


def test_malformed_claims(verifier: OidcVerifier) -> None:
    assert "malformed" in refused(verifier, token(K1, exp="tomorrow"))


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "koers_0123456789abcdef",
        "not a token at all",
        "a.b",
        "a.b.c.d",
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.sig=nature",
        "bm90IGpzb24.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",  # the header is not JSON
        "W10.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",  # the header is a JSON list
        "eyJhbGciOiJSUzI1NiIsImtpZCI6NDJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",  # kid 42
        "eyJraWQiOiJrMSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",  # no alg
        "a" * 20_000 + ".b.c",
    ],
)
def test_garbage(verifier: OidcVerifier, garbage: str) -> None:
    assert "not a well-formed JWT" in refused(verifier, garbage)


def test_a_signed_payload_that_is_not_json(verifier: OidcVerifier) -> None:
    signed = jwt.PyJWS().encode(b"not json", K1.key, algorithm="RS256", headers={"kid": "k1"})
    assert "malformed" in refused(verifier, signed)


# == Email =======================================================================================


def test_an_email_the_token_says_is_unverified_is_left_out(jwks_file: Path) -> None:
    by_subject = OidcVerifier(settings(jwks_file, match="subject"))
    for unverified in (False, "false", "False"):
        identity = by_subject.verify(token(K1, email_verified=unverified))
        assert identity == Identity(ISSUER, "ann-0001", None)
    by_email = OidcVerifier(settings(jwks_file))
    assert "no verified email" in refused(by_email, token(K1, email_verified=False))


def test_an_email_without_email_verified_is_kept(verifier: OidcVerifier) -> None:
    assert verifier.verify(token(K1, email_verified=None)) == ANN


def test_matching_by_email_needs_one(jwks_file: Path, verifier: OidcVerifier) -> None:
    assert "no verified email" in refused(verifier, token(K1, email=None))
    by_subject = OidcVerifier(settings(jwks_file, match="subject"))
    assert by_subject.verify(token(K1, email=None)).email is None


# == The issuer's keys ===========================================================================


def test_symmetric_and_encryption_keys_in_the_set_are_ignored(tmp_path: Path) -> None:
    secret = {"kty": "oct", "kid": "s1", "k": "c2VjcmV0"}
    path = write_jwks(tmp_path / "j.json", secret, K2.jwk(use="enc"), K1.jwk())
    verifier = OidcVerifier(settings(path))
    assert verifier.verify(token(K1)) == ANN
    assert "unknown 'kid'" in refused(verifier, token(Signer("s1")))
    assert "unknown 'kid'" in refused(verifier, token(K2))
    assert "shared-secret" in refused(verifier, forged({"alg": "HS256", "kid": "s1"}, b"secret"))


def test_keys_from_a_url_are_read_once_and_cached(server: JwksServer, ticks: Ticks) -> None:
    verifier = OidcVerifier(settings(server.url), ticks)
    assert server.reads == 0  # lazily
    for _ in range(3):
        assert verifier.verify(token(K1)) == ANN
    assert server.reads == 1
    ticks.now += FRESH_SECONDS
    assert verifier.verify(token(K1)) == ANN
    assert server.reads == 2


def test_a_rotated_key_is_picked_up_by_reading_again(server: JwksServer, ticks: Ticks) -> None:
    verifier = OidcVerifier(settings(server.url), ticks)
    assert verifier.verify(token(K1)) == ANN
    server.keys = [K2.jwk()]  # the issuer rotates
    ticks.now += RETRY_SECONDS - 1  # too soon after the last read: a made-up kid is refused
    assert "unknown 'kid'" in refused(verifier, token(K2))
    assert server.reads == 1
    ticks.now += 1
    assert verifier.verify(token(K2)) == ANN
    assert server.reads == 2
    assert "unknown 'kid'" in refused(verifier, token(K1))  # K1 is retired, and no read again
    assert server.reads == 2


def test_an_unreadable_set_keeps_the_keys_read_before(server: JwksServer, ticks: Ticks) -> None:
    verifier = OidcVerifier(settings(server.url), ticks)
    assert verifier.verify(token(K1)) == ANN
    server.status = 500
    ticks.now += FRESH_SECONDS
    assert verifier.verify(token(K1)) == ANN
    assert server.reads == 2


def test_an_issuer_answering_with_an_error(server: JwksServer, ticks: Ticks) -> None:
    server.status = 503
    verifier = OidcVerifier(settings(server.url), ticks)
    message = refused(verifier, token(K1))
    assert message.startswith(f"the sign-on issuer's keys could not be read from {server.url}")
    assert "HTTP 503" in message
    refused(verifier, token(K1))  # the failure is repeated, not retried at once
    assert server.reads == 1
    server.status = 200
    ticks.now += RETRY_SECONDS
    assert verifier.verify(token(K1)) == ANN


def test_an_unreachable_issuer(ticks: Ticks) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/jwks"
    verifier = OidcVerifier(settings(url), ticks)
    message = refused(verifier, token(K1))
    assert message.startswith("the sign-on issuer's keys could not be read from http://127.0")
    assert "KOERS_OIDC_JWKS" in message


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "No such file"),
        ("{not json", "not JSON"),
        ('{"keys": 1}', "no 'keys' list"),
        ('{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}', "no public signature key"),
    ],
)
def test_an_unusable_key_set_file(tmp_path: Path, content: str | None, reason: str) -> None:
    path = tmp_path / "jwks.json"
    if content is not None:
        path.write_text(content, "utf-8")
    message = refused(OidcVerifier(settings(path)), token(K1))
    assert message.startswith(f"the sign-on issuer's keys could not be read from {path}")
    assert reason in message


# == Routing and set-up ==========================================================================


def test_looks_like_jwt() -> None:
    assert looks_like_jwt(token(K1))
    assert looks_like_jwt(forged({"alg": "none"}))  # so it is refused as unsigned
    for other in ("koers_abc123", "", "a.b", "a.b.c.d", "a b.c.d", "a.b.c=", "a" * 20_000):
        assert not looks_like_jwt(other)


def test_sign_on_is_off_without_an_issuer(jwks_file: Path) -> None:
    assert oidc_verifier(AccessSettings()) is None
    assert isinstance(oidc_verifier(settings(jwks_file)), OidcVerifier)
    with pytest.raises(ConfigurationError, match="set all three"):
        OidcVerifier(AccessSettings(oidc_issuer=ISSUER))


def test_keys_only_over_https_or_from_the_loopback() -> None:
    with pytest.raises(ConfigurationError, match="https://"):
        OidcVerifier(settings("http://sso.example.test/jwks"))
    OidcVerifier(settings("https://sso.example.test/jwks"))  # nothing is read yet

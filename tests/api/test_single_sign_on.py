"""Single sign-on through the whole API: a bearer JWT from the configured OpenID Connect issuer
signs in the directory's person with that e-mail, and the event records the issuer and
subject; a JWT signed by another key, for another audience or from another issuer proves
nobody (401) and records nothing. Keys are made by the test (tests/access/issuer.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.access.issuer import ISSUER, Signer, forged, settings, token, write_jwks
from tests.api.test_api_support import Api, objective, running_api

TRUSTED = Signer("trusted-1", "RS256", name="trusted")
STRANGER = Signer("trusted-1", "RS256", name="stranger")  # same key id, another key
TESTER = {"email": "tester@example.org", "sub": "tester-0001"}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    jwks = write_jwks(tmp_path_factory.mktemp("sso") / "jwks.json", TRUSTED.jwk())
    with running_api(access=settings(Path(jwks))) as running:
        yield running


def post(api: Api, jwt: str, body: dict[str, Any]) -> Any:
    return api.client.post(
        "/objectives", json=body, headers={"Authorization": f"Bearer {jwt}", "koers-test-raw": "1"}
    )


def test_a_valid_jwt_signs_in_the_person_with_its_email_and_is_recorded(api: Api) -> None:
    answer = post(api, token(TRUSTED, **TESTER), objective(owner="tester"))
    assert answer.status_code == 201, answer.text
    (event,) = api.koers.event_history(answer.json()["id"])
    assert event.actor == "tester"
    assert event.credential == f"oidc:{ISSUER}#tester-0001"


@pytest.mark.parametrize(
    "case",
    ["another key", "another audience", "another issuer", "expired", "unknown person",
     "hmac with the public key", "no signature"],
)  # fmt: skip
def test_a_jwt_that_proves_nobody_is_401_and_records_nothing(api: Api, case: str) -> None:
    jwt = {
        "another key": lambda: token(STRANGER, **TESTER),
        "another audience": lambda: token(TRUSTED, aud="someone-else", **TESTER),
        "another issuer": lambda: token(TRUSTED, iss="https://evil.example.test", **TESTER),
        "expired": lambda: token(TRUSTED, exp=1_000_000_000, iat=999_999_000, **TESTER),
        "unknown person": lambda: token(TRUSTED, email="nobody@example.org", sub="x"),
        "hmac with the public key": lambda: forged(
            {"alg": "HS256", "kid": TRUSTED.kid}, TRUSTED.public_pem(), **TESTER
        ),
        "no signature": lambda: forged({"alg": "none", "kid": TRUSTED.kid}, None, **TESTER),
    }[case]()
    before = api.koers.recorder.max_notification_id()
    answer = post(api, jwt, objective(owner="tester"))
    assert answer.status_code == 401, answer.text
    assert answer.json()["type"] == "/problems/unauthenticated"
    assert jwt not in answer.text
    assert api.koers.recorder.max_notification_id() == before

"""Who is who over HTTP: tokens, the actor from the credential, the command table's ``may``,
reads that hide what one may not see, login links and the session's CSRF check. On a real
nats-server (the seeded directory of ``test_api_support``: ann leads the company, bram is a
member of platform, cem of sales, dora leads sales)."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import httpx
import orjson

from ledger.domain import COMMANDS, Token
from ledger.domain._clock import frozen_at, now
from tests.api.test_api_support import (
    WORKERS,
    Api,
    decide,
    decision,
    key_result,
    objective,
)


def raw(api: Api, method: str, path: str, **options: Any) -> httpx.Response:
    """A request exactly as given (no token added for the test's shorthand)."""
    headers = {"koers-test-raw": "1", **options.pop("headers", {})}
    return api.client.request(method, path, headers=headers, **options)


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def status(response: httpx.Response) -> tuple[int, str]:
    body = response.json() if response.content else {}
    return response.status_code, str(body.get("type", "")).removeprefix("/problems/")


# -- tokens ------------------------------------------------------------------------------------


def test_a_request_without_a_valid_credential_is_401_and_records_nothing(api: Api) -> None:
    before = api.koers.recorder.max_notification_id()
    revoked = api.koers.create_token(actor="admin", handle="bram")
    api.koers.revoke_token(revoked.id, actor="admin", reason="lost")
    with frozen_at(now() - timedelta(days=2)):
        expired = api.koers.create_token(actor="admin", handle="bram", expires="1h").secret
    assert revoked.secret is not None
    assert expired is not None
    unsigned = ".".join(base64.urlsafe_b64encode(orjson.dumps(part)).decode().rstrip("=")
                        for part in ({"alg": "none"}, {"sub": "ann"})) + "."  # fmt: skip
    cases = {
        "missing": {},
        "not bearer": {"Authorization": "Basic YW5uOmFubg=="},
        "malformed": bearer("koers_nonsense"),
        "wrong secret": bearer(revoked.secret[:-4] + "AAAA"),
        "revoked": bearer(revoked.secret),
        "expired": bearer(expired),
        "jwt alg none": bearer(unsigned),
    }
    after_setup = api.koers.recorder.max_notification_id()
    for name, headers in cases.items():
        answer = raw(api, "POST", "/objectives", json=objective(), headers=headers)
        assert status(answer) == (401, "unauthenticated"), name
        assert answer.headers["www-authenticate"].startswith("Bearer")
        sent = headers.get("Authorization", " ").split(" ", 1)[1]
        assert not sent or sent not in answer.text, name  # the credential is never echoed
    assert api.koers.recorder.max_notification_id() == after_setup > (before or 0)


def test_a_read_only_token_reads_and_never_writes(api: Api) -> None:
    secret = api.koers.create_token(actor="admin", handle="ann", read_only=True).secret
    assert secret is not None
    assert raw(api, "GET", "/objectives", headers=bearer(secret)).status_code == 200
    answer = raw(api, "POST", "/objectives", json=objective(), headers=bearer(secret))
    assert status(answer) == (403, "forbidden")


def test_the_recorded_actor_is_the_tokens_person_whatever_koers_actor_says(api: Api) -> None:
    mine = bearer(api.tokens.of("ann"))
    refused = raw(api, "POST", "/objectives", json=objective(),
                  headers={**mine, "Koers-Actor": "bram"})  # fmt: skip
    assert status(refused) == (403, "forbidden")
    made = raw(api, "POST", "/objectives", json=objective(), headers=mine).json()
    history = api.get(f"/objectives/{made['id']}/history").json()
    token_id = api.tokens.of("ann").split("_")[1]
    assert [(h["actor"], h["credential"]) for h in history] == [
        ("ann", f"token:{token_id[:8]}-{token_id[8:12]}-{token_id[12:16]}-"
                f"{token_id[16:20]}-{token_id[20:]}")]  # fmt: skip


def test_a_service_token_made_to_act_for_others_records_both(api: Api) -> None:
    answer = api.post("/prompts", {"to": "bram", "question": "What did you learn?"},
                      **{**WORKERS})  # fmt: skip
    assert answer.status_code == 201, answer.text
    secret = api.tokens.of("koers")
    for_bram = raw(api, "POST", f"/prompts/{answer.json()['id']}/answer",
                   json={"answer": "A lot"},
                   headers={**bearer(secret), "Koers-Actor": "bram"})  # fmt: skip
    assert for_bram.status_code == 200, for_bram.text
    history = api.client.get(f"/prompts/{answer.json()['id']}/history",
                             headers={"Koers-Actor": "bram"}).json()  # fmt: skip
    assert history[-1]["actor"] == "bram"
    assert history[-1]["credential"].endswith(" by koers")


def test_only_an_admin_makes_a_token_for_someone_else(api: Api) -> None:
    own = api.post("/tokens", {"handle": "bram", "label": "laptop"}, **{"Koers-Actor": "bram"})
    assert own.status_code == 201
    assert own.json()["secret"].startswith("koers_")
    other = api.post("/tokens", {"handle": "cem"}, **{"Koers-Actor": "bram"})
    assert status(other) == (403, "forbidden")
    service = api.post("/tokens", {"handle": "bram", "on_behalf": True}, **{"Koers-Actor": "bram"})
    assert status(service) == (403, "forbidden")
    by_admin = api.post("/tokens", {"handle": "cem"}, **{"Koers-Actor": "admin"})
    assert by_admin.status_code == 201
    stored = api.koers.load(Token, by_admin.json()["id"])
    assert by_admin.json()["secret"] not in str(vars(stored))  # only its hash is kept


# -- the command table's may -------------------------------------------------------------------


def test_writes_follow_the_roles_the_command_table_declares(api: Api) -> None:
    platform = api.ok("/objectives", objective(), **{"Koers-Actor": "ann"})["id"]  # lead above
    assert status(api.post("/objectives", objective(), **{"Koers-Actor": "bram"})) == (
        403, "forbidden")  # fmt: skip  # a member, not a lead
    kr = api.ok("/key-results", key_result(platform), **{"Koers-Actor": "ann"})["id"]
    check_in = {"value": "5", "confidence": 6}
    assert api.post(f"/key-results/{kr}/check-ins", check_in, **{"Koers-Actor": "bram"}
                    ).status_code == 200  # fmt: skip  # its owner
    assert api.post(f"/key-results/{kr}/check-ins", check_in, **{"Koers-Actor": "bob"}
                    ).status_code == 200  # fmt: skip  # a member of its team
    outsider = api.post(f"/key-results/{kr}/check-ins", check_in, **{"Koers-Actor": "cem"})
    assert status(outsider) == (404, "not-found")  # another team's: not even shown
    viewer = api.post(f"/key-results/{kr}/retarget", {"target": "3", "reason": "x"},
                      **{"Koers-Actor": "bram"})  # fmt: skip
    assert status(viewer) == (403, "forbidden")
    assert "lead" in viewer.json()["detail"]
    d = api.ok("/decisions", decision(decider="bob"), **{"Koers-Actor": "ann"})["id"]
    not_decider = api.post(f"/decisions/{d}/decide", decide(), **{"Koers-Actor": "ann"})
    assert status(not_decider) == (403, "forbidden")
    assert "decider" in not_decider.json()["detail"]
    assert api.post(f"/decisions/{d}/decide", decide(), **{"Koers-Actor": "bob"}
                    ).status_code == 200  # fmt: skip
    unknown = api.post("/objectives", objective(team="platfrom"), **{"Koers-Actor": "ann"})
    assert status(unknown)[0] == 422
    assert "platform" in unknown.json()["detail"]


def test_every_command_declares_who_may_issue_it() -> None:
    assert all(command.may for command in COMMANDS.values())


# -- reads -------------------------------------------------------------------------------------


def test_reads_hide_what_one_may_not_see(api: Api) -> None:
    oid = api.ok("/objectives", objective(team="sales"), **{"Koers-Actor": "dora"})["id"]
    for path in (f"/objectives/{oid}", f"/objectives/{oid}/history"):
        hidden = api.client.get(path, headers={"Koers-Actor": "bram"})
        assert status(hidden) == (404, "not-found"), path
        assert api.client.get(path, headers={"Koers-Actor": "ann"}).status_code == 200  # above
        assert api.client.get(path, headers={"Koers-Actor": "audrey"}).status_code == 200
    listed = api.client.get("/objectives", headers={"Koers-Actor": "bram"}).json()
    assert oid not in {o["id"] for o in listed["items"]}
    team_view = api.client.get("/teams/sales/okr-progress", params={"period": "2026-Q4"},
                               headers={"Koers-Actor": "bram"})  # fmt: skip
    assert status(team_view) == (404, "not-found")
    for who in ("bram", "ann", "admin", "audrey"):
        for view in ("prompt-inbox", "reflection-journal"):
            other = api.client.get(f"/people/cem/{view}", headers={"Koers-Actor": who})
            assert status(other) == (404, "not-found"), (who, view)
    audit = api.client.get("/audit/checkpoint", headers={"Koers-Actor": "bram"})
    assert status(audit) == (403, "forbidden")


# -- the web page: login links, the session cookie, CSRF ---------------------------------------


def test_a_login_link_works_once_and_the_session_is_a_strict_http_only_cookie(api: Api) -> None:
    link = api.koers.issue_login_link("bram", actor="admin", minutes=15)
    first = raw(api, "GET", "/login", params={"token": link}, follow_redirects=False)
    assert first.status_code == 303
    cookie = first.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    again = raw(api, "GET", "/login", params={"token": link}, follow_redirects=False)
    assert again.status_code == 401
    assert "used already" in again.text
    unknown = raw(api, "GET", "/login", params={"token": "koers-link_" + "0" * 32 + "_x"})
    assert unknown.status_code == 401
    with frozen_at(now() - timedelta(hours=1)):
        old = api.koers.issue_login_link("bram", actor="admin", minutes=15)
    assert raw(api, "GET", "/login", params={"token": old}).status_code == 401


def test_a_form_post_with_the_session_needs_its_csrf_token(api: Api) -> None:
    link = api.koers.issue_login_link("ann", actor="admin", minutes=15)
    with httpx.Client(base_url=api.url, timeout=30) as browser:
        browser.get("/login", params={"token": link})
        assert "koers_session" in browser.cookies
        no_token = browser.post("/objectives", json=objective())
        assert status(no_token) == (403, "forbidden")
        cross_site = browser.post("/objectives", json=objective(),
                                  headers={"Origin": "https://attacker.example"})  # fmt: skip
        assert status(cross_site) == (403, "forbidden")
        sessions = api.app.state.sessions
        principal, _ = sessions.read(browser.cookies["koers_session"].strip('"'))
        csrf = sessions.csrf(principal)
        made = browser.post("/objectives", json=objective(), headers={"X-CSRF-Token": csrf})
        assert made.status_code == 201, made.text


def test_the_roles_table_in_docs_security_is_the_command_tables() -> None:
    from pathlib import Path

    from ledger.domain.access import roles_table

    text = (Path(__file__).parents[2] / "docs" / "security.md").read_text("utf-8")
    assert roles_table(COMMANDS.values()) in text

"""``GET /calendar/<link>.ics`` as a calendar app fetches it (no credential but the address),
and ``koers calendar-link`` beside a running ``koers serve``: on a real nats-server."""

from __future__ import annotations

import re
import signal
from datetime import timedelta
from pathlib import Path

import httpx
import icalendar

from tests.api.test_api_support import TODAY, Api, decide, decision
from tests.commandline import free_port, run_koers, serving

REVIEW_ON = TODAY + timedelta(days=40)


def fetch(api: Api, link: str, method: str = "GET") -> httpx.Response:
    """As a calendar app asks: no Authorization, no cookie."""
    return api.client.request(method, f"/calendar/{link}.ics", headers={"koers-test-raw": "1"})


def test_a_feed_is_served_to_its_address_alone_as_icalendar(api: Api) -> None:
    made = api.ok("/decisions", decision(decide_by=str(TODAY)))
    api.ok(f"/decisions/{made['id']}/decide", decide(review_on=str(REVIEW_ON)))
    link = api.koers.issue_calendar_link("bram", actor="admin")  # a member of platform
    answer = fetch(api, link)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(answer.content)
    [review] = [e for e in calendar.walk("VEVENT")
                if str(e["uid"]) == f"decision-{made['id']}-review@koers"]  # fmt: skip
    assert review["dtstart"].dt == REVIEW_ON
    assert str(review["url"]) == f"{api.url}/decision/{made['id']}"
    assert "\r\nX-PUBLISHED-TTL:PT1H\r\n" in answer.text  # apps fetch it again hourly
    assert "\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in answer.text
    assert fetch(api, link, "HEAD").status_code == 200
    assert fetch(api, link).content == answer.content  # nothing changed: the same feed


def test_a_revoked_or_replaced_address_is_404_and_never_echoed(api: Api) -> None:
    first = api.koers.issue_calendar_link("cem", actor="admin")
    second = api.koers.issue_calendar_link("cem", actor="admin")
    assert fetch(api, second).status_code == 200
    replaced = fetch(api, first)
    assert replaced.status_code == 404
    assert first.split("_", 2)[2] not in replaced.text  # the random part (it may hold "_")
    assert "koers calendar-link" in replaced.json()["detail"]
    api.koers.revoke_calendar_link("cem", actor="admin")
    revoked = fetch(api, second)
    assert revoked.status_code == 404
    assert second.split("_", 2)[2] not in revoked.text
    assert fetch(api, "koers-cal_0_nothing").status_code == 404


def test_koers_calendar_link_prints_an_address_koers_serve_answers(tmp_path: Path) -> None:
    env = {"KOERS_DATA_DIR": str(tmp_path), "NATS_URL": "", "KOERS_USER": "ann",
           "KOERS_API_PORT": str(free_port())}  # fmt: skip
    assert run_koers("people", "add", "ann", "--name", "Ann", env=env).returncode == 0
    with serving(env=env) as serve:
        assert serve.stderr is not None
        assert serve.stderr.readline().startswith("koers: serving LEDGER")
        made = run_koers("calendar-link", "ann", env=env)
        assert made.returncode == 0, made.stderr
        url = made.stdout.strip()
        assert re.fullmatch(rf"http://127\.0\.0\.1:{env['KOERS_API_PORT']}/calendar/"
                            r"koers-cal_[0-9a-f]{32}_[\w-]+\.ics", url), url  # fmt: skip
        with httpx.Client(timeout=30) as client:
            answer = client.get(url)
            assert answer.status_code == 200, answer.text
            assert icalendar.Calendar.from_ical(answer.content)["x-wr-calname"] == "Koers: ann"
            revoked = run_koers("calendar-link", "ann", "--revoke", env=env)
            assert revoked.returncode == 0, revoked.stderr
            assert "revoked" in revoked.stdout
            assert client.get(url).status_code == 404
        again = run_koers("calendar-link", "ann", "--revoke", env=env)
        assert again.returncode == 2
        assert "revoked already" in again.stderr
        serve.send_signal(signal.SIGINT)
        assert serve.wait(timeout=30) == 0


def test_a_person_makes_and_ends_their_own_link_through_the_api_and_no_one_elses(
    api: Api,
) -> None:
    made = api.client.post("/people/bram/calendar-link", headers={"koers-actor": "bram"})
    assert made.status_code == 201, made.text
    url = made.json()["url"]
    assert made.json()["person"] == "bram"
    link = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert url == f"{api.url}/calendar/{link}.ics"
    assert api.koers.calendar_holder(link) == "bram"
    assert fetch(api, link).status_code == 200
    others = api.client.post("/people/cem/calendar-link", headers={"koers-actor": "bram"})
    assert others.status_code == 403, others.text
    assert "admin" in others.json()["detail"]
    assert api.koers.calendar_holder(link) == "bram"  # the refusal changed nothing
    ended = api.client.delete("/people/bram/calendar-link", headers={"koers-actor": "bram"})
    assert ended.status_code == 204, ended.text
    assert fetch(api, link).status_code == 404
    again = api.client.delete("/people/bram/calendar-link", headers={"koers-actor": "bram"})
    assert again.status_code == 422, again.text
    assert "revoked already" in again.json()["detail"]
    by_admin = api.client.post("/people/cem/calendar-link", headers={"koers-actor": "admin"})
    assert by_admin.status_code == 201, by_admin.text

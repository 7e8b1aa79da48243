"""My notification settings in the browser: shown as `GET /people/<me>/notify` shows them,
changed through the command's form (an error in place for a bad value)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import icalendar

from tests.web.conftest import Site, Visit


def test_set_my_digest_and_quiet_hours_through_the_form(
    site: Site, signed_in: Callable[..., Visit]
) -> None:
    visit = signed_in("hanna", expect=[422])
    page = visit.page
    page.goto(f"{site.url}/me/notifications")
    page.get_by_label("Quiet").fill("25:00-08:00")
    page.get_by_role("button", name="Set how a person is told").click()
    field = page.locator(".field.invalid")
    assert "25:00" in field.inner_text(), field.inner_text()
    page.get_by_label("Quiet").fill("19:00-08:00")
    page.get_by_label("Digest").select_option("daily")
    page.get_by_role("button", name="Set how a person is told").click()
    page.wait_for_url("**/me/notifications?done=*")
    shown = page.locator("table").inner_text()
    assert "19:00-08:00" in shown
    assert "daily" in shown
    with site.api("hanna") as api:
        settings = api.get("/people/hanna/notify")
    assert settings.status_code == 200, settings.text
    assert settings.json()["quiet"] == "19:00-08:00"
    assert settings.json()["digest"] == "daily"


def test_make_and_end_my_calendar_link_on_the_page(
    site: Site, signed_in: Callable[..., Visit]
) -> None:
    visit = signed_in("hanna")
    visit.expect(422)
    page = visit.page
    page.goto(f"{site.url}/me/notifications")
    page.get_by_role("button", name="Make a new calendar link").click()
    link = page.locator("#calendar-link").inner_text()
    assert link.startswith(f"{site.url}/calendar/koers-cal_"), link
    with httpx.Client(timeout=30) as client:  # as a calendar app: the address alone
        feed = client.get(link)
        assert feed.status_code == 200, feed.text
        assert icalendar.Calendar.from_ical(feed.content)["x-wr-calname"] == "Koers: hanna"
        page.goto(f"{site.url}/me/notifications")  # shown once: not on the page again
        assert page.locator("#calendar-link").count() == 0
        page.get_by_role("button", name="End my calendar link").click()
        assert "ended" in page.locator("p.notice").inner_text()
        assert client.get(link).status_code == 404
    page.get_by_role("button", name="End my calendar link").click()  # nothing left to end
    assert "revoked already" in page.locator("p.banner").inner_text()

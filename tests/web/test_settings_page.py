"""My notification settings in the browser: shown as `GET /people/<me>/notify` shows them,
changed through the command's form (an error in place for a bad value)."""

from __future__ import annotations

from collections.abc import Callable

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

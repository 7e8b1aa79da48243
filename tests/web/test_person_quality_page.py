"""A decider's calibration page (issue #14, item 7): ``/person/<handle>/quality`` shows the
numbers of ``GET /people/<handle>/decision-quality`` to the person and to leads of their
teams, and is not found for anyone else. In the browser, on the demo."""

from __future__ import annotations

from collections.abc import Callable

from tests.web.conftest import Site, Visit

PLATFORM = ("bram", "chen", "dewi", "emre", "fleur")


def test_a_lead_sees_a_members_calibration_as_the_api_gives_it(
    site: Site, signed_in: Callable[..., Visit]
) -> None:
    read = {who: site.api_get("ann", f"/people/{who}/decision-quality") for who in PLATFORM}
    who, numbers = max(read.items(), key=lambda item: item[1]["reviews"])
    assert numbers["reviews"] > 0  # the demo has reviewed decisions of platform's people
    page = signed_in("ann").page  # the platform lead
    page.goto(f"{site.url}/person/{who}/quality")
    assert page.get_by_role("heading", level=1).inner_text() == f"Decision quality of {who}"
    assert page.locator("#reviews").inner_text() == str(numbers["reviews"])
    assert f"Brier score {numbers['brier_score']}" in page.locator("#my-brier").inner_text()
    page.goto(f"{site.url}/person/{who}/quality?period=1999-Q1")  # a quarter without any
    assert page.locator("#reviews").inner_text() == "0"


def test_someone_elses_calibration_is_not_found_to_others(
    site: Site, signed_in: Callable[..., Visit]
) -> None:
    visit = signed_in("gijs")  # the sales lead: bram is not in sales
    visit.expect(404)
    answer = visit.page.goto(f"{site.url}/person/bram/quality")
    assert answer is not None
    assert answer.status == 404
    assert "leads of their teams" in visit.page.locator("main").inner_text()

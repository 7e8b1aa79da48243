"""A retro's page shows a pulse only from 3 responses (issue #14), as ``GET /retros/<id>``
does: in the browser, on the demo."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from tests.web.conftest import Site, Visit


def _held_today(site: Site, period: str) -> str:
    """A new retro of platform, held today (as ann); its id."""
    today = datetime.now(UTC).date().isoformat()
    with site.api("ann") as api:
        retro = api.post("/retros", json={"team": "platform", "period": period,
                                           "held_on": today})  # fmt: skip
    assert retro.status_code == 201, retro.text
    return str(retro.json()["id"])


def test_a_retros_page_hides_a_pulse_from_fewer_than_three_responses(
    site: Site, signed_in: Callable[..., Visit]
) -> None:
    retro = _held_today(site, "Pulse check")
    with site.api("ann") as api:
        for dimension, score, responses in (("workload", "1.5", 1), ("safety", "4.5", 4)):
            pulse = api.post(f"/retros/{retro}/pulse",
                             json={"dimension": dimension, "score": score,
                                   "responses": responses})  # fmt: skip
            assert pulse.status_code == 200, pulse.text
    page = signed_in("ann").page
    page.goto(f"{site.url}/retro/{retro}")
    rows = {row.locator("th").inner_text(): row.locator("td").first.inner_text()
            for row in page.locator("#pulse tbody tr").all()}  # fmt: skip
    assert rows == {"safety": "4.5", "workload": "too few responses to show"}


def test_members_give_their_own_scores_through_the_retros_form(
    site: Site, signed_in: Callable[..., Visit]
) -> None:
    here = f"{site.url}/retro/{_held_today(site, 'Own scores')}"
    shown: list[dict[str, tuple[str, str]]] = []
    for who, score in (("bram", "2"), ("chen", "4"), ("dewi", "5")):
        page = signed_in(who).page
        page.goto(here)
        page.locator("summary", has_text="Give your own team-health pulse score").click()
        form = page.locator("details[open] form").first
        form.get_by_label("Dimension").fill("focus")
        form.get_by_label("Score").fill(score)
        form.get_by_role("button", name="Give your own team-health pulse score").click()
        page.wait_for_url("**?done=give_pulse_score*")
        shown.append({row.locator("th").inner_text(): (row.locator("td").first.inner_text(),
                                                       row.locator("td.responses").inner_text())
                      for row in page.locator("#pulse tbody tr").all()})  # fmt: skip
    # by hand: 2 people, hidden; then (2 + 4 + 5) / 3 = 3.666… -> 3.67 from 3
    assert shown[1] == {"focus": ("too few responses to show", "2")}
    assert shown[2] == {"focus": ("3.67", "3")}

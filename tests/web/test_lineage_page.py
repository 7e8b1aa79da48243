"""Lineage in the browser, on the demo (issue #14, item 5): platform's retro item "Incident
reviews slip..." leads to its action item, the time-to-restore retarget that cites it and the
reviewed CI-runners decision; the retro page links each item to what came of it (and its action
item form picks the item it came from), the decision page shows what led to it; another
team's person is told it is not there."""

from __future__ import annotations

from collections.abc import Callable

from ledger.demo._ids import action_item_id, decision_id, retro_id, retro_item_id
from tests.web.conftest import Site, Visit

ITEM = retro_item_id("platform-mid", 4)
ACTION = action_item_id("platform-mid", "review-definition-of-done")


def test_the_lineage_page_of_a_retro_item_shows_what_came_of_it(
    site: Site, signed_in: Callable[..., Visit]
) -> None:
    page = signed_in("ann").page
    page.goto(f"{site.url}/lineage-of/{ITEM}")
    assert page.locator("h1").inner_text().startswith("Incident reviews slip")
    came = page.locator("#lineage-descendants li").all_inner_texts()
    assert came[0].startswith("action item: Agree a definition of done for incident reviews")
    assert any(t.startswith("key result: Restore service within 60 minutes") for t in came)
    assert any(t.startswith("decision: ") and "reviewed (outcome" in t for t in came)
    assert page.locator("#lineage-ancestors").count() == 0  # nothing led to a retro item
    kinds = page.locator("#lineage-links tbody td:nth-child(3)").all_inner_texts()
    assert {"retro.action", "key_result.retarget", "decision.link"} <= set(kinds)
    page.locator("#lineage-descendants a", has_text="Agree a definition of done").click()
    page.wait_for_url(f"**/retro/{retro_id('platform-mid')}#action-{ACTION}")


def test_the_retro_and_decision_pages_link_their_lineage(
    site: Site, signed_in: Callable[..., Visit]
) -> None:
    page = signed_in("dewi").page
    page.goto(f"{site.url}/retro/{retro_id('platform-mid')}")
    item = page.locator(f"#item-{ITEM}")
    assert (
        item.locator("a", has_text="what came of it").get_attribute("href") == f"/lineage-of/{ITEM}"
    )
    action = page.locator(f"#action-{ACTION}")
    assert action.locator("a", has_text="an item").get_attribute("href") == f"#item-{ITEM}"
    offered = page.locator("select[name=from_item] option").all_text_contents()  # folded
    assert offered[0] == "–"
    assert any(t.startswith("Incident reviews slip") for t in offered)  # the form picks it
    page.goto(f"{site.url}/decision/{decision_id('ci-runners')}")
    led = page.locator("#lineage-ancestors li").all_inner_texts()
    assert any(t.startswith("key result: Restore service within 60 minutes") for t in led)
    assert any(t.startswith("retro item: Incident reviews slip") for t in led)


def test_another_teams_person_is_told_it_is_not_there(
    site: Site, signed_in: Callable[..., Visit]
) -> None:
    visit = signed_in("gijs")  # sales
    visit.expect(404)
    response = visit.page.goto(f"{site.url}/lineage-of/{ITEM}")
    assert response is not None
    assert response.status == 404
    assert "not yours to see" in visit.page.locator("main").inner_text()

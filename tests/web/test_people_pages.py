"""My day, the retro pages and the delegation pages in the browser, on the demo: what waits
for a person shows for that person only and its action works in place; a retro run end to
end through its forms (hold, items, pulse, actions, done, carry over) shows in the page and
in the API; a delegation's check-in and its acknowledgement; another team's pages are not
found; nothing scrolls sideways at phone width."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.web.conftest import Site, Visit
from tests.web.pages import DELEGATION, RETRO


def _day(days: int = 0) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


def _act(scope: Any, action: str, fields: dict[str, str]) -> None:
    """Open the folded form ``action`` inside ``scope``, fill it in and send it."""
    scope.locator("summary", has_text=action).click()
    form = scope.locator("details[open] form").first
    for label, value in fields.items():
        box = form.get_by_label(label)
        if box.evaluate("e => e.tagName") == "SELECT":
            box.select_option(value)
        else:
            box.fill(value)
    form.get_by_role("button", name=action).click()


def test_my_day_shows_a_retro_action_to_its_owner_and_marks_it_done_in_place(
    site: Site, signed_in: Callable[..., Visit]
) -> None:
    retro = site.api_post("ann", "/retros", {"team": "platform", "period": "Week 49",
                                             "held_on": _day()})  # fmt: skip
    text = f"Write the on-call handbook ({uuid.uuid4().hex[:6]})"
    added = site.api_post("ann", f"/retros/{retro['id']}/action-items",
                          {"text": text, "owner": "chen", "due": _day(7)})  # fmt: skip
    item = added["item_id"]
    bram = signed_in("bram").page
    assert bram.locator(f"#action-{item}").count() == 0  # not bram's
    page = signed_in("chen").page
    card = page.locator(f"#action-{item}")
    assert text in card.inner_text()
    _act(card, "Mark an open action item done", {"Note": "In the wiki."})
    page.wait_for_url("**/?done=complete_action_item*")
    assert page.get_by_role("status").first.inner_text().startswith("Done: Mark")
    assert page.locator(f"#action-{item}").count() == 0
    follow = site.api_get("chen", "/teams/platform/retro-follow-through")
    assert [i["state"] for i in follow["all_items"] if i["item_id"] == item] == ["done"]


def _retro_of(page: Any) -> str:
    return str(page.url.split("/retro/", 1)[1].split("?", 1)[0])


def test_a_retro_end_to_end_through_the_forms(site: Site, signed_in: Callable[..., Visit]) -> None:
    visit = signed_in("ann", expect=[422])
    page = visit.page
    period = f"Sprint {uuid.uuid4().hex[:5]}"
    page.goto(f"{site.url}/team/platform/retros")
    _act(page, "Record a retro of a team", {"Period": period, "Held on": _day(-2)})
    page.wait_for_url("**/team/platform/retros?done=hold_retro*")
    page.get_by_role("link", name=period).first.click()
    page.wait_for_url("**/retro/*")
    first = _retro_of(page)
    _act(page, "Add an item to a retro", {"Kind": "to_improve", "Text": "Reviews <b>wait</b>"})
    page.wait_for_url("**?done=add_retro_item*")
    assert "Reviews <b>wait</b>" in page.locator(".to_improve-items").inner_text()  # as text
    _act(page, "Record a team-health pulse score", {"Dimension": "workload", "Score": "3.5",
                                                     "Responses": "6"})  # fmt: skip
    page.wait_for_url(f"**/retro/{first}?done=record_pulse*")
    assert "3.5" in page.locator("#pulse").inner_text()
    _act(page, "Add an action item", {"Text": "Pair on reviews daily", "Owner": "chen",
                                      "Due": _day(-9)})  # fmt: skip
    field = page.locator(".field.invalid")  # refused: due before the retro, said in place
    assert "before" in field.locator(".error").inner_text(), field.inner_text()
    field.get_by_label("Due").fill(_day(5))
    page.get_by_role("button", name="Add an action item").click()
    page.wait_for_url(f"**/retro/{first}?done=add_action_item*")
    _act(page, "Add an action item", {"Text": "Agree a definition of done", "Owner": "chen",
                                      "Due": _day(5)})  # fmt: skip
    page.wait_for_url("**?done=add_action_item*")
    state = site.api_get("ann", f"/retros/{first}")
    items = {a["text"]: i for i, a in state["actions"].items()}
    _act(page.locator(f"#action-{items['Pair on reviews daily']}"),
         "Mark an open action item done", {"Note": "Daily since Monday."})  # fmt: skip
    page.wait_for_url("**?done=complete_action_item*")
    page.goto(f"{site.url}/team/platform/retros")
    _act(page, "Record a retro of a team", {"Period": period, "Held on": _day(-1)})
    page.wait_for_url("**?done=hold_retro*")
    page.goto(f"{site.url}/retro/{first}")
    _act(page.locator(f"#action-{items['Agree a definition of done']}"),
         "Carry an open action item over", {})  # fmt: skip
    page.wait_for_url(f"**/retro/{first}?done=carry_over*")
    carried = page.locator(f"#action-{items['Agree a definition of done']}")
    assert "carried over" in carried.inner_text()
    follow = site.api_get("ann", f"/teams/platform/retro-follow-through?period={period}")
    second = follow["retros"][-1]["retro_id"]
    assert [r["retro_id"] for r in follow["retros"]] == [first, second]
    assert (follow["done"], follow["open"], follow["carried_over"]) == (1, 1, 1)
    assert follow["retros"][0]["pulse"] == {"workload": "3.5"}
    assert follow["retros"][0]["to_improve"] == 1
    page.goto(f"{site.url}/retro/{second}")
    assert "carried over from" in page.locator(f"#action-{items['Agree a definition of done']}"
                                               ).inner_text()  # fmt: skip
    page.goto(f"{site.url}/team/platform/retros")  # the team's numbers are the API's
    whole = site.api_get("ann", "/teams/platform/retro-follow-through")
    for ident, key in (("items", "items"), ("open", "open"), ("done", "done"),
                       ("dropped", "dropped"), ("carried-over", "carried_over")):  # fmt: skip
        assert page.locator(f"#{ident}").inner_text() == str(whole[key]), ident
    health = page.locator("section[aria-labelledby=health-h] svg.chart > title")
    assert health.text_content() == "Health pulse of platform"
    row = page.locator("#pulse-history tr", has=page.get_by_role("link", name=period)).first
    assert "3.50" in row.inner_text()


def test_a_delegation_check_in_and_its_acknowledgement(
    site: Site, signed_in: Callable[..., Visit]
) -> None:
    title = f"Plan the <script>on-call</script> rota {uuid.uuid4().hex[:5]}"
    ann = signed_in("ann").page
    ann.goto(f"{site.url}/me/delegations")
    _act(ann, "Delegate work to one owner", {"Owner": "emre", "Title": title, "Why": "You run it",
         "Desired result": "A fair rota", "Level": "consult", "Due": _day(30)})  # fmt: skip
    ann.wait_for_url("**/me/delegations?done=delegate*")
    ann.get_by_role("link", name=title).click()
    ann.wait_for_url("**/delegation/*")
    delegation = ann.url.split("/delegation/", 1)[1]
    assert ann.locator("h1").inner_text() == title  # escaped: shown as text
    assert ann.locator("#level").inner_text() == "consult"
    emre = signed_in("emre").page
    emre.goto(f"{site.url}/delegation/{delegation}")
    _act(emre, "Check in on a delegation", {"Status": "at_risk", "Progress": "Two gaps left"})
    emre.wait_for_url(f"**/delegation/{delegation}?done=delegation_check_in*")
    check_in = emre.locator("li.card").first.get_attribute("id").removeprefix("check-in-")
    assert "Not acknowledged yet." in emre.locator(f"#check-in-{check_in}").inner_text()
    assert emre.locator(f"#check-in-{check_in} summary").count() == 0  # the delegator's to do
    emre.goto(f"{site.url}/")  # nothing to acknowledge for the owner
    assert emre.locator(f"#check-in-{check_in}").count() == 0
    ann.goto(f"{site.url}/")
    waiting = ann.locator(f"#check-in-{check_in}")
    assert title in waiting.inner_text()
    _act(waiting, "Acknowledge an owner's check-in", {"Note": "Ask kim for the gaps"})
    ann.wait_for_url("**/?done=acknowledge_check_in*")
    assert ann.locator(f"#check-in-{check_in}").count() == 0
    ann.goto(f"{site.url}/delegation/{delegation}")
    assert "Ask kim for the gaps" in ann.locator(f"#check-in-{check_in} .ack").inner_text()
    state = site.api_get("ann", f"/delegations/{delegation}")
    assert state["check_ins"][check_in]["acknowledged"] is True
    board = site.api_get("emre", "/delegation-board")
    card = next(c for o in board["owners"] for c in o["delegations"]
                if c["delegation_id"] == delegation)  # fmt: skip
    emre.goto(f"{site.url}/me/delegations")
    row = emre.locator(f"#card-{delegation}").inner_text()
    assert (card["check_ins"], card["unacknowledged"], card["last_status"]) == (1, 0, "at_risk")
    assert "at risk" in row
    assert card["due"] in row


def test_renegotiate_and_complete_a_delegation_and_drop_a_retro_action(
    site: Site, signed_in: Callable[..., Visit]
) -> None:
    made = site.api_post("ann", "/delegations", {
        "owner": "fleur", "title": "Tidy the backlog", "why": "You triage it",
        "desired_result": "Under 50 open issues", "level": "advise", "due": _day(20),
    })  # fmt: skip
    here = f"{site.url}/delegation/{made['id']}"
    fleur = signed_in("fleur").page
    fleur.goto(here)
    _act(fleur, "Renegotiate", {"Reason": "Two releases in between", "Due": _day(40)})
    fleur.wait_for_url("**?done=renegotiate*")
    assert fleur.locator("#due").inner_text() == _day(40)
    ann = signed_in("ann").page
    ann.goto(here)
    _act(ann, "Complete a delegation", {"Feedback": "Clear triage", "Feedforward": "Ask early"})
    ann.wait_for_url("**?done=complete*")
    assert "completed" in ann.locator(".lead").inner_text()
    assert ann.locator("details.action").count() == 0  # an ended delegation takes no more
    assert "Two releases in between" in ann.get_by_role("listitem").filter(
        has_text="renegotiated").inner_text()  # fmt: skip
    assert site.api_get("ann", f"/delegations/{made['id']}")["status"] == "completed"
    retro = site.api_post("ann", "/retros", {"team": "platform", "period": "Week 50",
                                             "held_on": _day()})  # fmt: skip
    action = {"text": "Retire the old wiki", "owner": "dewi", "due": _day(3)}
    item = site.api_post("ann", f"/retros/{retro['id']}/action-items", action)["item_id"]
    ann.goto(f"{site.url}/retro/{retro['id']}")
    _act(ann.locator(f"#action-{item}"), "Drop an open action item", {"Reason": "Moved"})
    ann.wait_for_url("**?done=drop_action_item*")
    assert "dropped" in ann.locator(f"#action-{item}").inner_text()
    assert site.api_get("ann", f"/retros/{retro['id']}")["actions"][item]["state"] == "dropped"


def test_another_teams_retro_and_a_delegation_not_yours_are_not_found(
    site: Site, signed_in: Callable[..., Visit]
) -> None:
    visit = signed_in("gijs")  # of the sales team
    visit.expect(404)
    for path in ("/team/platform/retros", f"/retro/{RETRO}", f"/delegation/{DELEGATION}",
                 "/retro/not-an-id"):  # fmt: skip
        answer = visit.page.goto(site.url + path)
        assert answer.status == 404, path
        assert visit.page.locator("h1").inner_text() == "Not found"
    with site.api("gijs") as api:  # as the API answers
        assert api.get(f"/retros/{RETRO}").status_code == 404
        assert api.get(f"/delegations/{DELEGATION}").status_code == 404
        assert api.get("/teams/platform/retro-follow-through").status_code == 404
    with site.api("ann") as api:  # and they are there for ann
        assert api.get(f"/retros/{RETRO}").status_code == 200

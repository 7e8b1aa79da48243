"""Every page of ``tests/web/pages.py`` in a real Chromium, at desktop and phone width: no
console error, no serious or critical axe-core violation, no horizontal scrolling at 390 px,
the security headers sent, and a screenshot of each for the tour (``make tour`` writes them
to ``docs/tour``, linked from the README; a test run keeps them in a folder of its own).
Then, once hostile titles are in the ledger, every page again: user text with ``<script>``
is shown as text and never runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.web.conftest import Site, Visit, new_tab, served_demo
from tests.web.pages import PAGES, Page

HOSTILE = "<script>alert(1)</script>"
#: What every answer carries (see ledger/api/_hardening.py and docs/security.md).
HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}
#: Scripts a page may load: ours, from our origin.
OUR_SCRIPTS = "script:not([src='/static/koers.js'])"


def file_name(page: Page) -> str:
    """``team room`` → ``team-room``: the screenshot's name in docs/tour."""
    return re.sub(r"[^a-z0-9]+", "-", page.name.lower()).strip("-")


def path_of(site: Site, page: Page, question: str) -> str:
    """The page's path with its placeholders filled from the demo (see tests/web/pages.py)."""
    path = page.path
    if "{prompt}" in path:
        assert page.handle is not None, f"{page.name}: a prompt page needs a handle"
        path = path.replace("{prompt}", site.issue_prompt(page.handle, question))
    if "{key_result}" in path:
        with site.api(page.handle or "ann") as api:
            listed = api.get("/key-results", params={"limit": 1})
        assert listed.status_code == 200, listed.text
        path = path.replace("{key_result}", listed.json()["items"][0]["id"])
    return path


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    """This module's own demo, served: the tour shows the demo as ``koers demo`` leaves it,
    not what the other page tests add to the shared one."""
    with served_demo() as served:
        yield served


@pytest.fixture
def visit_as(
    site: Site, browser: Any, signed_in: Callable[..., Visit]
) -> Iterator[Callable[..., Visit]]:
    """``visit_as(handle, phone=…)``: a tab signed in as ``handle``, or for ``None`` a tab
    that is not signed in (its console errors fail the test too)."""
    anonymous: list[Visit] = []

    def open_as(handle: str | None, *, phone: bool = False) -> Visit:
        if handle is not None:
            return signed_in(handle, phone=phone)
        anonymous.append(new_tab(browser, phone=phone))
        return anonymous[-1]

    yield open_as
    for visit in anonymous:
        visit.page.context.close()
    problems = [e for v in anonymous for e in v.unexpected()]
    assert not problems, f"the browser console reported errors: {problems}"


def serious_violations(page: Any) -> list[str]:
    """axe-core's serious and critical findings on the page as loaded, one line each."""
    found = Axe().run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def load(site: Site, visit: Visit, path: str) -> dict[str, str]:
    """Open ``path``; it answers 200 with the security headers. Its headers."""
    answer = visit.page.goto(site.url + path)
    assert answer is not None
    assert answer.status == 200, f"{path}: {answer.status}"
    headers: dict[str, str] = answer.headers
    for name, value in HEADERS.items():
        assert headers.get(name) == value, f"{path}: {name} is {headers.get(name)!r}"
    policy = headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy, policy
    assert "frame-ancestors 'none'" in policy, policy
    assert "unsafe-inline" not in policy, policy
    return headers


@pytest.mark.parametrize("page", PAGES, ids=file_name)
def test_the_page_is_accessible_fits_a_phone_and_is_photographed(
    site: Site, visit_as: Callable[..., Visit], page: Page, tour: Path
) -> None:
    page = Page(*page)  # a plain tuple appended to PAGES works too
    path = path_of(site, page, "What went well this week, and what would you change?")
    tour.mkdir(parents=True, exist_ok=True)
    for phone, width in ((False, "desktop"), (True, "phone")):
        visit = visit_as(page.handle, phone=phone)
        load(site, visit, path)
        # the picture first: the tour shows the page even when a check below fails
        visit.page.screenshot(path=tour / f"{file_name(page)}-{width}.png", full_page=True)
        assert serious_violations(visit.page) == [], f"{page.name} at {width} width"
        if phone:
            assert visit.page.evaluate("document.documentElement.scrollWidth <= 390"), (
                f"{page.name} scrolls sideways at 390 px: "
                f"{visit.page.evaluate('document.documentElement.scrollWidth')} px wide"
            )


@pytest.fixture(scope="module")
def hostile_objective(site: Site) -> str:
    """An objective in the demo quarter whose title is a script (made once, through the API)."""
    with site.api("ann") as api:
        made = api.post("/objectives", json={
            "team": "platform", "period": "2026-Q3", "title": HOSTILE, "owner": "ann",
            "why": f"{HOSTILE} must show as text",
        })  # fmt: skip
    assert made.status_code == 201, made.text
    objective_id: str = made.json()["id"]
    return objective_id


@pytest.mark.parametrize("page", PAGES, ids=file_name)
def test_user_text_with_a_script_shows_as_text(
    site: Site, visit_as: Callable[..., Visit], page: Page, hostile_objective: str
) -> None:
    page = Page(*page)
    path = path_of(site, page, f"{HOSTILE} asked as a question")
    visit = visit_as(page.handle)
    dialogs: list[str] = []

    def dismissed(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    visit.page.on("dialog", dismissed)
    load(site, visit, path)
    shown = visit.page.locator("body").inner_text()
    assert visit.page.locator(OUR_SCRIPTS).count() == 0, f"{page.name} has a script of others"
    assert dialogs == []
    if "{prompt}" in page.path:  # the page shows its prompt's question: the hostile one
        assert HOSTILE in shown
    if "alert(1)" in visit.page.content():  # wherever the title is in the page, it is text
        assert HOSTILE in shown, f"{page.name} has the title, but not as text"

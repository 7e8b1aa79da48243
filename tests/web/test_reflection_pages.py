"""Sign-in, and the reflection pages end to end in the browser: answer a prompt, find it in
the journal; a refused form shows the field's error in place; other people's prompts are
not found; a form from another site or without its CSRF token is refused."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx

from tests.web.conftest import Site, Visit


def _prompt(site: Site, handle: str) -> dict[str, Any]:
    """A new prompt for ``handle``, as the API's inbox shows it."""
    question = f"What did you learn this week, {handle}? ({uuid.uuid4().hex[:6]})"
    prompt_id = site.issue_prompt(handle, question)
    inbox = site.api_get(handle, f"/people/{handle}/prompt-inbox", min_position=site.written)
    found: dict[str, Any] = next(p for p in inbox["open"] if p["prompt_id"] == prompt_id)
    return found


def test_a_browser_without_a_session_is_shown_how_to_sign_in(site: Site) -> None:
    page = httpx.get(site.url + "/reflection")
    assert page.status_code == 200
    assert "koers login-link" in page.text
    assert "Reflection" not in page.text
    used = httpx.get(site.url + "/login?token=koers-link_nothing_here")
    assert used.status_code == 401


def test_answer_a_prompt_and_find_it_in_the_journal(
    site: Site, signed_in: Callable[..., Visit]
) -> None:
    prompt = _prompt(site, "chen")
    page = signed_in("chen").page
    page.goto(f"{site.url}/prompt/{prompt['prompt_id']}")
    assert page.locator("h1").inner_text() == prompt["question"]
    answer = "Stuck on the cutover window; we move the check-in to Tuesdays."
    page.get_by_role("textbox", name="Answer").fill(answer)
    page.get_by_role("button", name="Answer a prompt").click()
    page.wait_for_url(f"**/prompt/{prompt['prompt_id']}?done=answer_prompt*")
    assert page.get_by_role("status").first.inner_text().startswith("Done: Answer a prompt")
    assert answer in page.locator("blockquote").inner_text()
    page.goto(f"{site.url}/reflection")
    assert answer in page.locator(f"#journal-{prompt['prompt_id']}").inner_text()
    with site.api("chen") as api:
        journal = api.get("/people/chen/reflection-journal").json()
    assert answer in [e["answer"] for e in journal["entries"]]


def test_a_refused_form_shows_the_error_next_to_the_field(
    site: Site, signed_in: Callable[..., Visit]
) -> None:
    prompt = _prompt(site, "ann")
    visit = signed_in("ann", expect=[422])
    page = visit.page
    page.goto(f"{site.url}/prompt/{prompt['prompt_id']}")
    page.locator("summary", has_text="Snooze").click()
    page.get_by_role("textbox", name="Until").fill(
        "1999-01-01T09:00"
    )  # the domain refuses before 2000
    page.get_by_role("button", name="Snooze").click()
    field = page.locator(".field.invalid")
    assert "2000" in field.locator(".error").inner_text(), field.inner_text()
    assert page.get_by_role("textbox", name="Until").get_attribute("aria-invalid") == "true"
    with site.api("ann") as api:  # nothing was recorded
        still = [p["prompt_id"] for p in api.get("/people/ann/prompt-inbox").json()["open"]]
    assert prompt["prompt_id"] in still


def test_another_persons_prompt_is_not_found(site: Site, signed_in: Callable[..., Visit]) -> None:
    prompt = _prompt(site, "chen")
    visit = signed_in("ann")
    visit.expect(404)
    page = visit.page
    answer = page.goto(f"{site.url}/prompt/{prompt['prompt_id']}")
    assert answer is not None
    assert answer.status == 404
    assert prompt["question"] not in page.content()


def test_a_form_without_its_csrf_token_or_from_another_site_is_refused(
    site: Site, signed_in: Callable[..., Visit]
) -> None:
    prompt = _prompt(site, "ann")
    page = signed_in("ann").page
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    form = {"subject": prompt["prompt_id"], "answer": "forged", "next": "/"}
    with httpx.Client(base_url=site.url, cookies=cookies) as client:
        missing = client.post("/do/answer_prompt", data=form)
        assert missing.status_code == 403
        assert "CSRF" in missing.text
        elsewhere = client.post("/do/answer_prompt", data=form,
                                headers={"Origin": "https://evil.example"})  # fmt: skip
        assert elsewhere.status_code == 403
    with site.api("ann") as api:
        journal = api.get("/people/ann/reflection-journal").json()
    assert "forged" not in [e["answer"] for e in journal["entries"]]

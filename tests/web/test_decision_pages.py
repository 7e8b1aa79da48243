"""The decision log, a decision's page and decision quality in the browser, on the demo: the
log's filters list what the API lists; a decision goes open → option → inform → decide →
review through the forms, each step on the page and in the API; "what we knew then" leaves
out what came after the call; the quality numbers are the API's; another team's pages are
not found; nothing is wider than a phone."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from ledger.web._decisions import LOG_PAGE
from tests.commandline import run_koers
from tests.web.conftest import Site, Visit
from tests.web.pages import APPROVED, DECISION_PAGES, REVIEWED, SCORED


def _listed(page: Any) -> set[str]:
    """The ids of the decisions the log shows."""
    return set(
        page.locator("#decision-log tbody tr").evaluate_all("rs => rs.map(r => r.dataset.id)")
    )


def test_the_log_filters_list_what_the_api_lists(
    site: Site, signed_in: Callable[..., Visit]
) -> None:
    page = signed_in("ann").page
    everything = site.api_get("ann", "/decisions?limit=1000")["items"]
    page.goto(f"{site.url}/decision-log")
    page.locator("#filter-team").select_option("platform")
    page.locator("#filter-status").select_option("decided")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/decision-log?team=platform*status=decided*")
    decided = site.api_get("ann", "/decisions?team=platform&status=decided")["items"]
    assert decided
    assert _listed(page) == {d["id"] for d in decided}
    page.goto(f"{site.url}/decision-log?door=one_way&information=80_and_above")
    expected = {d["id"] for d in everything
                if d["reversibility"] == "one_way" and d["information_level"] >= 80}  # fmt: skip
    assert expected
    assert _listed(page) == expected
    page.goto(f"{site.url}/decision-log?review=due&decider=ann")
    today = datetime.now(UTC).date().isoformat()
    due = {d["id"] for d in everything if d["status"] == "decided" and d["decider"] == "ann"
           and d["review_on"] <= today}  # fmt: skip
    assert due
    assert _listed(page) == due
    assert page.locator("#log-count").inner_text().startswith(f"{len(due)} of {len(everything)}")


def _submit(page: Any, summary: str, values: dict[str, str], button: str = "") -> None:
    """Open the folded form ``summary``, fill ``values`` (by input name), send it."""
    page.locator("summary", has_text=summary).click()
    form = page.locator("details[open] form").last
    for name, value in values.items():
        field = form.locator(f'[name="{name}"]')
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    form.get_by_role("button", name=button or summary).click()


def test_open_inform_decide_and_review_through_the_forms(
    site: Site, signed_in: Callable[..., Visit]
) -> None:
    visit = signed_in("ann", expect=[422])
    page = visit.page
    question = f"Move the build to a bigger runner? ({uuid.uuid4().hex[:6]})"
    page.goto(f"{site.url}/decision-log?team=platform")
    today = datetime.now(UTC).date()
    soon = (today + timedelta(days=20)).isoformat()
    _submit(page, "Open a decision", {
        "question": question, "options[0].key": "a", "options[0].title": "Bigger runner",
        "options[1].key": "b", "options[1].title": "Cache better",
        "criteria[0].name": "speed", "criteria[0].weight": "3", "risk.likelihood": "2",
        "risk.impact": "2", "reversibility": "two_way", "information_level": "50",
        "decider": "ann", "consulted": "bram", "decide_by": soon,
    })  # fmt: skip
    page.wait_for_url("**/decision-log?team=platform&done=open_decision*")
    page.get_by_role("link", name=question).click()
    ident = page.url.rsplit("/", 1)[-1]
    assert page.locator("h1").inner_text() == question

    _submit(page, "Put another option on the table",
            {"option.key": "c", "option.title": "Split the build"})  # fmt: skip
    page.wait_for_url(f"**/decision/{ident}?done=add_option*")
    assert "Split the build" in page.locator("#options").inner_text()
    _submit(page, "Record that you know more",
            {"information_level": "85", "note": "A spike measured both"})  # fmt: skip
    page.wait_for_url(f"**/decision/{ident}?done=update_information*")
    assert "A spike measured both" in page.locator("#information").inner_text()
    state = site.api_get("ann", f"/decisions/{ident}")
    assert (state["information_level"], [o["key"] for o in state["options"]]) == (
        85,
        ["a", "b", "c"],
    )

    call = {"chosen": "c", "rationale": "Halves the time", "confidence": "0.7",
            "expected_outcome": "Builds under 10 min", "review_on": "2001-01-01"}  # fmt: skip
    _submit(page, "Make the decision", call)  # a review day in the past: refused in place
    error = page.locator(".field.invalid")
    assert "before the decision" in error.locator(".error").inner_text(), error.inner_text()
    assert page.locator('[name="review_on"]').get_attribute("aria-invalid") == "true"
    assert site.api_get("ann", f"/decisions/{ident}")["status"] == "open"
    page.locator('[name="review_on"]').fill(today.isoformat())
    page.get_by_role("button", name="Make the decision").click()
    page.wait_for_url(f"**/decision/{ident}?done=decide*")
    assert page.locator("#confidence").inner_text() == "70 %"
    state = site.api_get("ann", f"/decisions/{ident}")
    assert (state["status"], state["chosen"], Decimal(state["confidence"])) == (
        "decided", "c", Decimal("0.7"))  # fmt: skip

    _submit(page, "Review a decided decision", {
        "outcome_quality": "4", "process_quality": "3", "as_expected": "yes",
        "what_happened": "Builds take 8 minutes now", "lessons": "Measure first",
    })  # fmt: skip
    page.wait_for_url(f"**/decision/{ident}?done=review_decision*")
    assert "Builds take 8 minutes now" in page.locator("#the-review").inner_text()
    history = site.api_get("ann", f"/decisions/{ident}/history")
    assert [h["type"] for h in history][-3:] == [
        "decision.information_updated", "decision.made", "decision.reviewed"]  # fmt: skip
    shown = page.locator("#history tbody tr").evaluate_all("rs => rs.map(r => +r.dataset.version)")
    assert shown == [h["version"] for h in history]

    page.locator("#then-switch").click()  # what we knew then: up to the call, no review
    page.wait_for_url(f"**/decision/{ident}?then=1")
    assert page.locator("#then").is_visible()
    assert page.locator("#the-review").count() == 0
    assert "Not reviewed yet" in page.locator("#review-h + p").inner_text()
    assert page.locator("#status").inner_text() == "decided"
    types = page.locator("#history tbody td:nth-child(2)").all_inner_texts()
    assert types[-1] == "decision.made"
    assert "decision.reviewed" not in types
    assert page.locator("form.command").count() == 0  # no forms on the past
    made = next(h["position"] for h in history if h["type"] == "decision.made")
    page.goto(f"{site.url}/decision/{ident}?position={made}")  # the same, as of its position
    assert page.locator("#the-review").count() == 0
    assert "at position" in page.locator(".banner.past").inner_text()
    assert page.locator("#confidence").inner_text() == "70 %"


def test_user_text_is_shown_as_text(site: Site, signed_in: Callable[..., Visit]) -> None:
    question = "<script>alert('x')</script> Rename the team?"
    with site.api("ann") as api:
        opened = api.post("/decisions", json={
            "team": "platform", "question": question,
            "options": [{"key": "a", "title": "<b>yes</b>"}],
            "reversibility": "two_way", "information_level": 40, "decider": "ann",
            "decide_by": (datetime.now(UTC).date() + timedelta(days=5)).isoformat()})  # fmt: skip
    assert opened.status_code == 201, opened.text
    page = signed_in("ann").page
    page.goto(f"{site.url}/decision/{opened.json()['id']}")
    assert page.locator("h1").inner_text() == question
    assert "<b>yes</b>" in page.locator("#options").inner_text()
    page.goto(f"{site.url}/decision-log?team=platform")
    assert page.get_by_role("link", name=question).count() == 1


def test_the_proof_state_and_links_are_the_apis(
    site: Site, signed_in: Callable[..., Visit]
) -> None:
    signed = run_koers("audit", "checkpoint", env=site.env, timeout=120)
    assert signed.returncode == 0, signed.stderr
    page = signed_in("ann").page
    page.goto(f"{site.url}/decision/{REVIEWED}")
    proof = page.locator("#proof").inner_text()
    history = site.api_get("ann", f"/decisions/{REVIEWED}/history")
    assert proof.startswith("Covered by checkpoint "), proof
    assert int(proof.split()[3].rstrip(",")) >= max(h["position"] for h in history)
    assert f"each of its {len(history)} events" in proof
    links = site.api_get("ann", f"/decisions/{REVIEWED}")["links"]
    assert {link["kind"] for link in links} == {"key_result"}
    titles = [site.api_get("ann", f"/key-results/{link['target_id']}")["title"] for link in links]
    assert page.locator("#links a").all_inner_texts() == titles


def test_quality_numbers_are_the_apis(site: Site, signed_in: Callable[..., Visit]) -> None:
    page = signed_in("ann").page
    page.goto(f"{site.url}/team/platform/quality?period=2026-Q3")
    quality = site.api_get("ann", "/teams/platform/decision-quality?period=2026-Q3")
    shown = {k: page.locator(f"#q-{k}").inner_text() for k in ("decisions", "decided", "brier")}
    assert shown == {"decisions": str(quality["decisions"]), "decided": str(quality["decided"]),
                     "brier": quality["brier_score"]}  # fmt: skip
    grid = page.locator("#grid tbody td").all_inner_texts()
    g = quality["grid"]
    cells = ("good_process_good_outcome", "good_process_bad_outcome",
             "bad_process_good_outcome", "bad_process_bad_outcome")  # fmt: skip
    assert grid == [str(g[k]) for k in cells]
    rows = page.locator("#time-to-decide tbody tr").all_inner_texts()
    assert [r.split("\t")[2:4] for r in rows] == [
        [str(t["decided"]), t["mean_days"] or "–"] for t in quality["time_to_decide"]]  # fmt: skip
    assert (page.locator("svg.calibration title").text_content() or "").startswith("Calibration")
    assert quality["brier_score"] in (page.locator("svg.calibration desc").text_content() or "")


def test_my_calibration_is_over_my_reviewed_decisions(
    site: Site, signed_in: Callable[..., Visit]
) -> None:
    """gijs's Brier score worked out from the API: each decision he decided that was
    reviewed, its stated confidence against whether it went as expected."""
    squares = []
    for d in site.api_get("gijs", "/decisions?decider=gijs&limit=1000")["items"]:
        history = site.api_get("gijs", f"/decisions/{d['id']}/history")
        reviews = [h["fields"] for h in history if h["type"] == "decision.reviewed"]
        if reviews:
            outcome = 1 if reviews[-1]["as_expected"] else 0
            squares.append((Decimal(d["confidence"]) - outcome) ** 2)
    assert squares
    brier = (sum(squares) / len(squares)).quantize(Decimal("0.0001"))
    page = signed_in("gijs").page
    page.goto(f"{site.url}/me/quality")
    assert page.locator("#my-brier").inner_text() == (
        f"Brier score {brier} over {len(squares)} reviewed decisions (0 is perfect; always "
        f"saying 50 % scores 0.25)."
    )


def test_another_teams_decision_and_quality_are_not_found(
    site: Site, signed_in: Callable[..., Visit]
) -> None:
    visit = signed_in("gijs")  # the sales lead
    visit.expect(404)
    page = visit.page
    question = site.api_get("ann", f"/decisions/{REVIEWED}")["question"]
    for path in (f"/decision/{REVIEWED}", f"/decision/{REVIEWED}?then=1",
                 "/team/platform/quality?period=2026-Q3", "/decision/not-an-id"):  # fmt: skip
        answer = page.goto(site.url + path)
        assert answer is not None
        assert answer.status == 404, path
        assert question not in page.content()
    page.goto(f"{site.url}/decision-log")
    assert REVIEWED not in _listed(page)
    assert question not in page.content()


def test_the_pages_fit_a_phone(site: Site, signed_in: Callable[..., Visit]) -> None:
    page = signed_in("ann", phone=True).page
    for name, path, _ in DECISION_PAGES:
        page.goto(site.url + path)
        assert page.evaluate("document.documentElement.scrollWidth <= 390"), name


def test_a_long_log_is_read_page_by_page_newest_first(
    site: Site, signed_in: Callable[..., Visit]
) -> None:
    # A team of its own with one lead, so that no one else's log grows (ann is an admin,
    # not an auditor: she does not see a team she has no place in).
    site.team_of_its_own("paging", "pia")
    decide_by = (datetime.now(UTC).date() + timedelta(days=14)).isoformat()
    with site.api("pia") as api:
        opened = []
        for n in range(LOG_PAGE + 5):
            body = {"team": "paging", "question": f"Paging question {n}?", "decider": "pia",
                    "options": [{"key": "a", "title": "Yes"}, {"key": "b", "title": "No"}],
                    "reversibility": "two_way", "information_level": 60,
                    "decide_by": decide_by}  # fmt: skip
            answer = api.post("/decisions", json=body)
            assert answer.status_code == 201, answer.text
            opened.append(answer.json()["id"])
    page = signed_in("pia").page
    page.goto(f"{site.url}/decision-log")
    rows = page.locator("#decision-log tbody tr").evaluate_all("rs => rs.map(r => r.dataset.id)")
    assert rows == opened[::-1][:LOG_PAGE]  # the newest first
    count = page.locator("#log-count").inner_text()
    assert count.startswith(f"{LOG_PAGE + 5} of {LOG_PAGE + 5} decisions · 1–{LOG_PAGE} shown")
    assert page.get_by_role("link", name="Newer decisions").count() == 0
    page.get_by_role("link", name="Older decisions").click()
    page.wait_for_url("**/decision-log?page=2")
    rows = page.locator("#decision-log tbody tr").evaluate_all("rs => rs.map(r => r.dataset.id)")
    assert rows == opened[::-1][LOG_PAGE:]
    assert page.get_by_role("link", name="Older decisions").count() == 0
    page.goto(f"{site.url}/decision-log?page=99")  # past the end: the last page
    assert "page 2 of 2" in page.locator("nav.paging").inner_text()
    page.goto(f"{site.url}/decision-log?status=decided&page=abc")  # filters and nonsense
    assert page.locator("#log-count").inner_text().startswith(f"0 of {LOG_PAGE + 5} decisions")


def test_the_matrix_positions_and_approval_are_the_apis(
    site: Site, signed_in: Callable[..., Visit]
) -> None:
    """The demo's ci-runners: the weighted totals per option and per person as the API gives
    them, the verdict (the call went to the runner-up), chen's disagree-and-commit; the
    managed-postgres decision: its recommender, and its approver's approval."""
    page = signed_in("ann").page
    page.goto(f"{site.url}/decision/{SCORED}")
    matrix = site.api_get("ann", f"/decisions/{SCORED}")["matrix"]
    for option, total in matrix["totals"].items():
        row = page.locator(f'#matrix tr[data-option="{option}"]')
        assert row.locator("td.total").inner_text() == total
        assert [c.strip() for c in row.locator("td").all_inner_texts()[2:]] == [
            matrix["per_person"][p][option] for p in sorted(matrix["per_person"])]  # fmt: skip
    verdict = page.locator("#matrix-verdict").inner_text()
    assert verdict == ("The chosen option self-hosted was not the highest-scored: hosted-bigger "
                       "scored higher."), verdict  # fmt: skip
    positions = page.locator("#positions").inner_text()
    assert "chen: disagree and commit — I would pay for bigger hosted runners" in positions
    assert "ann: agree" in positions
    page.goto(f"{site.url}/decision/{APPROVED}")
    assert page.locator("#recommender").inner_text() == "chen"
    assert page.locator("#approver").inner_text() == "gijs: approved"


def test_score_approve_and_decide_through_the_forms(
    site: Site, signed_in: Callable[..., Visit]
) -> None:
    """bram (consulted) scores through the form; ann's call is refused while fleur, the
    approver, has not approved (the page says so, nothing is recorded); fleur approves
    through the form, and the call goes through."""
    question = f"Cache the build on a shared disk? ({uuid.uuid4().hex[:6]})"
    with site.api("ann") as api:
        opened = api.post("/decisions", json={
            "team": "platform", "question": question,
            "options": [{"key": "a", "title": "Shared disk"}, {"key": "b", "title": "No"}],
            "criteria": [{"name": "speed", "weight": "3"}, {"name": "risk", "weight": "1"}],
            "reversibility": "two_way", "information_level": 60, "decider": "ann",
            "consulted": ["bram"], "approver": "fleur",
            "decide_by": (datetime.now(UTC).date() + timedelta(days=5)).isoformat()})  # fmt: skip
    assert opened.status_code == 201, opened.text
    ident = opened.json()["id"]
    score = "Score one option against one criterion"
    bram = signed_in("bram").page
    bram.goto(f"{site.url}/decision/{ident}")
    assert bram.locator("#matrix-none").count() == 1
    _submit(bram, score, {"option": "a", "criterion": "speed", "score": "4", "note": "Fast"})
    bram.wait_for_url(f"**/decision/{ident}?done=score_decision*")
    incomplete = bram.locator('#matrix tr[data-option="a"] td').all_inner_texts()
    assert incomplete == ["–", "0", "incomplete"]  # risk not scored yet
    _submit(bram, score, {"option": "a", "criterion": "risk", "score": "2"})
    bram.wait_for_url(f"**/decision/{ident}?done=score_decision*")
    assert bram.locator('#matrix tr[data-option="a"] td.total').inner_text() == "14.00"
    assert site.api_get("ann", f"/decisions/{ident}")["matrix"]["totals"]["a"] == "14.00"

    ann = signed_in("ann", expect=[422]).page
    ann.goto(f"{site.url}/decision/{ident}")
    assert "fleur: not approved yet" in ann.locator("#approver").inner_text()
    today = datetime.now(UTC).date().isoformat()
    call = {"chosen": "a", "rationale": "Fast enough", "confidence": "0.6",
            "expected_outcome": "Builds under 5 min", "review_on": today}  # fmt: skip
    _submit(ann, "Make the decision", call)
    assert "fleur is this decision's approver" in ann.locator(".banner").inner_text()
    assert site.api_get("ann", f"/decisions/{ident}")["status"] == "open"

    fleur = signed_in("fleur").page
    fleur.goto(f"{site.url}/decision/{ident}")
    _submit(fleur, "Approve an open decision as its approver", {"note": "Go"})
    fleur.wait_for_url(f"**/decision/{ident}?done=approve_decision*")
    assert fleur.locator("#approver").inner_text() == "fleur: approved"
    ann.goto(f"{site.url}/decision/{ident}")
    _submit(ann, "Make the decision", call)
    ann.wait_for_url(f"**/decision/{ident}?done=decide*")
    assert (
        ann.locator("#matrix-verdict").inner_text() == "The chosen option a was the highest-scored."
    )

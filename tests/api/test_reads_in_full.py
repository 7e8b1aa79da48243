"""Issue #14's reads over HTTP: ``GET /decisions/{id}`` and ``GET /delegations/{id}`` answer the
whole record and the OpenAPI document describes it; a retro's pulse from fewer than 3
responses is not shown; ``as_of`` with its offset's ``+`` sent unencoded (a query string
decodes it as a space) is read as the ``+`` it was, and what is still not a time says to encode
``+`` as ``%2B``. On a real nats-server."""

from __future__ import annotations

from datetime import timedelta, timezone

from ledger.domain import Objective
from tests.api.test_api_support import (
    Api,
    decide,
    decision,
    delegation,
    objective,
    retro,
)


def test_a_decision_answers_its_reasons_review_and_end(api: Api) -> None:
    d = api.ok("/decisions", decision())["id"]
    api.ok(f"/decisions/{d}/information", {"information_level": 85, "note": "Asked around"})
    api.ok(f"/decisions/{d}/decide", decide())
    api.ok(f"/decisions/{d}/review", {"outcome_quality": 4, "process_quality": 3,
                                      "as_expected": True, "what_happened": "Fine",
                                      "lessons": "Decide sooner"})  # fmt: skip
    api.ok(f"/decisions/{d}/reverse", {"reason": "Market moved"})
    state = api.get(f"/decisions/{d}").json()
    assert (state["rationale"], state["expected_outcome"], state["confidence"]) == (
        "Fastest", "Weekly releases", "0.7")  # fmt: skip
    review = state["review"]
    assert (review["outcome_quality"], review["process_quality"], review["as_expected"],
            review["what_happened"], review["lessons"], review["by"]) == (
        4, 3, True, "Fine", "Decide sooner", "ann")  # fmt: skip
    assert state["information_updates"][0]["note"] == "Asked around"
    assert state["reversal"]["reason"] == "Market moved"
    assert state["supersession"] is None
    listed = api.get("/decisions").json()["items"]
    assert any(item["id"] == d for item in listed)  # the list still fits its model


def test_a_delegation_answers_each_check_ins_progress_and_note(api: Api) -> None:
    dg = api.ok("/delegations", delegation())["id"]
    api.ok(f"/delegations/{dg}/check-ins", {"status": "at_risk", "progress": "2 of 3 roles"},
           **{"Koers-Actor": "bram"})  # fmt: skip
    [check_in] = api.get(f"/delegations/{dg}").json()["check_ins"]
    api.ok(f"/delegations/{dg}/check-ins/{check_in}/acknowledge", {"note": "Ask finance"})
    state = api.get(f"/delegations/{dg}").json()
    shown = state["check_ins"][check_in]
    assert shown["progress"] == "2 of 3 roles"
    assert (shown["acknowledgement"]["note"], shown["acknowledgement"]["by"]) == (
        "Ask finance", "ann")  # fmt: skip


def test_the_openapi_document_describes_the_complete_records(api: Api) -> None:
    schemas = api.get("/openapi.json").json()["components"]["schemas"]
    assert {"rationale", "expected_outcome", "review", "reversal", "scores", "positions",
            "approval", "matrix", "recommender", "approver"} <= set(
        schemas["DecisionState"]["properties"])  # fmt: skip
    assert {"totals", "per_person", "highest", "tie", "chosen_was_highest"} <= set(
        schemas["MatrixState"]["properties"])  # fmt: skip
    assert {"progress", "acknowledgement"} <= set(
        schemas["DelegationCheckInState"]["properties"])  # fmt: skip


def test_a_pulse_from_fewer_than_three_responses_is_not_shown(api: Api) -> None:
    r = api.ok("/retros", retro())["id"]
    api.ok(f"/retros/{r}/pulse", {"dimension": "workload", "score": "1.5", "responses": 1})
    api.ok(f"/retros/{r}/pulse", {"dimension": "safety", "score": "4.5", "responses": 3})
    shown = api.get(f"/retros/{r}").json()
    assert shown["pulse"] == {"workload": "too few responses to show", "safety": "4.5"}
    [listed] = [item for item in api.get("/retros").json()["items"] if item["id"] == r]
    assert listed["pulse"] == shown["pulse"]
    brief = api.get("/teams/platform/retro-follow-through").json()
    [point] = [p for p in brief["retros"] if p["retro_id"] == r]
    assert point["pulse"]["workload"] == "too few responses to show"


def test_an_unencoded_plus_reads_as_the_offset_it_was(api: Api) -> None:
    made = api.ok("/objectives", objective())["id"]
    then = (api.koers.load(Objective, made).created_on + timedelta(minutes=1)).replace(
        microsecond=0
    )
    plus = then.astimezone(timezone(timedelta(hours=2))).isoformat(timespec="seconds")
    assert plus.endswith("+02:00")
    encoded = api.client.get(f"/objectives/{made}", params={"as_of": plus})
    assert encoded.status_code == 200, encoded.text
    for raw in (plus, plus.replace("+", " "), plus.replace("+", "%20")):
        answer = api.client.get(f"/objectives/{made}?as_of={raw}")  # "+" as a browser sends it
        assert answer.status_code == 200, (raw, answer.text)
        assert answer.json() == encoded.json()
    period = objective()["period"]
    view = api.client.get(f"/teams/platform/okr-progress?period={period}&as_of={plus}")
    assert view.status_code == 200, view.text
    assert view.json()["at"] == then.isoformat(timespec="microseconds")  # the same moment


def test_what_is_still_not_a_time_says_to_encode_the_plus(api: Api) -> None:
    made = api.ok("/objectives", objective())["id"]
    wrong = api.client.get(f"/objectives/{made}?as_of=2026-11-28T09:03:44+0x:00")
    assert wrong.status_code == 422
    assert "encode + as %2B" in wrong.json()["detail"]

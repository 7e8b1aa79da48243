"""A decider's calibration over a period (issue #14, item 7): ``GET
/people/{handle}/decision-quality`` answers the person themself (every team) and leads of
their teams or of a team above (the teams that lead leads), 404 to anyone else. On a real
nats-server; the directory of tests/api/test_api_support.py (ann leads company; tester leads
platform, where bram is a member; dora leads sales)."""

from __future__ import annotations

from typing import Any

from tests.api.test_api_support import TODAY, Api, decide, decision, quarter


def _reviewed(api: Api, team: str, opener: str, confidence: str, went: bool) -> None:
    by = {"Koers-Actor": opener}
    d = api.ok("/decisions", decision(team=team, decider="bram"), **by)["id"]
    bram = {"Koers-Actor": "bram"}
    api.ok(f"/decisions/{d}/decide", decide(confidence=confidence, review_on=str(TODAY)), **bram)
    review = {"outcome_quality": 4, "process_quality": 4, "as_expected": went,
              "what_happened": "w"}  # fmt: skip
    api.ok(f"/decisions/{d}/review", review, **bram)


def _read(api: Api, who: str, **params: Any) -> Any:
    return api.client.get("/people/bram/decision-quality", params=params,
                          headers={"Koers-Actor": who})  # fmt: skip


def test_the_decider_and_leads_above_read_it_others_do_not(api: Api) -> None:
    _reviewed(api, "platform", "tester", "0.8", True)  # (0.8 - 1)² = 0.04
    _reviewed(api, "sales", "dora", "0.4", True)  # (0.4 - 1)² = 0.36
    period = quarter(TODAY)
    own = _read(api, "bram", period=period)
    assert own.status_code == 200, own.text
    assert (own.json()["reviews"], own.json()["brier_score"]) == (2, "0.2000")  # 0.40 / 2
    for lead in ("ann", "tester"):  # ann leads company (both teams below), tester platform
        seen = _read(api, lead, period=period).json()
        wanted = (2, "0.2000") if lead == "ann" else (1, "0.0400")
        assert (seen["reviews"], seen["brier_score"]) == wanted, lead
    for other in ("bob", "cem", "dora"):  # a member beside him; sales, where he is not
        refused = _read(api, other, period=period)
        assert refused.status_code == 404, (other, refused.text)
        assert "leads of their teams" in refused.json()["detail"]
    assert _read(api, "bram", period="2026-Q5").status_code == 422
    assert _read(api, "bram").json()["reviews"] == 2  # every quarter


def test_the_openapi_document_lists_it(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    route = paths["/people/{person}/decision-quality"]["get"]
    assert {p["name"] for p in route["parameters"]} >= {"person", "period", "as_of"}

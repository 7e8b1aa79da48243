"""``GET /lineage/{id}`` and the lineage fields over HTTP (issue #14, item 5): a retro item's
id in the receipt, ``from_item`` and ``cites`` checked (422 naming the field), the graph both
ways with each link's kind, time and actor, read-your-writes through ``Koers-Min-Position``,
"as of" a position, and only what the reader may see."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.test_api_support import (
    TODAY,
    Api,
    decision,
    delegation,
    key_result,
    objective,
    retro,
    running_api,
)

LEAD = {"Koers-Actor": "tester"}  # the lead of platform


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    views: Path = tmp_path_factory.mktemp("lineage") / "views.sqlite3"
    with running_api(views=views) as running:
        yield running


@pytest.fixture(scope="module")
def story(api: Api) -> dict[str, Any]:
    """A platform retro item -> action item -> decision link -> key result retarget, and a
    delegation by ann (lead of the company) to cem (sales) citing the action item."""
    ids: dict[str, Any] = {}
    ids["retro"] = api.ok("/retros", retro(), **LEAD)["id"]
    item = api.ok(f"/retros/{ids['retro']}/items", {"kind": "to_improve", "text": "Slow CI"},
                  **LEAD)  # fmt: skip
    ids["item"] = item["item_id"]
    action = {"text": "Cache the builds", "owner": "bram", "due": str(TODAY),
              "from_item": ids["item"]}  # fmt: skip
    ids["action"] = api.ok(f"/retros/{ids['retro']}/action-items", action, **LEAD)["item_id"]
    ids["decision"] = api.ok("/decisions", decision(decider="tester"), **LEAD)["id"]
    link = {"kind": "action_item", "target_id": ids["retro"], "item_id": ids["action"]}
    api.ok(f"/decisions/{ids['decision']}/links", link, **LEAD)
    objective_id = api.ok("/objectives", objective(owner="tester"), **LEAD)["id"]
    ids["kr"] = api.ok("/key-results", key_result(objective_id), **LEAD)["id"]
    retarget = {"target": "4", "reason": "Caching first", "cites": ids["decision"]}
    done = api.ok(f"/key-results/{ids['kr']}/retarget", retarget, **LEAD)
    ids["retarget_position"] = done["position"]
    handed = delegation(owner="cem", cites=ids["action"])
    ids["delegation"] = api.ok("/delegations", handed, **{"Koers-Actor": "ann"})["id"]
    ids["last"] = api.koers.recorder.max_notification_id()
    return ids


def _lineage(api: Api, thing: str, who: str, **params: Any) -> Any:
    headers = {"Koers-Actor": who}
    return api.client.get(f"/lineage/{thing}", params=params, headers=headers)


def test_the_graph_both_ways_with_each_links_kind_time_and_actor(
    api: Api, story: dict[str, Any]
) -> None:
    """As ann, the lead of the company: every team's things are hers to see."""
    response = api.client.get(f"/lineage/{story['action']}",
                              headers={"Koers-Actor": "ann",
                                       "Koers-Min-Position": str(story["last"])})  # fmt: skip
    assert response.status_code == 200, response.text
    found = response.json()
    assert int(response.headers["Koers-Position"]) >= story["last"]
    assert found["node"]["kind"] == "action_item"
    assert [n["id"] for n in found["ancestors"]] == [story["item"]]
    assert [(n["kind"], n["id"]) for n in found["descendants"]] == [
        ("decision", story["decision"]), ("delegation", story["delegation"]),
        ("key_result", story["kr"])]  # fmt: skip
    assert [(link["kind"], link["actor"]) for link in found["links"]] == [
        ("retro.action", "tester"), ("decision.link", "tester"),
        ("key_result.retarget", "tester"), ("delegation.create", "ann")]  # fmt: skip
    assert all(link["at"].startswith(str(TODAY)[:4]) for link in found["links"])


def test_a_reader_sees_only_what_they_may(api: Api, story: dict[str, Any]) -> None:
    _lineage(api, story["item"], "tester", min_position=story["last"])  # the views caught up
    for who in ("bram", "tester"):  # platform's member and lead: the delegation is sales's
        seen = _lineage(api, story["item"], who).json()
        assert [n["kind"] for n in seen["descendants"]] == ["action_item", "decision",
                                                            "key_result"]  # fmt: skip
        assert "delegation.create" not in {link["kind"] for link in seen["links"]}
    assert _lineage(api, story["item"], "cem").status_code == 404  # sales: not platform's item
    cem = _lineage(api, story["delegation"], "cem").json()  # the delegation's owner
    assert cem["node"]["kind"] == "delegation"
    assert cem["ancestors"] == []  # the platform action item is not shown to cem
    assert cem["links"] == []
    assert _lineage(api, story["delegation"], "mallory").status_code == 404
    assert _lineage(api, story["item"], "ann").status_code == 200  # lead of the company above


def test_as_of_a_position_before_the_retarget(api: Api, story: dict[str, Any]) -> None:
    before = _lineage(api, story["kr"], "tester", position=story["retarget_position"] - 1)
    assert before.status_code == 200, before.text
    assert before.json()["ancestors"] == []
    after = _lineage(api, story["kr"], "tester", position=story["retarget_position"])
    assert [n["kind"] for n in after.json()["ancestors"]] == [
        "decision", "action_item", "retro_item"]  # fmt: skip


def test_unknown_and_malformed_ids(api: Api, story: dict[str, Any]) -> None:
    missing = _lineage(api, str(uuid.uuid4()), "tester")
    assert missing.status_code == 404
    assert "GET /lineage/{its id}" in missing.json()["detail"]
    assert _lineage(api, "not-an-id", "tester").status_code == 422


@pytest.mark.parametrize(
    ("path", "field"),
    [("retarget", "cites"), ("action", "from_item"), ("delegation", "cites")],
)
def test_a_citation_of_nothing_is_refused_naming_the_field(
    api: Api, story: dict[str, Any], path: str, field: str
) -> None:
    nothing = str(uuid.uuid4())
    before = api.koers.recorder.max_notification_id()
    if path == "retarget":
        response = api.post(f"/key-results/{story['kr']}/retarget",
                            {"target": "5", "reason": "r", "cites": nothing}, **LEAD)  # fmt: skip
    elif path == "action":
        response = api.post(f"/retros/{story['retro']}/action-items",
                            {"text": "t", "owner": "bram", "due": str(TODAY),
                             "from_item": story["action"]}, **LEAD)  # fmt: skip
    else:
        response = api.post("/delegations", delegation(cites=nothing), **LEAD)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert api.koers.recorder.max_notification_id() == before

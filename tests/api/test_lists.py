"""``GET /{kind}`` and ``GET /{kind}/{id}`` from the live views' state: read your writes by
position, the reader's visibility, paging, the same answers as the store's aggregates."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

from ledger.application._reads import complete_state
from ledger.domain import Decision, Objective
from tests.api import test_api_support as support
from tests.api.test_api_support import objective, running_api


def test_a_list_and_a_show_read_the_views_after_the_write_they_name(tmp_path: Path) -> None:
    with running_api(views=tmp_path / "views.sqlite3") as api:
        written = [api.ok("/objectives", objective(title=f"Goal {n}")) for n in range(3)]
        sales = api.ok("/objectives", objective(team="sales", owner="dora", title="Sell more"),
                       **{"Koers-Actor": "dora"})  # fmt: skip
        last = sales["position"]
        listed = api.client.get("/objectives", headers={"Koers-Min-Position": str(last)})
        assert listed.status_code == 200, listed.text
        assert int(listed.headers["koers-position"]) >= last
        body = listed.json()
        assert [o["title"] for o in body["items"]] == ["Goal 0", "Goal 1", "Goal 2", "Sell more"]
        assert (body["total"], body["limit"], body["offset"]) == (4, 100, 0)
        page = api.get("/objectives", team="platform", limit=2, offset=1, min_position=last)
        assert [o["title"] for o in page.json()["items"]] == ["Goal 1", "Goal 2"]
        assert page.json()["total"] == 3

        one = written[1]["id"]
        shown = api.get(f"/objectives/{one}", min_position=last)
        assert shown.status_code == 200, shown.text
        assert shown.headers["etag"] == '"1"'
        assert shown.json() == complete_state(
            api.koers.load(Objective, UUID(one)), api.koers.event_history
        )

        # bram (platform) does not see sales' objective: not listed, and not there to show
        as_bram = {"Koers-Actor": "bram", "Koers-Min-Position": str(last)}
        theirs = api.client.get("/objectives", headers=as_bram).json()
        assert [o["title"] for o in theirs["items"]] == ["Goal 0", "Goal 1", "Goal 2"]
        hidden = api.client.get(f"/objectives/{sales['id']}", headers=as_bram)
        assert hidden.status_code == 404
        assert api.client.get(f"/decisions/{one}", headers=as_bram).status_code == 404

        beyond = api.get("/objectives", min_position=last + 1000)
        assert beyond.status_code == 422
        assert f"position {last}" in beyond.json()["detail"]


def test_a_decision_shows_what_its_events_hold_from_the_views(tmp_path: Path) -> None:
    with running_api(views=tmp_path / "views.sqlite3") as api:
        opened = api.ok("/decisions", support.decision())
        shown = api.get(f"/decisions/{opened['id']}", min_position=opened["position"])
        assert shown.status_code == 200, shown.text
        decision = api.koers.load(Decision, UUID(opened["id"]))
        assert shown.json() == complete_state(decision, api.koers.event_history)

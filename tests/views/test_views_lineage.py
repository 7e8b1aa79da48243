"""The lineage view (docs/lineage.md): its nodes and links with time and actor, the walk both
ways, what a reader may not see left out, "as of" a past position, read-your-writes on the
live runner, and a rebuild equal to the live tables."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from ledger.application import Koers
from projections import ViewRunner, lineage, views_as_of
from projections.lineage import LineageNode
from tests.conftest import fresh_env
from tests.views.conftest import Place
from tests.views.test_views_support import app, on, views_of

__all__ = ["app"]


def _story(app: Koers) -> dict[str, Any]:
    """A retro item -> its action item -> a decision linked to it (reviewed) -> a key result
    retarget citing the decision, and a delegation citing the action item."""
    ids: dict[str, Any] = {}
    with on("2026-01-15T16:00"):
        ids["retro"] = app.hold_retro(actor="cem", team="alpha", period="S1",
                                      held_on=date(2026, 1, 15)).id  # fmt: skip
        ids["item"] = app.add_retro_item(ids["retro"], actor="cem", kind="to_improve",
                                         text="Reviews wait too long").item_id  # fmt: skip
    with on("2026-01-15T16:30"):
        ids["action"] = app.add_action_item(
            ids["retro"], actor="cem", text="Pair on reviews", owner="bob",
            due=date(2026, 1, 29), from_item=ids["item"],
        ).item_id  # fmt: skip
    with on("2026-01-20T10:00"):
        objective = app.set_objective(actor="ann", team="alpha", title="Fast reviews",
                                      why="flow", period="2026-Q1", owner="ann").id  # fmt: skip
        ids["kr"] = app.add_key_result(
            actor="ann", objective_id=objective, title="Review wait (h)", metric="decrease",
            start="48", target="8", unit="h", owner="bob",
        ).id  # fmt: skip
        ids["decision"] = app.open_decision(
            actor="ann", team="alpha", question="A review rota?", options=[
                {"key": "a", "title": "Rota"}, {"key": "b", "title": "No rota"}],
            risk={"likelihood": 2, "impact": 2}, reversibility="two_way",
            information_level=80, decider="ann", decide_by=date(2026, 1, 30),
        ).id  # fmt: skip
    with on("2026-01-21T09:00"):
        app.link_decision(ids["decision"], actor="ann", kind="action_item",
                          target_id=ids["retro"], item_id=ids["action"])  # fmt: skip
        app.decide(ids["decision"], actor="ann", chosen="a", rationale="r", expected_outcome="e",
                   confidence="0.7", review_on=date(2026, 2, 15))  # fmt: skip
    with on("2026-01-22T09:00"):
        ids["retarget"] = app.retarget(ids["kr"], actor="ann", target="12", reason="rota first",
                                       cites=ids["decision"]).position  # fmt: skip
        ids["delegation"] = app.delegate(
            actor="ann", owner="dana", title="Run the rota", why="w", desired_result="d",
            level="agree", due=date(2026, 2, 28), cites=ids["action"],
        ).id  # fmt: skip
    with on("2026-02-16T09:00"):
        app.review_decision(ids["decision"], actor="ann", outcome_quality=4, process_quality=5,
                            as_expected=True, what_happened="w", lessons="l")  # fmt: skip
    return ids


def test_the_walk_goes_both_ways_with_each_links_kind_time_and_actor(app: Koers) -> None:
    ids = _story(app)
    with views_of(app) as views:
        found = lineage(views, str(ids["action"]))
    assert found is not None
    assert (found.node.kind, found.node.title, found.node.team) == (
        "action_item", "Pair on reviews", "alpha")  # fmt: skip
    assert [(n.kind, n.id) for n in found.ancestors] == [("retro_item", str(ids["item"]))]
    assert [(n.kind, n.id) for n in found.descendants] == [
        ("decision", str(ids["decision"])),  # nearest first: linked on the 21st
        ("delegation", str(ids["delegation"])),  # cites the action item itself
        ("key_result", str(ids["kr"])),  # cites the decision: two steps away
    ]  # fmt: skip
    decision = found.descendants[0]
    assert decision.status == "reviewed (outcome 4/5, process 5/5)"
    assert found.descendants[2].status == "open (target 12)"
    links = [(link.kind, link.actor, link.at[:16]) for link in found.links]
    assert links == [
        ("retro.action", "cem", "2026-01-15T16:30"),
        ("decision.link", "ann", "2026-01-21T09:00"),
        ("key_result.retarget", "ann", "2026-01-22T09:00"),
        ("delegation.create", "ann", "2026-01-22T09:00"),
    ]
    with views_of(app) as views:
        from_kr = lineage(views, str(ids["kr"]))
        from_item = lineage(views, str(ids["item"]))
        assert lineage(views, str(UUID(int=7))) is None
    assert from_kr is not None
    assert from_item is not None
    assert [n.kind for n in from_kr.ancestors] == ["decision", "action_item", "retro_item"]
    assert from_kr.descendants == []
    assert from_item.ancestors == []
    assert {n.kind for n in from_item.descendants} == {"action_item", "decision", "delegation",
                                                       "key_result"}  # fmt: skip


def test_a_hidden_thing_is_left_out_and_the_walk_does_not_pass_through_it(app: Koers) -> None:
    ids = _story(app)

    def not_decisions(node: LineageNode) -> bool:
        return node.kind != "decision"

    with views_of(app) as views:
        found = lineage(views, str(ids["item"]), shown=not_decisions)
        hidden_start = lineage(views, str(ids["decision"]), shown=not_decisions)
    assert found is not None
    assert [n.kind for n in found.descendants] == ["action_item", "delegation"]  # no KR
    assert all(str(ids["decision"]) not in (link.from_id, link.to_id) for link in found.links)
    assert hidden_start is None


def test_as_of_a_position_before_the_retarget_the_link_is_not_there(app: Koers) -> None:
    ids = _story(app)
    before = views_as_of(app, position=ids["retarget"] - 1)
    try:
        found = lineage(before, str(ids["kr"]))
    finally:
        before.close()
    assert found is not None
    assert found.ancestors == []
    assert found.descendants == []


def test_the_live_view_reads_its_writes_and_a_rebuild_equals_it(
    tmp_path: Path, views_place: Place
) -> None:
    env = fresh_env()
    app = Koers(env=env)
    runner = ViewRunner(*views_place(env), app=app).start()
    try:
        ids = _story(app)
        later = app.add_retro_item(ids["retro"], actor="cem", kind="idea", text="Rota by team")
        runner.wait_for(later.position)  # read your writes
        second = app.add_action_item(ids["retro"], actor="cem", text="Try it", owner="bob",
                                     due=date(2026, 3, 1), from_item=later.item_id)  # fmt: skip
        runner.wait_for(second.position)
        found = lineage(runner.views, str(later.item_id))
        assert found is not None
        assert [n.id for n in found.descendants] == [str(second.item_id)]
        runner.export(tmp_path / "live.jsonl")
        runner.rebuild()
        runner.export(tmp_path / "rebuilt.jsonl")
        live = (tmp_path / "live.jsonl").read_bytes()
        assert (tmp_path / "rebuilt.jsonl").read_bytes() == live
        assert live.count(b'"lineage_links"') == 5  # 4 links in the story, 1 here
    finally:
        runner.close()
        app.close()


@pytest.mark.parametrize("kind", ["retro_item", "action_item"])
def test_an_item_of_a_retro_belongs_to_its_retros_team(app: Koers, kind: str) -> None:
    ids = _story(app)
    with views_of(app) as views:
        found = lineage(views, str(ids["item" if kind == "retro_item" else "action"]))
    assert found is not None
    assert (found.node.kind, found.node.team, found.node.retro_id) == (
        kind, "alpha", str(ids["retro"]))  # fmt: skip


def test_what_came_of_a_thing_was_linked_after_it_was_reached(app: Koers) -> None:
    """A decision linked to a key result before the retarget that reached the key result
    from an action item (earlier in the log) did not come of the action item; from the key
    result it did. A decision linked after the retarget did."""
    ids = _story(app)
    decisions = []
    for question in ("Hire a reviewer?", "Buy a review bot?"):
        decisions.append(app.open_decision(
            actor="ann", team="alpha", question=question, options=[{"key": "a", "title": "Y"}],
            risk={"likelihood": 1, "impact": 1}, reversibility="two_way",
            information_level=50, decider="ann", decide_by=date(2030, 2, 1),
        ).id)  # fmt: skip
    earlier, later = decisions
    retro = ids["retro"]
    action = app.add_action_item(retro, actor="cem", text="Measure", owner="bob",
                                 due=date(2030, 1, 1), from_item=ids["item"]).item_id  # fmt: skip
    app.link_decision(earlier, actor="ann", kind="key_result", target_id=ids["kr"])
    app.retarget(ids["kr"], actor="ann", target="10", reason="measured", cites=action)
    app.link_decision(later, actor="ann", kind="key_result", target_id=ids["kr"])
    with views_of(app) as views:
        from_action = lineage(views, str(action))
        from_kr = lineage(views, str(ids["kr"]))
    assert from_action is not None
    assert from_kr is not None
    assert [n.id for n in from_action.descendants] == [str(ids["kr"]), str(later)]
    assert {n.id for n in from_kr.descendants} == {str(earlier), str(later)}

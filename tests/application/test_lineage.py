"""Lineage through the application (issue #14, item 5), in memory: a retro item's id in the
receipt, an action item naming an item of its own retro, retargets and delegations citing
things that exist, decisions linking to retro items and decisions. A refusal says which
field and what to do, and stores nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest

from ledger.application import Koers
from ledger.application._reads import complete_state
from ledger.domain import COMMANDS, Decision, Delegation, KeyResult, Principal, Retro
from ledger.errors import InvalidValue, NotFound
from tests.factories import (
    ANN,
    CEM,
    action_item,
    new_decision,
    new_delegation,
    new_key_result,
    new_objective,
    new_retro,
)

pytestmark = pytest.mark.usefixtures("clock")


def _item(app: Koers, retro: UUID, key: str = "") -> UUID:
    receipt = app.add_retro_item(retro, actor=CEM, kind="to_improve", text="Slow reviews", key=key)
    assert receipt.item_id is not None
    return receipt.item_id


def _refused(app: Koers, field: str, says: str, do: Callable[[], Any]) -> None:
    """``do`` is refused for ``field`` with a message containing ``says``; nothing stored."""
    before = app.recorder.max_notification_id()
    with pytest.raises(InvalidValue) as refused:
        do()
    assert refused.value.field == field
    assert says in str(refused.value)
    assert app.recorder.max_notification_id() == before


def test_a_retro_items_receipt_has_its_id_and_a_retry_gives_the_same(koers_app: Koers) -> None:
    retro = new_retro(koers_app)
    first = _item(koers_app, retro, key="item-1")
    assert _item(koers_app, retro, key="item-1") == first
    other = _item(koers_app, retro, key="item-2")
    assert other != first
    added = [e for e in koers_app.event_history(retro) if isinstance(e, Retro.ItemAdded)]
    assert [e.item_id for e in added] == [first, other]


def test_an_action_item_records_the_retro_item_it_came_from(koers_app: Koers) -> None:
    retro = new_retro(koers_app)
    item = _item(koers_app, retro)
    receipt = koers_app.add_action_item(retro, actor=CEM, from_item=item, **action_item())
    (added,) = [e for e in koers_app.event_history(retro) if isinstance(e, Retro.ActionItemAdded)]
    assert (added.item_id, added.from_item) == (receipt.item_id, item)


def test_an_action_item_must_come_from_an_item_of_its_own_retro(koers_app: Koers) -> None:
    retro, elsewhere = new_retro(koers_app), new_retro(koers_app, period="2026-Q1b")
    foreign = _item(koers_app, elsewhere)
    action = koers_app.add_action_item(retro, actor=CEM, **action_item()).item_id
    for wrong in (foreign, action, uuid.uuid4()):
        _refused(koers_app, "from_item", f"koers retro show {retro}",
                 lambda w=wrong: koers_app.add_action_item(
                     retro, actor=CEM, from_item=w, **action_item()))  # fmt: skip


def test_a_retarget_cites_a_decision_an_action_item_a_retro_item_or_a_key_result(
    koers_app: Koers,
) -> None:
    retro = new_retro(koers_app)
    item = _item(koers_app, retro)
    action = koers_app.add_action_item(retro, actor=CEM, from_item=item, **action_item()).item_id
    kr, other_kr, decision = new_key_result(koers_app), new_key_result(koers_app), new_decision(
        koers_app)  # fmt: skip
    for n, cited in enumerate((decision, action, item, other_kr)):
        koers_app.retarget(kr, actor=ANN, target=str(40 + n), reason="see the cited", cites=cited)
    cites = [e.cites for e in koers_app.event_history(kr) if isinstance(e, KeyResult.Retargeted)]
    assert cites == [decision, action, item, other_kr]


def test_what_a_retarget_cites_must_exist_and_be_citable(koers_app: Koers) -> None:
    kr, retro, objective = new_key_result(koers_app), new_retro(koers_app), new_objective(koers_app)
    for wrong in (uuid.uuid4(), retro, objective):
        _refused(koers_app, "cites", "is not the id of a retro item, an action item",
                 lambda w=wrong: koers_app.retarget(kr, actor=ANN, target="40", reason="r",
                                                    cites=w))  # fmt: skip
    itself = {"target": "40", "reason": "r", "cites": kr}
    _refused(koers_app, "cites", "cannot cite the thing it changes",
             lambda: koers_app.retarget(kr, actor=ANN, **itself))  # fmt: skip


def test_a_delegation_cites_what_led_to_it_and_nothing_unknown(koers_app: Koers) -> None:
    retro = new_retro(koers_app)
    action = koers_app.add_action_item(retro, actor=CEM, **action_item()).item_id
    made = new_delegation(koers_app, cites=action)
    assert koers_app.event_history(made)[0].cites == action
    assert isinstance(koers_app.load(Delegation, made), Delegation)
    _refused(koers_app, "cites", "cite one of those by its id",
             lambda: new_delegation(koers_app, cites=uuid.uuid4(), title="Other"))  # fmt: skip


def test_a_decision_links_to_a_retro_item_and_another_decision(koers_app: Koers) -> None:
    retro, decision, earlier = new_retro(koers_app), new_decision(koers_app), new_decision(
        koers_app)  # fmt: skip
    item = _item(koers_app, retro)
    koers_app.link_decision(decision, actor=ANN, kind="retro_item", target_id=retro, item_id=item)
    koers_app.link_decision(decision, actor=ANN, kind="decision", target_id=earlier)
    links = koers_app.load(Decision, decision).links
    assert [(link.kind.value, link.item_id) for link in links] == [
        ("retro_item", item), ("decision", None)]  # fmt: skip


@pytest.mark.parametrize("wrong", ["an action item as a retro item", "unknown decision"])
def test_a_link_to_something_that_is_not_there_is_refused(koers_app: Koers, wrong: str) -> None:
    retro, decision = new_retro(koers_app), new_decision(koers_app)
    action = koers_app.add_action_item(retro, actor=CEM, **action_item()).item_id
    values: dict[str, Any] = (
        {"kind": "retro_item", "target_id": retro, "item_id": action}
        if wrong.startswith("an action")
        else {"kind": "decision", "target_id": uuid.uuid4()}
    )
    before = koers_app.recorder.max_notification_id()
    with pytest.raises(NotFound):
        koers_app.link_decision(decision, actor=ANN, **values)
    assert koers_app.recorder.max_notification_id() == before


def test_the_command_table_takes_cites_and_from_item_as_json(koers_app: Koers) -> None:
    local = Principal("admin", "local", local=True)
    retro = new_retro(koers_app)
    item = _item(koers_app, retro)
    receipt = koers_app.execute(
        COMMANDS["retro.action"], retro,
        {**{k: str(v) for k, v in action_item().items()}, "from_item": str(item)},
        actor=CEM, principal=local, json_values=True,
    )  # fmt: skip
    kr = new_key_result(koers_app)
    koers_app.execute(COMMANDS["key_result.retarget"], kr,
                      {"target": "40", "reason": "r", "cites": str(receipt.item_id)},
                      actor=ANN, principal=local, json_values=True)  # fmt: skip
    (retargeted,) = [e for e in koers_app.event_history(kr) if isinstance(e, KeyResult.Retargeted)]
    assert retargeted.cites == receipt.item_id
    with pytest.raises(InvalidValue) as refused:
        koers_app.execute(COMMANDS["key_result.retarget"], kr,
                          {"target": "41", "reason": "r", "cites": "not an id"},
                          actor=ANN, principal=local, json_values=True)  # fmt: skip
    assert refused.value.field == "cites"


def test_a_retros_read_shows_its_items_ids_and_where_each_action_came_from(
    koers_app: Koers,
) -> None:
    retro = new_retro(koers_app)
    first, second = _item(koers_app, retro, key="i1"), _item(koers_app, retro, key="i2")
    came = koers_app.add_action_item(retro, actor=CEM, from_item=second, **action_item()).item_id
    plain = koers_app.add_action_item(retro, actor=CEM, **action_item()).item_id
    shown = complete_state(koers_app.load(Retro, retro), koers_app.event_history)
    assert shown["item_ids"] == [str(first), str(second)]
    assert len(shown["items"]) == 2
    assert shown["actions"][str(came)]["from_item"] == str(second)
    assert shown["actions"][str(plain)]["from_item"] is None

"""Lineage in the domain (issue #14, item 5): retro items carry ids, older ones read with a
stable derived id; an action item records the item it came from; retargets and delegations
record what they cite; a decision links to retro items and decisions, checked for shape."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import pytest
from eventsourcing.persistence import StoredEvent

from ledger.domain import Decision, Delegation, KeyResult, Retro
from ledger.domain._clock import frozen_at
from ledger.domain.retros import item_id_of
from ledger.errors import InvalidValue
from ledger.transcoder import OrjsonTranscoder, TypedMapper
from tests.factories import ANN, CEM, T0, action_item, decision, delegation, key_result, retro

MAPPER: TypedMapper[uuid.UUID] = TypedMapper(transcoder=OrjsonTranscoder())


def _older(event: Any, version: int, *dropped: str) -> StoredEvent:
    """``event`` as an older version wrote it: without the ``dropped`` fields (and without
    ``credential`` and ``class_version`` for version 1)."""
    stored = MAPPER.to_stored_event(event)
    state = orjson.loads(stored.state)
    for name in dropped:
        del state[name]
    if version == 1:
        del state["credential"], state["class_version"]
    else:
        state["class_version"] = version
    return StoredEvent(stored.originator_id, stored.originator_version, stored.topic,
                       orjson.dumps(state))  # fmt: skip


def _retro_with_item() -> tuple[Retro, uuid.UUID]:
    item = uuid.uuid4()
    with frozen_at(T0):
        r = Retro.hold(id=uuid.uuid4(), actor=CEM, **retro())
        r.add_item(actor=CEM, item_id=item, kind="to_improve", text="Reviews wait too long")
    return r, item


def test_a_retro_item_is_recorded_with_its_id() -> None:
    r, item = _retro_with_item()
    added = r.collect_events()[1]
    assert isinstance(added, Retro.ItemAdded)
    assert added.item_id == item
    state = orjson.loads(MAPPER.to_stored_event(added).state)
    assert (state["class_version"], state["item_id"]) == (3, str(item))


@pytest.mark.parametrize("version", [1, 2])
def test_an_item_recorded_before_ids_reads_with_a_stable_id_from_retro_and_version(
    version: int,
) -> None:
    r, _ = _retro_with_item()
    older = _older(r.collect_events()[1], version, "item_id")
    first, again = MAPPER.to_domain_event(older), MAPPER.to_domain_event(older)
    assert isinstance(first, Retro.ItemAdded)
    expected = uuid.uuid5(r.id, "retro-item/2")  # the retro's second event
    assert first.item_id == again.item_id == expected == item_id_of(r.id, 2)
    assert first.text == "Reviews wait too long"
    assert first.credential == ""


def test_a_second_item_gets_another_derived_id() -> None:
    assert item_id_of(uuid.UUID(int=1), 2) != item_id_of(uuid.UUID(int=1), 3)
    assert item_id_of(uuid.UUID(int=1), 2) != item_id_of(uuid.UUID(int=2), 2)


def test_an_action_item_records_the_item_it_came_from_and_older_ones_came_from_none() -> None:
    r, item = _retro_with_item()
    r.add_action(actor=CEM, item_id=uuid.uuid4(), from_item=item, **action_item())
    r.add_action(actor=CEM, item_id=uuid.uuid4(), **action_item())
    _, _, came, plain = r.collect_events()
    assert (came.from_item, plain.from_item) == (item, None)
    assert MAPPER.to_domain_event(_older(came, 2, "from_item")).from_item is None


def test_an_action_items_from_item_must_be_an_id() -> None:
    r, _ = _retro_with_item()
    with pytest.raises(InvalidValue) as refused:
        r.add_action(actor=CEM, item_id=uuid.uuid4(), from_item="item 3", **action_item())
    assert refused.value.field == "from_item"


def test_a_retarget_and_a_delegation_record_what_they_cite_and_older_ones_cite_nothing() -> None:
    cited = uuid.uuid4()
    with frozen_at(T0):
        kr = KeyResult.add(id=uuid.uuid4(), actor=ANN, objective_id=uuid.uuid4(), **key_result())
        kr.retarget(actor=ANN, target="35", reason="the team halved", cites=cited)
        d = Delegation.delegate(id=uuid.uuid4(), actor=ANN, cites=cited, **delegation())
    retargeted, made = kr.collect_events()[1], d.collect_events()[0]
    assert (retargeted.cites, made.cites) == (cited, cited)
    for event in (retargeted, made):
        for version in (1, 2):
            older = MAPPER.to_domain_event(_older(event, version, "cites"))
            assert older.cites is None  # type: ignore[attr-defined]
    with pytest.raises(InvalidValue) as refused:
        kr.retarget(actor=ANN, target="36", reason="again", cites="that one")
    assert refused.value.field == "cites"


def _decision() -> Decision:
    with frozen_at(T0):
        return Decision.open(id=uuid.uuid4(), actor=ANN, **decision())


def test_a_decision_links_to_a_retro_item_and_to_another_decision() -> None:
    d, retro_id, item, other = _decision(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    d.link(actor=ANN, kind="retro_item", target_id=retro_id, item_id=item)
    d.link(actor=ANN, kind="decision", target_id=other)
    kinds = [(link.kind.value, link.item_id) for link in d.links]
    assert kinds == [("retro_item", item), ("decision", None)]
    older = MAPPER.to_domain_event(_older(d.collect_events()[1], 2))
    assert older.link == d.links[0]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("values", "field", "says"),
    [
        ({"kind": "retro_item"}, "item_id", "names the item"),
        ({"kind": "objective", "item_id": uuid.uuid4()}, "item_id", "only a link to a retro"),
        ({"kind": "decision", "target_id": "itself"}, "target_id", "cannot be linked to itself"),
    ],
)
def test_a_link_of_the_wrong_shape_is_refused(
    values: dict[str, Any], field: str, says: str
) -> None:
    d = _decision()
    if values.get("target_id") == "itself":
        values = {**values, "target_id": d.id}
    with pytest.raises(InvalidValue) as refused:
        d.link(actor=ANN, **{"target_id": uuid.uuid4(), **values})
    assert refused.value.field == field
    assert says in str(refused.value)
    assert d.links == []

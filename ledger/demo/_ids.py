"""The keys of the demo's creating commands, and the ids they give their aggregates.

One place, so the story's threads can point at each other (a decision links a delegation, a
prompt names a decision) without running anything first.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from ledger.demo._plan import demo_key, id_of, sub_id
from ledger.domain import (
    Decision,
    Delegation,
    KeyResult,
    KoersAggregate,
    Kpi,
    Objective,
    Prompt,
    Retro,
)

__all__ = [
    "action_item_id",
    "action_key",
    "decision_id",
    "delegation_id",
    "key_result_id",
    "kpi_id",
    "objective_id",
    "prompt_id",
    "retro_id",
    "retro_item_id",
]


def _ids_of(cls: type[KoersAggregate], kind: str) -> Callable[[str], UUID]:
    """The ids of ``cls`` aggregates the demo creates, by slug (key ``demo/<kind>/<slug>``)."""

    def id_for(slug: str) -> UUID:
        return id_of(cls, demo_key(kind, slug))

    return id_for


objective_id = _ids_of(Objective, "objective")
key_result_id = _ids_of(KeyResult, "kr")
kpi_id = _ids_of(Kpi, "kpi")
decision_id = _ids_of(Decision, "decision")
delegation_id = _ids_of(Delegation, "delegation")
retro_id = _ids_of(Retro, "retro")
prompt_id = _ids_of(Prompt, "prompt")


def action_key(retro: str, action: str) -> str:
    return demo_key("retro", retro, "action", action)


def action_item_id(retro: str, action: str) -> UUID:
    """The id of an action item, kept when it is carried over into a later retro."""
    return sub_id(retro_id(retro), action_key(retro, action))


def retro_item_id(retro: str, number: int) -> UUID:
    """The id of a retro's ``number``-th item (1 = the first)."""
    return sub_id(retro_id(retro), demo_key("retro", retro, "item", str(number)))

"""The keys of the demo's creating commands, and the ids they give their aggregates.

One place, so the story's threads can point at each other (a decision links a delegation, a
prompt names a decision) without running anything first.
"""

from __future__ import annotations

from uuid import UUID

from ledger.demo._plan import demo_key, id_of, sub_id
from ledger.domain import Decision, Delegation, KeyResult, Kpi, Objective, Prompt, Retro

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
]


def objective_id(slug: str) -> UUID:
    return id_of(Objective, demo_key("objective", slug))


def key_result_id(slug: str) -> UUID:
    return id_of(KeyResult, demo_key("kr", slug))


def kpi_id(slug: str) -> UUID:
    return id_of(Kpi, demo_key("kpi", slug))


def decision_id(slug: str) -> UUID:
    return id_of(Decision, demo_key("decision", slug))


def delegation_id(slug: str) -> UUID:
    return id_of(Delegation, demo_key("delegation", slug))


def retro_id(slug: str) -> UUID:
    return id_of(Retro, demo_key("retro", slug))


def prompt_id(slug: str) -> UUID:
    return id_of(Prompt, demo_key("prompt", slug))


def action_key(retro: str, action: str) -> str:
    return demo_key("retro", retro, "action", action)


def action_item_id(retro: str, action: str) -> UUID:
    """The id of an action item, kept when it is carried over into a later retro."""
    return sub_id(retro_id(retro), action_key(retro, action))

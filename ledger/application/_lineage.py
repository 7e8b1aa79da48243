"""The commands that record where something came from (``docs/lineage.md``).

An action item may name the retro item it came from (``from_item``: an item of the same
retro); a key result's retarget and a delegation may cite what led to them (``cites``: a retro
item, an action item, a decision or a key result). The domain records what it is given; the
check that the cited thing exists needs other aggregates (or a retro's events: retro items
live in its history only), so it is made here, as a guard of the command template: it runs on
every attempt, after a retried command has been answered with its first result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from ledger.application._base import KoersBase, Receipt
from ledger.domain import CITES, Decision, KeyResult, Retro
from ledger.domain import delegations as dl
from ledger.domain import goals as g
from ledger.domain import retros as rt
from ledger.errors import InvalidValue

__all__ = ["LineageCommands", "retro_parts"]

#: What ``cites`` may name, in the words of an error.
CITABLE = "a retro item, an action item, a decision or a key result"


def retro_parts(retro: Retro, events: list[Any]) -> dict[UUID, str]:
    """The ids of a retro's items and action items, each with its kind (``retro_item``,
    ``action_item``), from the retro's events."""
    parts: dict[UUID, str] = {}
    for event in events:
        if isinstance(event, Retro.ItemAdded):
            parts[event.item_id] = "retro_item"
        elif isinstance(event, Retro.ActionItemAdded):
            parts[event.item_id] = "action_item"
    return parts


class LineageCommands(KoersBase):
    """Checks that what a command cites exists (see the module docstring)."""

    def _cited_kind(self, thing_id: UUID) -> str:
        """What ``thing_id`` names among the things a change may cite, or ``InvalidValue``."""
        if self._find(Decision, thing_id) is not None:
            return "decision"
        if self._find(KeyResult, thing_id) is not None:
            return "key_result"
        for _, parts in self.all_derived(Retro, retro_parts):
            if thing_id in parts:
                return parts[thing_id]
        raise InvalidValue(
            "cites", f"{thing_id} is not the id of {CITABLE}: cite one of those by its id"
        )

    def _retro_items(self, retro_id: UUID) -> set[UUID]:
        """The ids of a retro's items (not its action items)."""
        retro = self.load(Retro, retro_id)
        events = self.event_history(retro.id)
        return {i for i, kind in retro_parts(retro, events).items() if kind == "retro_item"}

    def _cites_guard(
        self, values: dict[str, Any], itself: UUID | None = None
    ) -> Callable[[], None]:
        """The guard refusing a ``cites`` that names nothing citable (or ``itself``)."""
        cited = values.get("cites")

        def exists() -> None:
            if cited is None:
                return
            thing = CITES.check(cited)
            if thing == itself:
                raise InvalidValue("cites", "a change cannot cite the thing it changes")
            self._cited_kind(thing)

        return exists

    def add_action_item(self, retro_id: UUID | str, /, **options: Any) -> Receipt:
        """``retro.action``: its ``from_item`` must be an item of this retro."""
        came_from = options.get("from_item")
        target = rt.ADD_ACTION_ITEM.target_id(retro_id)

        def from_this_retro() -> None:
            if came_from is None:
                return
            item = rt.ADD_ACTION_ITEM.field("from_item").check(came_from)
            if item not in self._retro_items(target):
                raise InvalidValue(
                    "from_item",
                    f"retro {target} has no item {item}: name one of its items "
                    f"(koers retro show {target} lists them)",
                )

        return self.run(rt.ADD_ACTION_ITEM, retro_id, guard=from_this_retro, **options)

    def retarget(self, kr_id: UUID | str, /, **options: Any) -> Receipt:
        """``key_result.retarget``: what it ``cites`` must exist."""
        guard = self._cites_guard(options, g.RETARGET.target_id(kr_id))
        return self.run(g.RETARGET, kr_id, guard=guard, **options)

    def delegate(self, **options: Any) -> Receipt:
        """``delegation.create``: what it ``cites`` must exist."""
        return self.run(dl.DELEGATE, guard=self._cites_guard(options), **options)

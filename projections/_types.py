"""Shared types of the projection's event handlers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from projections._sql import Tx

__all__ = ["Handler", "Handlers"]

#: ``handler(tx, domain_event, position)``: write what the event means to the facts tables.
Handler = Callable[[Tx, Any, int], None]
Handlers = dict[type[Any], Handler]

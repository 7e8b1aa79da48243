"""Transcodings for what the typed mapper cannot see: aggregate snapshots.

Events are written field by field from their declared types (``ledger.transcoder``), but a
snapshot's state is one untyped dict, so the enums and value objects inside it need tagged
transcodings. Names are fixed strings, so moving a class does not break old snapshots.
"""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any

from eventsourcing.persistence import Transcoding

from ledger.domain import (
    decisions,
    delegations,
    directory,
    goals,
    matrix,
    notify,
    prompts,
    retros,
    webhooks,
)
from ledger.transcoder import EnumAsValue

__all__ = ["DataclassAsDict", "snapshot_transcodings"]


class DataclassAsDict(Transcoding):
    """A frozen value object as a dict of its fields."""

    def __init__(self, cls: type[Any], name: str) -> None:
        self.type = cls
        self.name = name

    def encode(self, obj: Any) -> dict[str, Any]:
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}

    def decode(self, data: dict[str, Any]) -> Any:
        return self.type(**data)


def snapshot_transcodings() -> list[Transcoding]:
    """One transcoding per domain enum and value object, named ``koers.<module>.<Class>``."""
    out: list[Transcoding] = []
    for module in (goals, decisions, matrix, delegations, retros, prompts, directory, notify,
                   webhooks):  # fmt: skip
        short = module.__name__.rsplit(".", 1)[-1]
        for name in module.__all__:
            cls = getattr(module, name)
            if isinstance(cls, type) and issubclass(cls, Enum):
                out.append(EnumAsValue(cls, f"koers.{short}.{name}"))
            elif isinstance(cls, type) and dataclasses.is_dataclass(cls):
                out.append(DataclassAsDict(cls, f"koers.{short}.{name}"))
    return out

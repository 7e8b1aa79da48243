"""What the pages read: the views (as the API reads them), as of a moment or a position.

A page never fails on a read: views that lag or stopped, a store that does not answer, an
``as_of`` that is not a time — each becomes a banner on the page, saying what to do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from fastapi import Request

from ledger.api import ApiProblem, ViewAt, view_result
from ledger.errors import KoersError
from projections import KoersViews

__all__ = ["At", "at_of", "read_view"]

T = TypeVar("T")


@dataclass(frozen=True)
class At:
    """Which views a page shows: ``as_of`` (as typed, a browser's local time is UTC) or
    ``position``, else the live views from ``min_position`` on (after a form's write)."""

    as_of: str = ""
    position: int | None = None
    min_position: int | None = None

    @property
    def past(self) -> bool:
        return bool(self.as_of) or self.position is not None

    def view_at(self) -> ViewAt:
        moment = self.as_of
        if moment and len(moment) in (16, 19) and "T" in moment:  # datetime-local: no zone
            moment += "+00:00"
        return ViewAt(moment or None, self.position, self.min_position)


def _whole(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() and len(text) < 16 else None


def at_of(request: Request) -> At:
    """The page's ``as_of``, ``position`` and ``min_position`` query parameters."""
    query = request.query_params
    return At(query.get("as_of", "").strip()[:40], _whole(query.get("position")),
              _whole(query.get("min_position")))  # fmt: skip


async def read_view(
    request: Request, query: Callable[[KoersViews], T], at: At
) -> tuple[T | None, str]:
    """The views' answer, or nothing and a banner saying why not."""
    try:
        return await view_result(request, query, at.view_at()), ""
    except ApiProblem as e:
        return None, e.detail
    except KoersError as e:
        return None, f"{e}"

"""Lists and shows from the views: a page of things of a kind, or one thing, as JSON text.

What ``GET /{kind}`` and ``GET /{kind}/{id}`` answer (and ``koers <kind> list|show``), read
from the state the projection keeps (:mod:`projections._things`): filters, who may see what
(:class:`~ledger.application.ReadScope`) and paging are ``WHERE`` / ``LIMIT`` / ``OFFSET`` on
indexed tables. A page reads an index range in list order (the kind's, or the filter's) and
stops when it is full: it reads about ``(offset + limit) / d`` rows, ``d`` being the share
of the range the reader may see, however long the log. The ``total`` is a sum over the
counts the projection keeps per visibility cell (:mod:`projections._thing_counts`), for the
unfiltered list and a filter by team or owner; other filters count their matching rows. The
states come back as the JSON text they were stored as: an answer is spliced, not re-encoded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ledger.application import ReadScope
from projections._sql import placeholders
from projections._thing_counts import visible_total
from projections._things import FILTERS
from projections.views import KoersViews

__all__ = ["ThingPage", "page_query", "thing_page", "thing_state"]


@dataclass(frozen=True)
class ThingPage:
    """One page of a list: the states (JSON text), how many match in all, the views' position."""

    items: list[str]
    total: int
    position: int

    def json(self, limit: int, offset: int) -> bytes:
        """The list's answer: ``{"items": [...], "total", "limit", "offset"}``."""
        items = ",".join(self.items)
        return (
            f'{{"items":[{items}],"total":{self.total},"limit":{limit},"offset":{offset}}}'
        ).encode()


def _visible(scope: ReadScope) -> tuple[str, list[Any]]:
    """The condition on ``t`` (a ``things`` row) that ``scope`` may see it."""
    if scope.everything:
        return "1 = 1", []
    if scope.private:
        return ("1 = 0", []) if scope.service else ("t.private_to = ?", [scope.handle])
    seen, params = [], []  # the index's columns first: most rows are decided without a lookup
    for column, values in (("team", scope.teams), ("owner", scope.owners)):
        if values:
            seen.append(f"t.{column} IN ({placeholders(values)})")
            params += sorted(values)
    # correlated: one primary-key lookup per row still undecided, never the reader's whole
    # set of things (an IN subquery is built in full before the first row)
    seen.append(
        "EXISTS (SELECT 1 FROM thing_people p WHERE p.thing_id = t.thing_id AND p.handle = ?)"
    )
    params.append(scope.handle)
    return f"({' OR '.join(seen)})", params


def _source(kind: str, scope: ReadScope, wanted: Mapping[str, str]) -> tuple[str, list[Any]]:
    """``FROM … WHERE …`` of the things of ``kind`` that ``scope`` may see and match
    ``wanted``, with ``o.position`` the list order: a page reads the rows in that order and
    stops when it is full. With a filter the rows come from its index range
    (``thing_fields``), else from the kind's range of the ``things`` index."""
    names = sorted(wanted)
    if names:
        first, rest = names[0], names[1:]
        sql = (
            "FROM thing_fields o JOIN things t ON t.thing_id = o.thing_id "
            "WHERE o.kind = ? AND o.name = ? AND o.value = ? AND t.kind = ?"
        )
        params: list[Any] = [kind, first, wanted[first], kind]
    else:
        rest, sql, params = [], "FROM things t WHERE t.kind = ?", [kind]
    for name in rest:
        sql += (
            " AND EXISTS (SELECT 1 FROM thing_fields f WHERE f.kind = ? AND f.name = ? "
            "AND f.value = ? AND f.position = t.position AND f.thing_id = t.thing_id)"
        )
        params += [kind, name, wanted[name]]
    visible, more = _visible(scope)
    return f"{sql} AND {visible}", [*params, *more]


def page_query(
    kind: str, scope: ReadScope, wanted: Mapping[str, str], *, limit: int, offset: int
) -> tuple[str, list[Any]]:
    """The ``SELECT`` of one page's states (for :func:`thing_page` and its plan's test)."""
    source, params = _source(kind, scope, wanted)
    order = "o.position" if wanted else "t.position"
    return f"SELECT t.state {source} ORDER BY {order} LIMIT ? OFFSET ?", [*params, limit, offset]


def thing_page(
    views: KoersViews,
    kind: str,
    scope: ReadScope,
    wanted: Mapping[str, str],
    *,
    limit: int,
    offset: int,
) -> ThingPage:
    """The things of ``kind`` that ``scope`` may see whose filter fields (:data:`FILTERS`)
    equal ``wanted``, oldest first: ``limit`` of them after the first ``offset``.

    The ``total`` comes from the counts the projection keeps (:mod:`projections._thing_counts`)
    when they answer the filter; else it counts the filter's matching rows."""
    unknown = set(wanted) - set(FILTERS[kind])
    if unknown:
        raise ValueError(f"a {kind} list has no filter {', '.join(sorted(unknown))}")
    total = visible_total(views, kind, scope, wanted)
    if total is None:
        source, params = _source(kind, scope, wanted)
        total = int(views.rows(f"SELECT COUNT(*) AS n {source}", *params)[0]["n"])
    rows = []
    if offset < total:  # a reader who sees none (or fewer) reads no rows
        sql, params = page_query(kind, scope, wanted, limit=limit, offset=offset)
        rows = views.rows(sql, *params)
    return ThingPage([r["state"] for r in rows], total, views.position)


def thing_state(
    views: KoersViews, kind: str, scope: ReadScope, thing_id: str
) -> tuple[int, str] | None:
    """One thing's version and state (JSON text); ``None`` if there is no such thing of
    ``kind`` or ``scope`` may not see it (existence is not revealed)."""
    visible, params = _visible(scope)
    rows = views.rows(
        f"SELECT t.version, t.state FROM things t WHERE t.thing_id = ? AND t.kind = ? "
        f"AND {visible}",
        thing_id, kind, *params,
    )  # fmt: skip
    return (int(rows[0]["version"]), rows[0]["state"]) if rows else None

"""A deterministic export of every view table: equal views give equal bytes.

Format: JSON lines, UTF-8. First ``["tracking", {"application_name": "Koers",
"notification_id": <position>}]``, then, table by table in the order of
:data:`projections._schema.TABLES`, one ``[table, row]`` line per row, rows sorted by
their primary key in Python (so the order does not depend on the database's collation),
keys sorted, no spaces. Last, one ``["quarantine", {...}]`` line per event set aside
(position, subject, event type, reason; not when it was first seen). Nothing in it depends
on when or in how many batches the events were applied, so a rebuilt view exports byte for
byte what the live one does.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ledger.domain.retros import TOO_FEW_RESPONSES
from projections._schema import QUARANTINE, TABLES, Table
from projections._sql import Row
from projections.retro_follow_through import shown_pulse
from projections.views import UPSTREAM, KoersViews

__all__ = ["dump", "export", "shown_rows"]


def _line(table: str, row: dict[str, Any]) -> bytes:
    text = json.dumps([table, row], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.encode() + b"\n"


def _sort_key(row: dict[str, Any], key: tuple[str, ...]) -> tuple[tuple[bool, Any], ...]:
    return tuple((row[k] is None, row[k] if row[k] is not None else 0) for k in key)


def shown_rows(
    views: KoersViews, table: Table, withheld: str | None = TOO_FEW_RESPONSES
) -> list[Row]:
    """Every row of a view table as it may leave Koers (a pulse from too few responses
    with ``withheld`` for its score), in no particular order."""
    rows = views.rows(f"SELECT {', '.join(table.column_names)} FROM {table.name}")
    if table.name == "retro_pulse":
        return [shown_pulse(r, withheld) for r in rows]
    return rows


def dump(views: KoersViews) -> bytes:
    """Every view table (and the tracking position), deterministically."""
    position = views.max_tracking_id(UPSTREAM)
    out = [_line("tracking", {"application_name": UPSTREAM, "notification_id": position})]
    for table in TABLES:
        for row in sorted(shown_rows(views, table), key=lambda r: _sort_key(r, table.key)):
            out.append(_line(table.name, row))
    for row in views.rows(f"SELECT * FROM {QUARANTINE.name} ORDER BY position"):
        out.append(_line(QUARANTINE.name, {k: v for k, v in row.items() if k != "first_seen"}))
    return b"".join(out)


def export(views: KoersViews, path: str | Path) -> int:
    """Write :func:`dump` to ``path`` atomically (a temporary file, then a rename); returns
    the number of bytes written."""
    target = Path(path)
    data = dump(views)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    partial.write_bytes(data)
    os.replace(partial, target)
    return len(data)

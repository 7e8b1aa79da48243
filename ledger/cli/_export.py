"""``koers export``: the raw events (and the views) as Parquet, CSV or JSON Lines.

Writes ``<out>/events.<ext>``: one row per event, in stream order, with

    position        the stream sequence (notification id)
    subject         the NATS subject (``ledger.<kind>.<id>.<type>``)
    aggregate_id    the aggregate's id
    version         the aggregate's version
    type            ``<kind>.<type>`` (the Koers-Type header)
    schema_version  N of ``schemas/<type>.v<N>.json`` (empty for foreign topics)
    recorded        when it was recorded (UTC)
    actor           who did it
    payload         the event's JSON, exactly as stored (text)

and, unless ``--no-views``, ``<out>/views/<table>.<ext>`` for every view table, rebuilt from
the same events in memory (so events and views describe the same stream position), and two
reports beside them: ``objective_progress`` (every objective's progress rolled up from its
key results and child objectives, evaluated now) and ``kpis`` (every team's KPI view: latest
value, status, trend; read from the KPIs as they are now). Files
appear whole (written beside, then renamed). Progress goes to stderr, the summary to stdout.

Every column has a kind (for the view tables, their declaration in ``projections._schema``;
here :data:`EVENT_COLUMNS`, :data:`OBJECTIVE_PROGRESS`, :data:`KPIS`), and every value is
written as its kind (``projections.typed``): in Parquet as a timestamp (UTC), date32,
decimal128(30, 12), int64 or bool; in CSV and JSON Lines in the documented text forms
(docs/metrics.md, "Column types").

A message that is not a Koers event (foreign, see ``ledger.nats._foreign``) or whose payload
is not JSON is not exported as an event, and an event the views cannot apply is not in
them: the export never stops on one, and its summary counts and lists each (position,
subject, reason) under "set aside" (docs/store.md, "Quarantine"). A stored value that is
not of its column's kind (a forged event's) is written empty, and the summary lists it (file,
the row's key, column, the stored text, why) under "set aside ... values".
"""

from __future__ import annotations

import csv
import dataclasses
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import orjson
import typer
from eventsourcing.persistence import Notification

from ledger.application import Koers
from ledger.cli._common import DataDir, Json, as_json, koers_app
from ledger.cli._output import echo_set_aside
from ledger.errors import ConfigurationError
from ledger.nats._foreign import ForeignNotification
from ledger.nats._subjects import SubjectScheme, kind_and_type, schema_version

if TYPE_CHECKING:
    from projections._schema import Kind
    from projections.typed import OddValue

__all__ = ["export"]

PAGE = 1000
#: (column, kind): kind is a ``projections._schema.Kind`` value (docs/metrics.md, "Column types")
Columns = tuple[tuple[str, str], ...]
EVENT_COLUMNS: Columns = (
    ("position", "bigint"), ("subject", "text"), ("aggregate_id", "text"), ("version", "bigint"),
    ("type", "text"), ("schema_version", "integer"), ("recorded", "timestamp"), ("actor", "text"),
    ("payload", "text"),
)  # fmt: skip


class Format(StrEnum):
    parquet = "parquet"
    csv = "csv"
    jsonl = "jsonl"


def _arrow_type(pa: Any, kind: Kind) -> Any:
    """A column kind's Parquet (Arrow) type."""
    from projections._schema import Kind
    from projections.typed import DECIMAL_PRECISION, DECIMAL_SCALE

    return {
        Kind.TEXT: pa.string(),
        Kind.INTEGER: pa.int64(),
        Kind.BIGINT: pa.int64(),
        Kind.DECIMAL: pa.decimal128(DECIMAL_PRECISION, DECIMAL_SCALE),
        Kind.TIMESTAMP: pa.timestamp("us", tz="UTC"),
        Kind.DATE: pa.date32(),
        Kind.BOOLEAN: pa.bool_(),
    }[kind]


class _Writer:
    """Rows to one file of a format; the file appears (renamed) only on :meth:`close`.

    Each value is typed by its column's kind (``projections.typed``); one that cannot be is
    written empty and kept in :attr:`odd` (table ``name``, the row's ``key``, why)."""

    def __init__(
        self, path: Path, fmt: Format, columns: Columns, name: str, key: tuple[str, ...]
    ) -> None:
        from projections._schema import Kind

        self.path, self.fmt, self.name, self.key = path, fmt, name, key
        self.columns = tuple((column, Kind(kind)) for column, kind in columns)
        self.partial = path.with_name(f".{path.name}.partial")
        self.count = 0
        self.odd: list[OddValue] = []
        self._file: IO[Any] | None = None
        self._parquet: Any = None
        if fmt is Format.parquet:
            pa, pq = _pyarrow()
            self._schema = pa.schema([(c, _arrow_type(pa, kind)) for c, kind in self.columns])
            self._parquet = pq.ParquetWriter(str(self.partial), self._schema)
        elif fmt is Format.csv:
            self._file = self.partial.open("w", newline="", encoding="utf-8")
            self._csv = csv.writer(self._file)
            self._csv.writerow([name for name, _ in columns])
        else:
            self._file = self.partial.open("wb")

    def write(self, rows: list[dict[str, Any]]) -> None:
        from projections.typed import typed_row

        self.count += len(rows)
        typed = []
        for row in rows:
            values, odd = typed_row(row, self.columns, self.name, self.key)
            typed.append(values)
            self.odd.extend(odd)
        if self._parquet is not None:
            pa, _ = _pyarrow()
            self._parquet.write_table(pa.Table.from_pylist(typed, schema=self._schema))
            return
        assert self._file is not None
        if self.fmt is Format.csv:
            for row in typed:
                self._csv.writerow([_text(kind, row[c]) or "" for c, kind in self.columns])
            return
        for row in typed:
            self._file.write(orjson.dumps({c: _json(kind, row[c]) for c, kind in self.columns}))
            self._file.write(b"\n")

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if self._file is not None:
            self._file.close()
        self.partial.replace(self.path)


def _text(kind: Kind, value: Any) -> str | None:
    from projections.typed import text_form

    return text_form(kind, value)


def _json(kind: Kind, value: Any) -> Any:
    """JSON Lines: numbers that count and booleans as JSON, the rest in their text form."""
    if isinstance(value, int):  # int, bool
        return value
    return _text(kind, value)


def _pyarrow() -> tuple[Any, Any]:
    try:
        import pyarrow as pa  # type: ignore[import-untyped,import-not-found,unused-ignore]
        import pyarrow.parquet as pq  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        raise ConfigurationError(
            "Parquet needs pyarrow: pip install pyarrow (or export --format csv or jsonl)"
        ) from None
    return pa, pq


def event_rows(
    koers: Koers, scheme: SubjectScheme, aside: list[dict[str, Any]]
) -> Iterator[list[dict[str, Any]]]:
    """The events of the log, a page at a time, as export rows; what is not an event is
    appended to ``aside`` instead (position, subject, reason)."""
    start = 0
    while True:
        page = koers.recorder.select_notifications(start, PAGE, inclusive_of_start=False)
        if not page:
            return
        rows = []
        for n in page:
            row = _row(n, scheme)
            if isinstance(row, str):
                aside.append({"position": n.id, "subject": _subject(n, scheme), "reason": row})
            else:
                rows.append(row)
        yield rows
        start = page[-1].id


def _subject(n: Notification, scheme: SubjectScheme) -> str:
    if isinstance(n, ForeignNotification):
        return n.subject
    return scheme.event_subject(n.originator_id, n.topic)


def _row(n: Notification, scheme: SubjectScheme) -> dict[str, Any] | str:
    """The export row of notification ``n``, or why it is set aside."""
    if isinstance(n, ForeignNotification):
        return f"foreign message: {n.reason}"
    try:
        payload = orjson.loads(n.state)
        text = n.state.decode("utf-8")
    except ValueError as e:  # orjson's and UnicodeDecodeError
        return f"cannot decode: the payload is not JSON ({e})"
    kind, type_ = kind_and_type(n.topic)
    version = schema_version(n.topic)
    recorded = payload.get("timestamp") if isinstance(payload, dict) else None
    return {
        "position": n.id,
        "subject": _subject(n, scheme),
        "aggregate_id": str(n.originator_id),
        "version": n.originator_version,
        "type": f"{kind}.{type_}",
        "schema_version": None if version is None else int(version),
        "recorded": recorded,
        "actor": payload.get("actor") if isinstance(payload, dict) else None,
        "payload": text,
    }


def _export_events(
    koers: Koers, out: Path, fmt: Format, aside: list[dict[str, Any]], odd: list[OddValue]
) -> tuple[int, int]:
    recorder: Any = koers.recorder
    scheme = recorder.scheme if hasattr(recorder, "scheme") else SubjectScheme("ledger")
    last = recorder.max_notification_id() or 0
    writer = _Writer(out / f"events.{fmt.value}", fmt, EVENT_COLUMNS, "events", ("position",))
    position = 0
    with typer.progressbar(length=last, label="exporting events", file=sys.stderr) as bar:
        for rows in event_rows(koers, scheme, aside):
            writer.write(rows)
            reached = max([r["position"] for r in rows] + [a["position"] for a in aside[-1:]])
            bar.update(max(reached - position, 0))
            position = max(position, reached)
    writer.close()
    odd.extend(writer.odd)
    return writer.count, position


def _export_views(
    koers: Koers,
    out: Path,
    fmt: Format,
    stop: int,
    aside: list[dict[str, Any]],
    odd: list[OddValue],
) -> dict[str, int]:
    from projections import memory_views, quarantine_entries, replay
    from projections._schema import TABLES
    from projections.export import shown_rows

    views = memory_views()
    try:
        with typer.progressbar(length=stop, label="rebuilding views", file=sys.stderr) as bar:
            done = [0]

            def progress(position: int, last: int) -> None:
                bar.update(position - done[0])
                done[0] = position

            replay(koers, views, stop=stop, progress=progress)
        known = {a["position"] for a in aside}
        for row in quarantine_entries(views):
            if row["position"] not in known:  # read, but not applied to the views
                aside.append({k: row[k] for k in ("position", "subject", "reason")})
        (out / "views").mkdir(exist_ok=True)
        counts = {}
        for table in TABLES:
            columns = tuple((n, c.kind.value) for n, c in table.column_kinds.items())
            rows = shown_rows(views, table, withheld=None)  # a withheld pulse: no score
            rows.sort(key=lambda r: tuple((r[k] is None, r[k] or 0) for k in table.key))
            path = out / "views" / f"{table.name}.{fmt.value}"
            writer = _Writer(path, fmt, columns, table.name, table.key)
            writer.write([dict(r) for r in rows])
            writer.close()
            counts[table.name] = writer.count
            odd.extend(writer.odd)
        counts.update(_export_reports(koers, views, out / "views", fmt, odd))
        return counts
    finally:
        views.close()


#: The reports beside the view tables: (column, kind) as for the events.
OBJECTIVE_PROGRESS: Columns = (
    ("objective_id", "text"), ("team", "text"), ("period", "text"), ("title", "text"),
    ("parent_id", "text"), ("status", "text"), ("score", "decimal"), ("progress", "decimal"),
    ("own_progress", "decimal"), ("children_counted", "integer"), ("expected", "decimal"),
    ("track", "text"), ("weight", "decimal"),
)  # fmt: skip
KPIS: Columns = (
    ("kpi_id", "text"), ("team", "text"), ("name", "text"), ("owner", "text"), ("kind", "text"),
    ("direction", "text"), ("target", "decimal"), ("unit", "text"), ("current", "decimal"),
    ("status", "text"), ("trend", "text"), ("trend_from", "decimal"),
    ("trend_measurements", "integer"), ("measurements", "integer"), ("next_step", "text"),
    ("retired", "boolean"),
)  # fmt: skip


def _export_reports(
    koers: Koers, views: Any, out: Path, fmt: Format, odd: list[OddValue]
) -> dict[str, int]:
    """``objective_progress`` (every objective rolled up, docs/metrics.md §1, evaluated now)
    and ``kpis`` (every team's KPI view, §8): the numbers the API and the web show."""
    from ledger.domain import Kpi
    from projections import kpi_status
    from projections.okr import every_objective

    progress = [dataclasses.asdict(o) for o in every_objective(views)]
    kpis = [{**dataclasses.asdict(k), "measurements": len(k.history)}
            for k in kpi_status(koers.all_of(Kpi))]  # fmt: skip
    counts = {}
    for name, columns, rows in (("objective_progress", OBJECTIVE_PROGRESS, progress),
                                ("kpis", KPIS, kpis)):  # fmt: skip
        writer = _Writer(out / f"{name}.{fmt.value}", fmt, columns, name, (columns[0][0],))
        writer.write(sorted(rows, key=lambda r: (r["team"], r[columns[0][0]])))
        writer.close()
        counts[name] = writer.count
        odd.extend(writer.odd)
    return counts


def export(
    out: Annotated[Path, typer.Option("--out", help="The directory to write into.")],
    fmt: Annotated[
        Format, typer.Option("--format", help="parquet, csv or jsonl.", case_sensitive=False)
    ] = Format.jsonl,
    with_views: Annotated[
        bool, typer.Option("--views/--no-views", help="Also export the view tables.")
    ] = True,
    as_json_output: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Export the raw events (one row per event) and the view tables for analytics.

    Example: koers export --format parquet --out ./export
    """
    with koers_app(data_dir) as koers:
        if fmt is Format.parquet:
            _pyarrow()  # fail before writing anything
        out.mkdir(parents=True, exist_ok=True)
        aside: list[dict[str, Any]] = []
        odd: list[OddValue] = []
        count, position = _export_events(koers, out, fmt, aside, odd)
        views = _export_views(koers, out, fmt, position, aside, odd) if with_views else {}
    aside.sort(key=lambda a: a["position"])
    if as_json_output:
        as_json({"out": str(out), "format": fmt.value, "events": count, "position": position,
                 "views": views, "set_aside": aside,
                 "values_set_aside": [v.as_dict() for v in odd]})  # fmt: skip
        return
    tables = f" and {len(views)} view tables" if with_views else ""
    typer.echo(
        f"exported {count} events (up to position {position}){tables} to {out} as {fmt.value}"
    )
    echo_set_aside(aside)
    if odd:
        typer.echo(
            f"set aside {len(odd)} values that are not what their column holds: written empty "
            f"(see docs/metrics.md, 'Column types'):"
        )
        for v in odd:
            key = " ".join(f"{k}={value}" for k, value in v.key.items())
            typer.echo(f"  {v.table}.{v.column}  {key}  {v.reason}")

"""``koers export``: the raw events (and the views) as Parquet, CSV or JSON Lines.

Writes ``<out>/events.<ext>``: one row per event, in stream order, with

    position        the stream sequence (notification id)
    subject         the NATS subject (``ledger.<kind>.<id>.<type>``)
    aggregate_id    the aggregate's id
    version         the aggregate's version
    type            ``<kind>.<type>`` (the Koers-Type header)
    schema_version  N of ``schemas/<type>.v<N>.json`` (empty for foreign topics)
    recorded        when it was recorded (UTC; a Parquet timestamp, else ISO 8601 text)
    actor           who did it
    payload         the event's JSON, exactly as stored (text)

and, unless ``--no-views``, ``<out>/views/<table>.<ext>`` for every view table, rebuilt from
the same events in memory (so events and views describe the same stream position), and two
reports beside them: ``objective_progress`` (every objective's progress rolled up from its
key results and child objectives, evaluated now) and ``kpis`` (every team's KPI view: latest
value, status, trend; read from the KPIs as they are now). Files
appear whole (written beside, then renamed). Progress goes to stderr, the summary to stdout.

A message that is not a Koers event (foreign, see ``ledger.nats._foreign``) or whose payload
is not JSON is not exported as an event, and an event the views cannot apply is not in
them: the export never stops on one, and its summary counts and lists each (position,
subject, reason) under "set aside" (docs/store.md, "Quarantine").
"""

from __future__ import annotations

import csv
import dataclasses
import sys
from collections.abc import Iterator
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Annotated, Any

import orjson
import typer
from eventsourcing.persistence import Notification

from ledger.application import Koers
from ledger.cli._common import DataDir, Json, as_json, koers_app
from ledger.cli._output import echo_set_aside
from ledger.errors import ConfigurationError
from ledger.nats._foreign import ForeignNotification
from ledger.nats._subjects import SubjectScheme, kind_and_type, schema_version

__all__ = ["export"]

PAGE = 1000
#: (column, kind): kind is "int", "str" or "time"
EVENT_COLUMNS = (
    ("position", "int"), ("subject", "str"), ("aggregate_id", "str"), ("version", "int"),
    ("type", "str"), ("schema_version", "int"), ("recorded", "time"), ("actor", "str"),
    ("payload", "str"),
)  # fmt: skip


class Format(StrEnum):
    parquet = "parquet"
    csv = "csv"
    jsonl = "jsonl"


class _Writer:
    """Rows to one file of a format; the file appears (renamed) only on :meth:`close`."""

    def __init__(self, path: Path, fmt: Format, columns: tuple[tuple[str, str], ...]) -> None:
        self.path, self.fmt, self.columns = path, fmt, columns
        self.partial = path.with_name(f".{path.name}.partial")
        self.count = 0
        self._file: IO[Any] | None = None
        self._parquet: Any = None
        if fmt is Format.parquet:
            pa, pq = _pyarrow()
            types = {"int": pa.int64(), "str": pa.string(), "time": pa.timestamp("us", tz="UTC")}
            self._schema = pa.schema([(name, types[kind]) for name, kind in columns])
            self._parquet = pq.ParquetWriter(str(self.partial), self._schema)
        elif fmt is Format.csv:
            self._file = self.partial.open("w", newline="", encoding="utf-8")
            self._csv = csv.writer(self._file)
            self._csv.writerow([name for name, _ in columns])
        else:
            self._file = self.partial.open("wb")

    def write(self, rows: list[dict[str, Any]]) -> None:
        self.count += len(rows)
        if self._parquet is not None:
            pa, _ = _pyarrow()
            self._parquet.write_table(pa.Table.from_pylist(rows, schema=self._schema))
            return
        assert self._file is not None
        if self.fmt is Format.csv:
            for row in rows:
                self._csv.writerow(
                    ["" if row[c] is None else _text(row[c]) for c, _ in self.columns]
                )
            return
        for row in rows:
            self._file.write(orjson.dumps({c: row[c] for c, _ in self.columns}) + b"\n")

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if self._file is not None:
            self._file.close()
        self.partial.replace(self.path)


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


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
    koers: Koers, scheme: SubjectScheme, fmt: Format, aside: list[dict[str, Any]]
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
            row = _row(n, scheme, fmt)
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


def _row(n: Notification, scheme: SubjectScheme, fmt: Format) -> dict[str, Any] | str:
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
        "recorded": _moment(recorded) if fmt is Format.parquet else recorded,
        "actor": payload.get("actor") if isinstance(payload, dict) else None,
        "payload": text,
    }


def _moment(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _export_events(
    koers: Koers, out: Path, fmt: Format, aside: list[dict[str, Any]]
) -> tuple[int, int]:
    recorder: Any = koers.recorder
    scheme = recorder.scheme if hasattr(recorder, "scheme") else SubjectScheme("ledger")
    last = recorder.max_notification_id() or 0
    writer = _Writer(out / f"events.{fmt.value}", fmt, EVENT_COLUMNS)
    position = 0
    with typer.progressbar(length=last, label="exporting events", file=sys.stderr) as bar:
        for rows in event_rows(koers, scheme, fmt, aside):
            writer.write(rows)
            reached = max([r["position"] for r in rows] + [a["position"] for a in aside[-1:]])
            bar.update(max(reached - position, 0))
            position = max(position, reached)
    writer.close()
    return writer.count, position


def _export_views(
    koers: Koers, out: Path, fmt: Format, stop: int, aside: list[dict[str, Any]]
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
            kinds = tuple(
                (n, "str" if t.sql().startswith("TEXT") else "int") for n, t in table.columns
            )
            rows = shown_rows(views, table)
            rows.sort(key=lambda r: tuple((r[k] is None, r[k] or 0) for k in table.key))
            writer = _Writer(out / "views" / f"{table.name}.{fmt.value}", fmt, kinds)
            writer.write([dict(r) for r in rows])
            writer.close()
            counts[table.name] = writer.count
        counts.update(_export_reports(koers, views, out / "views", fmt))
        return counts
    finally:
        views.close()


#: The reports beside the view tables: (column, kind) as for the events.
OBJECTIVE_PROGRESS = (
    ("objective_id", "str"), ("team", "str"), ("period", "str"), ("title", "str"),
    ("parent_id", "str"), ("status", "str"), ("score", "str"), ("progress", "str"),
    ("own_progress", "str"), ("children_counted", "int"), ("expected", "str"), ("track", "str"),
)  # fmt: skip
KPIS = (
    ("kpi_id", "str"), ("team", "str"), ("name", "str"), ("owner", "str"), ("kind", "str"),
    ("direction", "str"), ("target", "str"), ("unit", "str"), ("current", "str"),
    ("status", "str"), ("trend", "str"), ("trend_from", "str"), ("trend_measurements", "int"),
    ("measurements", "int"), ("next_step", "str"), ("retired", "int"),
)  # fmt: skip


def _export_reports(koers: Koers, views: Any, out: Path, fmt: Format) -> dict[str, int]:
    """``objective_progress`` (every objective rolled up, docs/metrics.md §1, evaluated now)
    and ``kpis`` (every team's KPI view, §8): the numbers the API and the web show."""
    from ledger.domain import Kpi
    from projections import kpi_status
    from projections.okr import every_objective

    progress = [dataclasses.asdict(o) for o in every_objective(views)]
    kpis = [{**dataclasses.asdict(k), "measurements": len(k.history), "retired": int(k.retired)}
            for k in kpi_status(koers.all_of(Kpi))]  # fmt: skip
    counts = {}
    for name, columns, rows in (("objective_progress", OBJECTIVE_PROGRESS, progress),
                                ("kpis", KPIS, kpis)):  # fmt: skip
        writer = _Writer(out / f"{name}.{fmt.value}", fmt, columns)
        writer.write(sorted(rows, key=lambda r: (r["team"], r[columns[0][0]])))
        writer.close()
        counts[name] = writer.count
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
        count, position = _export_events(koers, out, fmt, aside)
        views = _export_views(koers, out, fmt, position, aside) if with_views else {}
    aside.sort(key=lambda a: a["position"])
    if as_json_output:
        as_json({"out": str(out), "format": fmt.value, "events": count, "position": position,
                 "views": views, "set_aside": aside})  # fmt: skip
        return
    tables = f" and {len(views)} view tables" if with_views else ""
    typer.echo(
        f"exported {count} events (up to position {position}){tables} to {out} as {fmt.value}"
    )
    echo_set_aside(aside)

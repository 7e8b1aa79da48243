"""``koers projections``: run, rebuild, export and inspect the views.

``koers projections …`` (wired in :mod:`ledger.cli._app`); ``python -m ledger.cli projections``
runs the same commands without the console script.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from ledger.bootstrap import bootstrap
from ledger.cli._common import DataDir, Json, local_settings
from ledger.cli._output import echo_set_aside, emit_json, fail, friendly_errors
from ledger.cli._tree import group
from ledger.settings import Settings
from projections import quarantine_entries
from projections._lock import ViewsBusy
from projections.export import export as export_views
from projections.replay import views_as_of
from projections.runner import ViewRunner
from projections.views import KoersViews, open_views

__all__ = ["projections"]

projections = group("projections", no_args_is_help=True)

ViewsPath = Annotated[
    Path | None,
    typer.Option(
        "--views",
        help="The view database, a SQLite file [env KOERSVIEWS_SQLITE_DBNAME; default "
        "<data dir>/views.sqlite3, or PostgreSQL when KOERS_VIEWS_URL is set].",
        show_default=False,
    ),
]


def _settings(data_dir: Path | None) -> Settings:
    return local_settings(data_dir)


def _env(data_dir: Path | None) -> dict[str, str]:
    """What a view runner is built from: the views' settings and the store's."""
    settings = _settings(data_dir)
    return settings.views.with_store(settings.store.as_env())


@contextmanager
def _runner(data_dir: Path | None, views: Path | None) -> Iterator[ViewRunner]:
    with friendly_errors():
        try:
            runner = ViewRunner(_env(data_dir), views)
        except ViewsBusy as e:
            fail(str(e), "conflict")
        try:
            yield runner
        finally:
            runner.close()


@projections.command(epilog="\b\nExample: koers projections run --data-dir ./ledger-data")
def run(data_dir: DataDir = None, views: ViewsPath = None) -> None:
    """Keep the views up to date with the log until interrupted (Ctrl-C or SIGTERM)."""
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with _runner(data_dir, views) as runner:
        runner.start()
        typer.echo(f"following the log into {runner.where} from position {runner.started_from}")
        try:
            while not done.wait(0.5):
                if runner.error is not None:
                    fail(f"the views stopped: {runner.error}", "unexpected")
        except KeyboardInterrupt:
            pass
        typer.echo(f"stopped at position {runner.position}")


@projections.command(epilog="\b\nExample: koers projections rebuild --json")
def rebuild(data_dir: DataDir = None, views: ViewsPath = None, as_json: Json = False) -> None:
    """Replay the whole log into fresh views, then swap them in for the current ones.

    Events that cannot be read or applied are set aside (counted and listed), not a stop.

    Example: koers projections rebuild
    """
    with (
        _runner(data_dir, views) as runner,
        typer.progressbar(length=1, label="replaying the log", file=sys.stderr) as bar,
    ):
        state = {"done": 0}

        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - state["done"])
            state["done"] = done

        started = time.perf_counter()
        position = runner.rebuild(progress=progress)
        seconds = time.perf_counter() - started
        aside = quarantine_entries(runner.views)
    rate = position / seconds if seconds > 0 else 0.0
    if as_json:
        emit_json({"position": position, "seconds": round(seconds, 3), "events_per_second": rate,
                   "set_aside": aside})  # fmt: skip
        return
    typer.echo(
        f"rebuilt the views to position {position} in {seconds:.2f} s ({rate:,.0f} events/s)"
    )
    echo_set_aside(aside)


@projections.command(epilog="\b\nExample: koers projections export v.jsonl --as-of-position 9")
def export(
    out: Annotated[Path, typer.Argument(help="Where to write the export (JSON lines).")],
    data_dir: DataDir = None,
    views: ViewsPath = None,
    position: Annotated[
        int | None, typer.Option("--as-of-position", help="Views as of this stream position.")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Views as of this recorded time (ISO 8601).")
    ] = None,
) -> None:
    """Write every view table, sorted, to a file (equal views give equal bytes)."""
    with friendly_errors():
        if position is None and as_of is None:
            store = open_views(_env(data_dir), path=views)
            try:
                size = export_views(store, out)
            finally:
                store.close()
        else:
            size = _export_as_of(data_dir, out, position, as_of)
    typer.echo(f"wrote {size} bytes to {out}")


def _export_as_of(data_dir: Path | None, out: Path, position: int | None, as_of: str | None) -> int:
    from ledger.cli._common import parse_moment

    moment: datetime | None = parse_moment(as_of) if as_of else None
    with bootstrap(_settings(data_dir)) as runtime:
        store: KoersViews = views_as_of(runtime.app, position=position, time=moment)
        try:
            return export_views(store, out)
        finally:
            store.close()


@projections.command(epilog="\b\nExample: koers projections status --json")
def status(data_dir: DataDir = None, views: ViewsPath = None, as_json: Json = False) -> None:
    """How far the views are: their position and the log's last position."""
    with friendly_errors():
        store = open_views(_env(data_dir), path=views)
        try:
            with bootstrap(_settings(data_dir)) as runtime:
                position = store.position
                last = runtime.app.recorder.max_notification_id() or 0
        finally:
            store.close()
    if as_json:
        emit_json({"position": position, "last": last, "behind": last - position})
        return
    typer.echo(f"views at position {position} of {last} ({last - position} behind)")

"""``koers cluster up`` (the cluster stack on this machine) and ``koers cluster entry``."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Annotated

import typer

from ledger.cli._common import DataDir
from ledger.cli._output import fail, friendly_errors
from ledger.cli._tree import group
from ledger.settings import Settings

__all__ = ["cluster"]

cluster = group("cluster", no_args_is_help=True)


@cluster.command(epilog="\b\nExample: koers cluster up --port 8000 --nats-port 4222")
def up(
    data_dir: DataDir = None,
    port: Annotated[
        int,
        typer.Option(
            min=0,
            max=65533,
            help="The entry's port; the two APIs take the next two (0: free ports).",
        ),
    ] = 8000,
    nats_port: Annotated[
        int,
        typer.Option(
            "--nats-port",
            min=0,
            max=65000,
            help="Client port of node n1 (n2, n3: "
            "the next two; routes +100, monitoring +200; 0: free ports).",
        ),
    ] = 4222,
    postgres_port: Annotated[
        int,
        typer.Option(
            "--postgres-port",
            min=0,
            max=65535,
            help="PostgreSQL's port, for the views (0: a free port).",
        ),
    ] = 5432,
) -> None:
    """Start three nats-server nodes (deploy/nats/), the streams at R3, PostgreSQL for the
    views, the views projector, two worker processes and two API processes behind one entry;
    print where everything is; stop it all on Ctrl-C or SIGTERM. Data in <data dir>/cluster."""
    from ledger.cluster import LocalCluster

    stop = threading.Event()

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt  # while starting: stop what started (LocalCluster.start)

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, interrupt)
    with friendly_errors():
        root = Settings.from_env(data_dir=data_dir).store.data_dir / "cluster"
        stack = LocalCluster(root, port=port, nats_port=nats_port, postgres_port=postgres_port)
        typer.echo(f"koers: starting the cluster in {root}", err=True)
        try:  # stopped in the end whatever happens: start() stops what it started itself
            try:
                stack.start()
            except KeyboardInterrupt:
                fail("stopped while starting; what had started is stopped", "unavailable")
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, handle)
            typer.echo(stack.describe(), err=True)
            reported: set[int] = set()
            while not stop.wait(0.5):
                for process in stack.exited():
                    if process.pid not in reported and process.proc is not None:
                        reported.add(process.pid or 0)
                        code = process.proc.returncode
                        typer.echo(f"koers: {process.name} (pid {process.pid}) exited with "
                                   f"{code}: see {process.log}", err=True)  # fmt: skip
        finally:
            typer.echo("koers: stopping the cluster", err=True)
            stack.stop()
    typer.echo("koers: cluster stopped", err=True)


@cluster.command(epilog="\b\nExample: koers cluster entry --listen 0.0.0.0:8000 "
                 "--backend api-1:8000 --backend api-2:8000")  # fmt: skip
def entry(
    listen: Annotated[str, typer.Option(help="host:port to listen on.")] = "127.0.0.1:8000",
    backend: Annotated[
        list[str] | None, typer.Option(help="host:port of an API process (repeat).")
    ] = None,
) -> None:
    """One address in front of the API processes: each connection goes to the next one that
    answers (round robin); 503 when none does. Until Ctrl-C or SIGTERM."""
    from ledger.cluster import Entry, parse_address, run_entry

    try:
        made = Entry(parse_address(listen), [parse_address(b) for b in backend or []])
    except ValueError as e:
        fail(str(e), "bad_input")
    typer.echo(f"koers: entry on {listen} in front of {', '.join(backend or [])}", err=True)
    run_entry(made)

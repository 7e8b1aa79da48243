"""`koers audit …`: verify the ledger against its signed checkpoints, sign one, prove events,
export a bundle for auditors, list decisions for them, show the public key, rotate the key.

Exit codes: 0 all verified, 6 the log does not match what was signed (each problem printed
with its position and kind), and the usual ones (2 bad input, 4 store unreachable…).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn
from uuid import UUID

import typer

from ledger.audit._checkpoint import format_time
from ledger.audit._store import AuditStore
from ledger.audit._verify import Trust, verify_log
from ledger.audit.auditlog import decision_log
from ledger.audit.checkpointer import Checkpointer
from ledger.audit.export import PROOF_CHOICES, export_bundle
from ledger.audit.proofs import prove
from ledger.audit.report import AuditReport, Problem
from ledger.audit.startup import signing_key, trust_for
from ledger.cli._common import DataDir, Json, local_settings
from ledger.cli._output import emit_json, fail, friendly_errors
from ledger.cli._tree import group
from ledger.nats._keys import (
    key_id,
    load_or_create_signing_key,
    load_signing_key,
    public_key_pem,
    rotate_signing_key,
)
from ledger.settings import AuditSettings, Settings, StoreSettings
from projections import views_position

__all__ = ["EXIT_DAMAGED", "audit"]

#: The exit code when the log does not match its signed checkpoints.
EXIT_DAMAGED = 6

audit = group(
    "audit",
    epilog="Exit codes: 0 verified, 6 the log does not match what was signed; see "
    "docs/audit.md. Settings: KOERS_CHECKPOINT_EVERY, KOERS_CHECKPOINT_SECONDS, "
    "KOERS_CHECKPOINT_DIR, KOERS_SIGNING_KEY, KOERS_AUDIT_READERS.",
)

PublicKey = Annotated[
    Path | None,
    typer.Option(
        "--public-key",
        metavar="PEM",
        help="The Ed25519 public key (PEM) you trust [default: the public half of the "
        "signing key in the data directory].",
        show_default=False,
    ),
]
Kept = Annotated[
    list[Path] | None,
    typer.Option(
        "--checkpoint",
        metavar="FILE",
        help="A file of checkpoints you kept (JSON lines), besides KOERS_CHECKPOINT_DIR (repeat).",
        show_default=False,
    ),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
SignedFrom = Annotated[
    int,
    typer.Option(
        "--signed-from",
        metavar="SEQ",
        min=1,
        help="Check event signatures from this sequence on: the events before it were "
        "written before Koers signed events (a log from an older version).",
    ),
]


@contextmanager
def _opened(
    data_dir: Path | None, public_key: Path | None = None, kept: list[Path] | None = None
) -> Iterator[tuple[StoreSettings, AuditSettings, AuditStore, Trust]]:
    settings = local_settings(data_dir)
    store_settings, audit_settings = settings.store, settings.audit
    trust = trust_for(store_settings, audit_settings, public_key=public_key, kept_files=kept or [])
    store = AuditStore.open(store_settings)
    try:
        yield store_settings, audit_settings, store, trust
    finally:
        store.close()


@contextmanager
def _progress(store: AuditStore, quiet: bool, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr (shown on a terminal only) over the events of the stream."""
    state = store.state()
    total = state.messages if state is not None else 0
    if quiet or not total or not sys.stderr.isatty():
        yield lambda _: None
        return
    with typer.progressbar(length=total, label=label, file=sys.stderr, show_pos=True) as bar:
        yield bar.update


def _header(store: AuditStore, doing: str) -> None:
    typer.echo(f"koers audit: {doing} {store.describe()}", err=True)


def _finish(report: AuditReport, as_json: bool) -> NoReturn:
    if as_json:
        emit_json(report.as_dict())
    else:
        typer.echo("\n".join(report.lines()))
        if not report.ok:
            typer.echo(
                "The log does not match what was signed. Each line above gives the position "
                "and the kind of damage (docs/audit.md explains each kind); keep the data "
                "directory as it is, and export a copy for investigation with "
                "'koers audit export --out <folder>'.",
                err=True,
            )
    raise typer.Exit(0 if report.ok else EXIT_DAMAGED)


@audit.command("verify", epilog="Example: koers audit verify --checkpoint ~/kept/LEDGER.jsonl")
def verify_command(
    data_dir: DataDir = None,
    public_key: PublicKey = None,
    checkpoint: Kept = None,
    as_json: Json = False,
    quiet: Quiet = False,
    signed_from: SignedFrom = 1,
) -> None:
    """Recompute the Merkle tree of the whole ledger and hold it against every checkpoint.

    Checks each checkpoint's signature and each event's own signature, proves each
    checkpoint consistent with the next and the last with the current log, and compares the
    log with the checkpoints kept outside NATS. Names each changed, deleted, swapped, moved,
    inserted, unsigned or wrongly signed event and a truncated or rewritten log, with its
    position.
    """
    opened = _opened(data_dir, public_key, checkpoint)
    with friendly_errors(), opened as (_, audit_settings, store, trust):
        _header(store, "verifying")
        with _progress(store, quiet or as_json, "verifying") as progress:
            report = verify_log(
                store, trust, progress=progress, signatures_from=signed_from - 1,
                readers=audit_settings.readers, min_range=audit_settings.range_min,
            ).report  # fmt: skip
        _hold_against_the_views(report, local_settings(data_dir))
    _finish(report, as_json)


def _hold_against_the_views(report: AuditReport, settings: Settings) -> None:
    """The views remember how many events they reflect: more than the log holds means
    events were deleted, even before any checkpoint was kept (docs/audit.md)."""
    position, where = views_position(settings.views.with_store(settings.store.as_env()))
    if position > report.last_seq:
        report.problems.append(
            Problem(
                "truncated",
                f"views at position {position}",
                f"the views in {where} reflect {position} events, the log ends at seq "
                f"{report.last_seq}: events were deleted or the stream emptied; restore it "
                f"(docs/audit.md, 'When the ledger is gone')",
                seq=report.last_seq + 1,
            )
        )


@audit.command("checkpoint", epilog="Example: koers audit checkpoint")
def checkpoint_command(
    data_dir: DataDir = None, as_json: Json = False, quiet: Quiet = False
) -> None:
    """Verify the ledger, then sign a checkpoint of it now (koers serve does so every
    KOERS_CHECKPOINT_EVERY events or KOERS_CHECKPOINT_SECONDS seconds)."""
    with friendly_errors(), _opened(data_dir) as (settings, audit_settings, store, trust):
        _header(store, "signing a checkpoint of")
        checkpointer = Checkpointer(store, signing_key(settings, audit_settings), audit_settings)
        with _progress(store, quiet or as_json, "verifying") as progress:
            report = checkpointer.catch_up(trust, progress)
        if report.tampered:  # foreign messages alone are signed as stored (set aside)
            _finish(report, as_json)
        made = checkpointer.checkpoint_now()
    kept = checkpointer.outside
    if as_json:
        signed = json.loads(made.to_json()) if made else None
        emit_json({"checkpoint": signed, "size": checkpointer.size, "kept_in": str(kept)})
        return
    if made is None:
        typer.echo(f"up to date: the last checkpoint covers all {checkpointer.size} events")
        return
    typer.echo(
        f"signed: checkpoint size {made.size}, root {made.root.hex()}, "
        f"{format_time(made.time)} by key {made.key_id}; kept in {kept}"
    )


def _target(ident: str) -> tuple[int | None, str | None]:
    text = ident.strip()
    if text.isdigit():
        return int(text), None
    try:
        return None, str(UUID(text))
    except ValueError:
        if not text:
            raise typer.BadParameter("give a stream position or an id") from None
        return None, text


@audit.command("prove", epilog="Example: koers audit prove 12d4cb5f-c25c-4374-9e55-4cf367403d66")
def prove_command(
    ident: Annotated[
        str,
        typer.Argument(
            metavar="ID",
            help="A stream position (seq), or an id: proves "
            "every event of that decision (or other aggregate).",
        ),
    ],
    data_dir: DataDir = None,
    public_key: PublicKey = None,
    checkpoint: Kept = None,
    as_json: Json = False,
    quiet: Quiet = False,
) -> None:
    """An inclusion proof for an event, or every event of a decision, against the latest
    signed checkpoint that covers it (checked before it is shown)."""
    seq, aggregate = _target(ident)
    with (
        friendly_errors(),
        _opened(data_dir, public_key, checkpoint) as (_, _, store, trust),
        _progress(store, quiet or as_json, "reading") as progress,
    ):
        result = prove(store, trust, seq=seq, aggregate=aggregate, progress=progress)
    if not result.found:
        fail(
            f"no event {ident} in the ledger: give a stream position or an aggregate id",
            "bad_input",
        )
    if as_json:
        emit_json([p.as_json() for p in result.proofs])
    else:
        for proof in result.proofs:
            typer.echo("\n".join(proof.lines()))
    for seq_, why in result.unproven:
        typer.echo(f"koers audit: no proof for seq {seq_}: {why}", err=True)
    if not result.report.ok:
        typer.echo("\n".join(result.report.lines()), err=True)
        raise typer.Exit(EXIT_DAMAGED)
    raise typer.Exit(2 if result.unproven else 0)


@audit.command("export", epilog="Example: koers audit export --out ./audit-2026-q4")
def export_command(
    out: Annotated[Path, typer.Option("--out", help="A new (or empty) folder for the bundle.")],
    proofs: Annotated[
        str,
        typer.Option(
            help="all: a proof per event and between checkpoints; checkpoints: "
            "only between checkpoints (smaller)."
        ),
    ] = "all",
    data_dir: DataDir = None,
    public_key: PublicKey = None,
    quiet: Quiet = False,
) -> None:
    """Write an audit bundle (events as JSON lines, checkpoints, public key, proofs) that the
    standalone verifier (ledger/audit/verifier.py) checks offline."""
    if proofs not in PROOF_CHOICES:
        raise typer.BadParameter(f"--proofs is one of {', '.join(PROOF_CHOICES)}")
    with friendly_errors(), _opened(data_dir, public_key) as (_, _, store, trust):
        _header(store, "exporting")
        with _progress(store, quiet, "exporting") as progress:
            done = export_bundle(store, trust, out, proofs=proofs, progress=progress)
    typer.echo(
        f"exported {done.events} events, {done.checkpoints} checkpoints and {done.proofs} "
        f"proofs to {done.path}\ncheck it offline: python -m ledger.audit.verifier {done.path} "
        f"--public-key <the key you were given>"
    )
    if not done.report.ok:
        typer.echo("\n".join(done.report.lines()), err=True)
        raise typer.Exit(EXIT_DAMAGED)


@audit.command("log", epilog="Example: koers audit log --team platform")
def log_command(
    team: Annotated[str | None, typer.Option(help="Only this team's decisions.")] = None,
    data_dir: DataDir = None,
    public_key: PublicKey = None,
    as_json: Json = False,
) -> None:
    """The auditor's view: every decision, who decided what when, on which options,
    criteria and information, and the reference of its proof."""
    with friendly_errors(), _opened(data_dir, public_key) as (_, _, store, trust):
        result = decision_log(store, trust, team=team)
    if as_json:
        emit_json(result.as_dict())
        return
    if not result.decisions:
        typer.echo("no decisions" + (f" of team {team}" if team else ""))
    for record in result.decisions:
        typer.echo("\n".join(record.lines()))


@audit.command("public-key", epilog="Example: koers audit public-key --out koers-audit.pem")
def public_key_command(
    out: Annotated[Path | None, typer.Option("--out", help="Write the PEM to this file.")] = None,
    data_dir: DataDir = None,
) -> None:
    """The public key that checks the checkpoints (PEM), to give to auditors; the signing
    key is created on first use."""
    with friendly_errors():
        settings = local_settings(data_dir)
        if settings.audit.key_file is not None:
            key = load_signing_key(settings.audit.key_file)
        else:
            key = load_or_create_signing_key(settings.store.data_dir)
        pem = public_key_pem(key)
        if out is not None:
            out.write_bytes(pem)
    typer.echo(f"key id {key_id(key)}", err=True)
    if out is None:
        typer.echo(pem.decode("ascii"), nl=False)


@audit.command("rotate-key", epilog="Example: koers audit rotate-key")
def rotate_key_command(data_dir: DataDir = None) -> None:
    """Make a new signing key and retire the current one: its public half stays in
    keys/<id>.pub beside the key, so events and checkpoints signed with it still verify.
    Restart koers serve and the workers afterwards, and give auditors the new public key."""
    with friendly_errors():
        settings = local_settings(data_dir)
        path = settings.audit.key_path(settings.store.data_dir)
        old, new = rotate_signing_key(path)
    typer.echo(
        f"rotated: new key {new} in {path}; key {old} retired, its public key kept in "
        f"{path.parent / 'keys' / f'{old}.pub'}\nrestart 'koers serve' and the workers to sign "
        f"with the new key, and hand auditors the new public key ('koers audit public-key')"
    )

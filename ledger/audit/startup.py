"""Opening the audit trail for a command or a server: the store, the key, what is trusted.

For ``koers serve``::

    auditor = start_auditing(store, audit)  # verifies the whole log, then follows it
    try:
        ...serve...
    finally:
        auditor.close()                     # signs what is left, stops following

:func:`start_auditing` raises :class:`LogTampered` (and serves nothing) when the log no
longer matches its signed checkpoints; :func:`check_before_serving` is the same check alone.
Both read every event once (10-14 s per million events on the 2-core VM of BENCHMARKS.md);
the checkpointer continues from that read. Call them after the application is open (its
embedded server then runs, and the audit's connection only reuses it) and close the service
before the application.

What a verification trusts: the public half of the signing key (``KOERS_SIGNING_KEY``, by
default ``<data dir>/audit/signing.key``), or a PEM public key given instead; and the
checkpoints kept outside NATS (``KOERS_CHECKPOINT_DIR``, by default in the data directory)
plus any files given.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.audit._merkle import AuditError
from ledger.audit._outside import read_kept
from ledger.audit._store import AuditStore
from ledger.audit._verify import Trust, verify_log
from ledger.audit.checkpointer import Checkpointer
from ledger.audit.report import AuditReport
from ledger.errors import StoreError
from ledger.nats._keys import load_public_key, load_signing_key, retired_keys, signing_key
from ledger.settings import AuditSettings, StoreSettings

__all__ = [
    "AuditService",
    "LogTampered",
    "check_before_serving",
    "signing_key",
    "start_auditing",
    "trust_for",
]

log = logging.getLogger(__name__)

Progress = Callable[[int], None]


def _refuse(report: AuditReport, settings: StoreSettings, audit: AuditSettings) -> AuditError:
    """The error that stops a server: a missing key, or a log that does not match."""
    if set(report.counts()) == {"no-key"}:
        return AuditError(
            f"the ledger {report.stream} has signed checkpoints but the signing key "
            f"{audit.key_path(settings.data_dir)} is missing, so it cannot be checked: restore "
            f"the key (or point KOERS_SIGNING_KEY at it); see docs/audit.md"
        )
    return LogTampered(
        report, settings.data_dir, audit.outside_file(settings.stream, settings.data_dir)
    )


class LogTampered(AuditError, StoreError):
    """The ledger no longer matches its signed checkpoints. ``report`` holds every finding."""

    def __init__(self, report: AuditReport, data_dir: Path, outside: Path) -> None:
        self.report = report
        kept = f", compare with the checkpoints kept in {outside}"
        super().__init__(
            f"the ledger {report.stream} no longer matches its signed checkpoints, so it is "
            f"not served ({len(report.problems)} problems: {report.summary(3)}). Nothing was "
            f"changed. To investigate: run 'koers audit verify --data-dir {data_dir}' for "
            f"every position and kind of damage{kept}, and see docs/audit.md ('When the "
            f"startup check fails'). KOERS_AUDIT=no serves it anyway, unchecked."
        )


def trust_for(
    settings: StoreSettings,
    audit: AuditSettings,
    *,
    public_key: Path | None = None,
    kept_files: Iterable[Path] = (),
) -> Trust:
    """The key to check signatures with (``public_key``, else the signing key's public half,
    if there is one yet, and the keys it retired) and every checkpoint kept outside NATS."""
    key: Ed25519PublicKey | None = None
    retired: dict[str, Ed25519PublicKey] = {}
    if public_key is not None:
        try:
            key = load_public_key(public_key.read_bytes())
        except OSError as e:
            raise AuditError(f"the public key {public_key} cannot be read ({e.strerror})") from e
    else:
        path = audit.key_path(settings.data_dir)
        if path.exists():
            key = load_signing_key(path).public_key()
        retired = retired_keys(path)
    kept = []
    for path in [audit.outside_file(settings.stream, settings.data_dir), *kept_files]:
        kept += read_kept(path)
    return Trust(key, kept, retired)


def check_before_serving(
    settings: StoreSettings,
    audit: AuditSettings,
    *,
    progress: Progress | None = None,
) -> None:
    """Verify the whole ledger; raise :class:`LogTampered` when it does not hold (or
    :class:`AuditError` when there are checkpoints but the signing key is gone)."""
    store = AuditStore.open(settings)
    try:
        trust = trust_for(settings, audit)
        report = verify_log(store, trust, progress=progress, signatures_from=None).report
    finally:
        store.close()
    if report.tampered:
        raise _refuse(report, settings, audit)
    _warn_foreign(report)


def _warn_foreign(report: AuditReport) -> None:
    foreign = [p.where for p in report.problems if p.kind == "foreign"]
    if foreign:
        log.warning(
            "audit: %d messages in %s were not written by Koers (%s); they are set aside, "
            "see 'koers quarantine list' and docs/store.md ('Quarantine')",
            len(foreign), report.stream, ", ".join(foreign[:5]),
        )  # fmt: skip


class AuditService:
    """A checkpointer following the log in a daemon thread, until :meth:`close`."""

    def __init__(self, checkpointer: Checkpointer, report: AuditReport) -> None:
        self.checkpointer = checkpointer
        self.report = report  # what the startup check found
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=checkpointer.run, args=(self._stop,), name="koers-checkpointer", daemon=True
        )
        self._thread.start()

    def close(self, timeout: float = 30.0) -> None:
        """Stop following, sign what is left, close the connection; idempotent."""
        if not self._stop.is_set():
            self._stop.set()
            self._thread.join(timeout)
            self.checkpointer.store.close()


def start_auditing(
    settings: StoreSettings,
    audit: AuditSettings,
    *,
    progress: Progress | None = None,
) -> AuditService | None:
    """The startup check, then the checkpointer in the background; ``None`` when the audit
    trail is turned off (``KOERS_AUDIT=no``). Raises :class:`LogTampered` (or, when there
    are checkpoints but the signing key is gone, :class:`AuditError`)."""
    if not audit.enabled:
        log.warning("audit: KOERS_AUDIT=no: the ledger is neither checked nor checkpointed")
        return None
    store = AuditStore.open(settings)
    try:
        trust = trust_for(settings, audit)
        verification = verify_log(
            store, trust, progress=progress, records=True, signatures_from=None
        )
        if not verification.report.tampered:
            _warn_foreign(verification.report)
            checkpointer = Checkpointer(store, signing_key(settings, audit), audit)
            checkpointer.start_from(verification)
            return AuditService(checkpointer, verification.report)
    except BaseException:
        store.close()
        raise
    store.close()
    raise _refuse(verification.report, settings, audit)

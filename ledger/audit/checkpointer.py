"""The checkpointer: follows the ledger and signs a checkpoint every N events or T seconds.

It starts by verifying the whole log (:func:`~ledger.audit._verify.verify_log`: that is the
startup check of ``koers serve``), keeps only the right edge of the tree from it
(:class:`~ledger.audit._frontier.Frontier`), then polls the stream for what was written since:

- every event's leaf goes onto the frontier, and its leaf record (leaf hash, content key)
  into a buffer; a hole in the sequences stops the signing for good (:attr:`problem`): a
  checkpoint must never vouch for a damaged log. A message that is not a Koers event as
  stored (no ``Koers-Payload-Sha256``, or a payload that does not have it) or an event not
  signed by a trusted key (a forgery by a client with publish rights) does not: the tree
  covers its stored bytes like any other, the readers set it aside (docs/store.md,
  "Quarantine") and ``koers audit verify`` names it by its signature for ever; it is logged
  once here (stopping would let one forged message end checkpointing for good);
- at each multiple of ``KOERS_CHECKPOINT_EVERY`` it signs the root of exactly that many
  events, and ``KOERS_CHECKPOINT_SECONDS`` after the last checkpoint it signs whatever size
  the log has reached (if it grew);
- each checkpoint is published with the leaf records since the previous one (the records
  first), then appended to the file kept outside NATS (``KOERS_CHECKPOINT_DIR``, by default
  ``<data dir>/audit/checkpoints/``). A failed outside write is retried with the next
  checkpoint, and logged.

Nothing secret is kept but the signing key. One thread owns the follower (:meth:`run`);
:meth:`checkpoint_now` may be called from that thread or before it starts.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.audit._checkpoint import Checkpoint, sign
from ledger.audit._frames import Frame
from ledger.audit._frontier import Frontier
from ledger.audit._merkle import AuditError
from ledger.audit._outside import append_kept
from ledger.audit._scan import RECORD_SIZE, Scan
from ledger.audit._store import AuditStore
from ledger.audit._verify import Trust, Verification, verify_log
from ledger.audit.report import AuditReport
from ledger.errors import StoreUnavailable
from ledger.nats._keys import TrustedKeys, key_id
from ledger.settings import AuditSettings

__all__ = ["Checkpointer"]

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0  # each poll opens a consumer: once a second keeps that cost small


class Checkpointer:
    """Signs checkpoints of the ledger of ``store`` with ``key`` (see the module doc)."""

    def __init__(
        self,
        store: AuditStore,
        key: Ed25519PrivateKey,
        audit: AuditSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.key = key
        self.audit = audit
        self.outside = audit.outside_file(store.stream, store.nats.data_dir)
        self.clock = clock
        self.frontier = Frontier()
        self.records = bytearray()  # leaf records of sequences signed_size + 1 .. size
        self.signed_size = 0
        self.signed_at = clock()
        self.problem: str | None = None
        self.keys: TrustedKeys = {}  # whose event signatures are accepted
        self.made: list[Checkpoint] = []
        self._unkept: list[Checkpoint] = []
        self._started = False
        self._stream_ready = False

    @property
    def size(self) -> int:
        return self.frontier.size

    def catch_up(self, trust: Trust, progress: Callable[[int], None] | None = None) -> AuditReport:
        """Verify the whole log and, if it holds, continue from its end."""
        verification = verify_log(self.store, trust, progress=progress, records=True)
        if not verification.report.tampered:
            self.start_from(verification)
        return verification.report

    def start_from(self, verification: Verification) -> None:
        """Continue after a verification that found nothing wrong (but foreign messages)."""
        if verification.report.tampered:
            raise AuditError("the checkpointer cannot continue from a log that does not verify")
        scan = verification.scan
        self.frontier = Frontier.of(scan.tree)
        self.records = scan.records
        self.signed_size = verification.signed[-1].size if verification.signed else 0
        own = self.key.public_key()  # trusted even when the log was verified before it existed
        self.keys = {**verification.keys, key_id(own): own}
        self.signed_at = self.clock()
        self._started = True

    def poll(self) -> list[Checkpoint]:
        """Read what was written since the last poll and sign what is due; returns the
        checkpoints made (none once a problem stopped the signing)."""
        if not self._started:
            raise AuditError("call catch_up() (or start_from()) before following the log")
        if self.problem is not None:
            return []
        due: list[tuple[Checkpoint, int]] = []
        state = self.store.state()
        if state is not None and state.last_seq > self.size:  # else nothing new to read
            follow = functools.partial(self._follow, due=due)
            self.store.read(follow, start=self.size + 1, stop=state.last_seq)
        if (
            self.problem is None
            and self.size > self.signed_size
            and (self.clock() - self.signed_at >= self.audit.seconds)
        ):
            due.append((self._sign(), self.size))
        self._publish(due)
        return [c for c, _ in due]

    def checkpoint_now(self) -> Checkpoint | None:
        """Read to the end and sign its size now (``None`` if nothing new since the last)."""
        made = self.poll()
        if self.problem is not None:
            raise AuditError(f"the log is damaged, nothing was signed: {self.problem}")
        if self.size > self.signed_size:
            checkpoint = self._sign()
            self._publish([(checkpoint, self.size)])
            made.append(checkpoint)
        return made[-1] if made else None

    def _follow(self, frames: list[Frame], due: list[tuple[Checkpoint, int]]) -> None:
        """Take the next frames: leaves onto the frontier, records into the buffer, a
        checkpoint at each multiple; stop before the first damaged message."""
        if self.problem is not None:
            return
        scan = Scan(records_from=0, keys=self.keys)
        scan.last_seq = self.size
        scan.add(frames)  # leaves, records, holes, digests and signatures, with the fast loop
        scan.settle()
        first_bad, why = _first_problem(scan)
        for seq, what in sorted(_set_aside(scan)):
            if seq < first_bad:
                log.warning(
                    "audit: message %d in %s %s; it is signed as stored and set aside by the "
                    "readers (koers quarantine list, koers audit verify)",
                    seq, self.store.stream, what,
                )  # fmt: skip
        every, leaves, records = self.audit.every, scan.leaves, scan.records
        for i, seq in enumerate(scan.seqs):
            if seq >= first_bad:
                break
            self.frontier.append(bytes(leaves[i * 32 : i * 32 + 32]))
            self.records += records[i * RECORD_SIZE : (i + 1) * RECORD_SIZE]
            if seq % every == 0:
                due.append((self._sign(), seq))
        if why:
            self._stop(why)

    def _sign(self) -> Checkpoint:
        checkpoint = sign(self.key, self.store.stream, self.size, self.frontier.root())
        self.signed_at = self.clock()
        return checkpoint

    def _publish(self, due: list[tuple[Checkpoint, int]]) -> None:
        if due and not self._stream_ready:
            self.store.ensure_checkpoint_stream()
            self._stream_ready = True
        for checkpoint, size in due:
            count = size - self.signed_size
            first = self.signed_size + 1
            self.store.publish(checkpoint, bytes(self.records[: count * RECORD_SIZE]), first)
            del self.records[: count * RECORD_SIZE]
            self.signed_size = size
            self.made.append(checkpoint)
            self._unkept.append(checkpoint)
        if self._unkept:
            try:
                append_kept(self.outside, self._unkept)
                self._unkept.clear()
            except OSError as e:
                log.warning(
                    "could not append %d checkpoints to %s (%s): retried with the next one",
                    len(self._unkept), self.outside, e,
                )  # fmt: skip

    def _stop(self, why: str) -> None:
        self.problem = why
        log.error(
            "audit: the ledger %s is damaged (%s); no checkpoint will be signed. Run "
            "'koers audit verify' to see what happened",
            self.store.stream, why,
        )  # fmt: skip

    def run(self, stop: threading.Event, poll: float = POLL_SECONDS) -> None:
        """Follow the log until ``stop`` is set; then sign what is left (a clean stop)."""
        while not stop.wait(poll):
            try:
                self.poll()
            except StoreUnavailable as e:
                log.warning("audit: cannot read the ledger now (%s); trying again", e)
            except Exception:  # a thread that dies would stop signing without a word
                log.exception("audit: the checkpointer failed; trying again in %g s", poll)
        try:
            if self.problem is None:
                self.checkpoint_now()
        except StoreUnavailable as e:
            log.warning("audit: no final checkpoint (%s)", e)
        except Exception:
            log.exception("audit: no final checkpoint")


def _first_problem(scan: Scan) -> tuple[float, str]:
    """The first sequence that must not be signed, and why (``inf`` and ``""``: none)."""
    found: list[tuple[float, str]] = [(float("inf"), "")]
    found += [(a, f"seq {a} is missing: the stream skips to seq {b + 1}") for a, b in scan.gaps]
    return min(found)


def _set_aside(scan: Scan) -> list[tuple[int, str]]:
    """The messages the readers set aside, each once, with what is wrong with it."""
    digest = "is not a Koers event as stored (its payload digest is missing or wrong)"
    out = dict.fromkeys([*scan.foreign, *(seq for seq, _ in scan.changed)], digest)
    for seq in scan.unsigned:
        out.setdefault(seq, "is unsigned")
    for seq, why in scan.badly_signed:
        out.setdefault(seq, f"is not signed by a trusted key ({why})")
    return list(out.items())

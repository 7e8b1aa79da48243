"""The audit trail's section (``KOERS_CHECKPOINT_*`` and co), read once with the others.

- ``KOERS_CHECKPOINT_EVERY``: sign a checkpoint every this many events (``1000``); the
  checkpoints fall on exact multiples (sizes 1000, 2000, …).
- ``KOERS_CHECKPOINT_SECONDS``: and at the latest this many seconds after the last one, when
  the log has grown since (``60``).
- ``KOERS_CHECKPOINT_DIR``: the place outside NATS (another disk, a git work tree) where each
  checkpoint is also appended, one JSON line each: a directory (the file
  ``<dir>/<STREAM>.checkpoints.jsonl``) or a file whose name ends in ``.jsonl``. Unset: the
  data directory's ``audit/checkpoints/`` (so deleting the streams, checkpoints and all, is
  always caught). ``koers audit verify``, ``koers serve`` and ``koers status`` read them.
- ``KOERS_SIGNING_KEY``: the Ed25519 private key (PKCS#8 PEM, mode 0600); by default
  ``<data dir>/audit/signing.key``, created on first use.
- ``KOERS_AUDIT_READERS``: ``koers audit verify`` reads and hashes the log in this many
  ranges, each in its own process (``1``: one read, in this process; see
  ``ledger.audit._ranges``). The verdicts are the same either way.
- ``KOERS_AUDIT_RANGE_MIN``: a log is split only where each range holds at least this many
  events (``100000``): starting a reader process costs about half a second.
- ``KOERS_AUDIT``: ``no`` turns the audit trail off in ``koers serve`` (no startup check, no
  checkpoints); ``yes`` by default. For an emergency only: see docs/audit.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ledger.errors import ConfigurationError
from ledger.settings._parse import flag, number

__all__ = ["KEPT_DIR", "KEY_FILE", "AuditSettings", "checkpoint_stream", "checkpoint_subjects"]

DEFAULT_EVERY = 1000
DEFAULT_SECONDS = 60.0
DEFAULT_READERS = 1
DEFAULT_RANGE_MIN = 100_000
#: Where the signing key is kept, relative to the data directory, unless KOERS_SIGNING_KEY.
KEY_FILE = Path("audit") / "signing.key"
#: Where checkpoints are kept, relative to the data directory, unless KOERS_CHECKPOINT_DIR.
KEPT_DIR = Path("audit") / "checkpoints"


def checkpoint_stream(stream: str) -> str:
    """The stream that holds the checkpoints of ledger stream ``stream``."""
    return f"{stream}_CHECKPOINTS"


def checkpoint_subjects(prefix: str) -> str:
    """The subjects of the checkpoint stream, for the ledger's subject prefix."""
    return f"{prefix}_checkpoints"


@dataclass(frozen=True)
class AuditSettings:
    """How often to sign, where to keep copies, which key; validated once."""

    every: int = DEFAULT_EVERY
    seconds: float = DEFAULT_SECONDS
    outside: Path | None = None
    key_file: Path | None = None
    enabled: bool = True
    readers: int = DEFAULT_READERS
    range_min: int = DEFAULT_RANGE_MIN

    def __post_init__(self) -> None:
        if type(self.every) is not int or self.every < 1:
            raise ConfigurationError(
                f"KOERS_CHECKPOINT_EVERY is {self.every!r}: set it to a whole number above 0"
            )
        if not self.seconds > 0:
            raise ConfigurationError(
                f"KOERS_CHECKPOINT_SECONDS is {self.seconds!r}: set it to a number above 0"
            )
        for name, value in (("READERS", self.readers), ("RANGE_MIN", self.range_min)):
            if type(value) is not int or value < 1:
                raise ConfigurationError(
                    f"KOERS_AUDIT_{name} is {value!r}: set it to a whole number above 0"
                )

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AuditSettings:
        outside, key = env.get("KOERS_CHECKPOINT_DIR"), env.get("KOERS_SIGNING_KEY")
        return cls(
            every=number(env, "KOERS_CHECKPOINT_EVERY", DEFAULT_EVERY, int),
            seconds=number(env, "KOERS_CHECKPOINT_SECONDS", DEFAULT_SECONDS, float),
            outside=Path(outside).expanduser() if outside else None,
            key_file=Path(key).expanduser() if key else None,
            enabled=flag(env, "KOERS_AUDIT", True),
            readers=number(env, "KOERS_AUDIT_READERS", DEFAULT_READERS, int),
            range_min=number(env, "KOERS_AUDIT_RANGE_MIN", DEFAULT_RANGE_MIN, int),
        )

    def key_path(self, data_dir: Path) -> Path:
        """Where the signing key is (or will be created)."""
        return self.key_file if self.key_file is not None else data_dir / KEY_FILE

    def outside_file(self, stream: str, data_dir: Path) -> Path:
        """The file outside NATS that the checkpoints of ``stream`` are appended to."""
        place = self.outside if self.outside is not None else data_dir / KEPT_DIR
        if place.suffix == ".jsonl":
            return place
        return place / f"{stream}.checkpoints.jsonl"

"""The command line's exit codes (documented in the README and in ``koers --help``).

Kept apart from :mod:`ledger.cli._output` so that ``koers --help`` can name them without
importing what printing an error needs (the error tree, the event store's exceptions)."""

from __future__ import annotations

__all__ = ["EXIT"]

#: Exit codes, by what they mean.
EXIT = {
    "ok": 0,
    "unexpected": 1,
    "bad_input": 2,  # also what the argument parser uses for a wrong flag
    "conflict": 3,
    "unavailable": 4,
    "store": 5,
    "tampered": 6,  # the audit trail found the log damaged (koers audit verify, koers serve)
}

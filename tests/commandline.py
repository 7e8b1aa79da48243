"""The ``koers`` command as a user runs it: a real process, its exit code and output as text.

Tests in several layers start it (the CLI, ``koers serve``, the workers' prompts, the audit
trail, exports); this is the one way they do.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from ledger.embedded._config import free_port

__all__ = ["KOERS", "free_port", "options", "run_koers", "serving"]

KOERS = str(Path(sys.executable).parent / "koers")


def run_koers(
    *args: str, env: Mapping[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``koers <args>`` with ``env`` laid over this process's environment; never raises on
    a non-zero exit (the caller states the exit code it expects)."""
    return subprocess.run(
        [KOERS, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def options(**values: str | tuple[str, ...]) -> list[str]:
    """Command-line options from keywords, in order: ``decide_by="2099-01-01"`` gives
    ``--decide-by 2099-01-01``, a tuple repeats the option, ``as_`` gives ``--as``."""
    out: list[str] = []
    for name, value in values.items():
        for one in (value,) if isinstance(value, str) else value:
            out += [f"--{name.rstrip('_').replace('_', '-')}", one]
    return out


@contextmanager
def serving(*args: str, env: Mapping[str, str]) -> Iterator[subprocess.Popen[str]]:
    """``koers serve <args>`` in its own session, its stderr a pipe; killed (and reaped) at
    the end if it is still running, so a failed test leaves no process behind."""
    serve = subprocess.Popen(
        [KOERS, "serve", *args],
        env={**os.environ, **env},
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert serve.stderr is not None
        yield serve
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()
        if serve.stderr is not None:
            serve.stderr.close()

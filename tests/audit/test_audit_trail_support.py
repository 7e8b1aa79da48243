"""What the audit-trail tests share (no tests here): a real store of their own, decisions in
it, `koers audit` run as a user runs it, and the tools of an attacker.

Each :class:`Ledger` is an embedded nats-server on a temporary store (``sync_interval:
always``) with a data directory for the signing key and a folder for the checkpoints kept
outside NATS. The attacker's tools work as one with admin rights or file access would:
delete a message (on a stream created weak enough to allow it), delete a stream and publish a
rewritten history, or stop the server and edit or cut its ``.blk`` files.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import nats
from nats.js import api

from ledger.application import Koers
from ledger.audit import ENTRY_HEADERS
from ledger.domain import proved_by
from ledger.embedded import EmbeddedServer
from ledger.nats._client import RawMessage
from ledger.nats._stream import audited_config
from ledger.settings import AuditSettings, Settings, StoreSettings
from tests.conftest import read_stream
from tests.factories import decide, decision, pinned_clock

__all__ = ["DAMAGED", "KOERS", "Ledger", "Message", "Run", "damage", "run_async", "signed_history"]

KOERS = Path(sys.executable).parent / "koers"
DAMAGED = 6  # the exit code of `koers audit verify` that found damage
T = TypeVar("T")


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def damage(run: Run, kind: str) -> list[str]:
    """The ``DAMAGE [kind] …`` lines of a `koers audit verify` output."""
    return [line for line in run.out.splitlines() if line.startswith(f"DAMAGE [{kind}]")]


@dataclass
class Message:
    """A message as an attacker re-publishes it: subject, the covered headers, payload."""

    subject: str
    headers: dict[str, str]
    data: bytes

    @classmethod
    def of(cls, raw: RawMessage) -> Message:
        kept = (*ENTRY_HEADERS, "Koers-Key-Id", "Koers-Signature")  # what a copy keeps
        headers = {k: v for k, v in raw.headers.items() if k in kept}
        return cls(raw.subject, headers, raw.data)

    def with_payload(self, data: bytes, *, fix_digest: bool) -> Message:
        headers = dict(self.headers)
        if fix_digest:
            headers["Koers-Payload-Sha256"] = hashlib.sha256(data).hexdigest()
        return Message(self.subject, headers, data)


@dataclass
class Ledger:
    """A store of its own for one test: server, data directory, checkpoints kept outside."""

    root: Path
    stream: str = "LEDGER"
    server: EmbeddedServer = field(init=False)

    def __post_init__(self) -> None:
        self.server = EmbeddedServer(self.root / "server", anonymous=True).start()
        self.data_dir = self.root / "data"
        self.kept_dir = self.root / "kept"

    @property
    def kept_file(self) -> Path:
        return self.kept_dir / f"{self.stream}.checkpoints.jsonl"

    def env(self, **extra: str) -> dict[str, str]:
        base = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("NATS_", "KOERS_")) and k != "PERSISTENCE_MODULE"
        }
        return {
            **base,
            "NATS_URL": self.server.url,
            "NATS_STREAM": self.stream,
            "KOERS_DATA_DIR": str(self.data_dir),
            "KOERS_CHECKPOINT_DIR": str(self.kept_dir),
            "NATS_ACCEPT_WEAK_STREAM": "yes",
            "NATS_CREATE_STREAM": "yes",
            **extra,
        }

    @property
    def settings(self) -> Settings:
        return Settings.from_env(self.env())

    def sections(self, **extra: str) -> tuple[StoreSettings, AuditSettings]:
        """The store and audit sections of the settings with ``extra`` variables."""
        settings = Settings.from_env(self.env(**extra))
        return settings.store, settings.audit

    def koers(self, *args: str, **extra: str) -> Run:
        """`koers <args>` in a subprocess, as a user runs it."""
        done = subprocess.run(
            [str(KOERS), *args],
            env=self.env(**extra),
            capture_output=True,
            text=True,
            timeout=100,
            check=False,
        )
        return Run(done.returncode, done.stdout, done.stderr)

    def create_stream(self, **weaker: Any) -> None:
        """Create the ledger stream first, with the audited config made ``weaker``."""
        config = audited_config(self.stream, f"{self.stream.lower()}.>", 1)
        for name, value in weaker.items():
            setattr(config, name, value)
        self.admin(lambda js: js.add_stream(config))

    def write_decisions(
        self, count: int, *, decided: int = 0, offset: int = 0, credential: str = ""
    ) -> list[UUID]:
        """``count`` decisions opened (and the first ``decided`` of them decided), proved by
        ``credential`` when given."""
        env = self.settings.store.as_env()
        with pinned_clock(), proved_by(credential):
            app = Koers(env=env)
            try:
                ids = [
                    app.open_decision(
                        actor="ann", **decision(question=f"Question number {offset + i:04d}?")
                    ).id
                    for i in range(count)
                ]
                for decision_id in ids[:decided]:
                    app.decide(decision_id, actor="ann", **decide())
            finally:
                app.close()
        return ids

    def copy(self, root: Path) -> Ledger:
        """A ledger of its own under ``root`` holding this one's streams (the ledger, its
        checkpoints and leaf records): each stream's messages published anew with all their
        headers, in order, into a stream with the same configuration; its data directory (the
        signing key) and the checkpoints kept outside copied. Its verdicts are this ledger's:
        entries are the messages' payloads and covered headers, and the sequences are the
        same."""

        async def streams(js: Any) -> list[api.StreamConfig]:
            return [info.config for info in await js.streams_info()]

        configs: list[api.StreamConfig] = self.admin(streams)
        held = {c.name: self.raw_messages(c.name) for c in configs}  # every header kept
        copied = Ledger(root, self.stream)
        shutil.copytree(self.data_dir, copied.data_dir)
        shutil.copytree(self.kept_dir, copied.kept_dir)

        async def go(js: Any) -> None:
            for config in configs:
                await js.add_stream(config)
                for m in held[config.name]:
                    await js.publish(m.subject, m.data, headers=m.headers or None)

        copied.admin(go)
        return copied

    # -- an attacker's tools -----------------------------------------------------------------

    def admin(self, action: Callable[[Any], Coroutine[Any, Any, Any]]) -> Any:
        """Run ``action(js)`` on a plain nats-py connection: what an admin can do."""

        async def go() -> Any:
            nc = await nats.connect(self.server.url)
            try:
                return await action(nc.jetstream())
            finally:
                await nc.close()

        return run_async(go())

    def raw_messages(self, stream: str | None = None) -> list[RawMessage]:
        """The messages of ``stream`` (the ledger) as stored."""

        async def go() -> list[RawMessage]:
            nc = await nats.connect(self.server.url)
            try:
                return await read_stream(nc, stream or self.stream)
            finally:
                await nc.close()

        return run_async(go())

    def messages(self) -> list[Message]:
        return [Message.of(m) for m in self.raw_messages()]

    def republish(self, messages: list[Message], *, stream: str | None = None) -> None:
        """Delete ``stream`` (the ledger) and publish ``messages`` into it anew."""
        name = stream or self.stream

        async def go(js: Any) -> None:
            info = await js.stream_info(name)
            config: api.StreamConfig = info.config
            await js.delete_stream(name)
            await js.add_stream(config)
            for m in messages:
                await js.publish(m.subject, m.data, headers=m.headers or None)

        self.admin(go)

    def stored_blocks(self, stream: str | None = None) -> list[Path]:
        folder = self.server.paths.store_dir / "jetstream" / "$G" / "streams"
        return sorted((folder / (stream or self.stream) / "msgs").glob("*.blk"))

    def edit_block(self, marker: bytes, edit: Callable[[bytearray, int], bytearray]) -> None:
        """Stop the server, ``edit`` the block holding ``marker`` (given its offset), restart."""
        self.server.stop()
        for block in self.stored_blocks():
            data = bytearray(block.read_bytes())
            at = data.find(marker)
            if at >= 0:
                block.write_bytes(bytes(edit(data, at)))
                break
        else:
            raise AssertionError(f"{marker!r} is in no block of {self.stream}")
        self.server.start()


def signed_history(ledger: Ledger, **weaker: Any) -> None:
    if weaker:
        ledger.create_stream(**weaker)
    ledger.write_decisions(12, decided=4)
    first = ledger.koers("audit", "checkpoint")
    assert first.code == 0, first.text
    assert "signed: checkpoint size 16" in first.out
    ledger.write_decisions(8, decided=4, offset=100)
    second = ledger.koers("audit", "checkpoint")
    assert "signed: checkpoint size 28" in second.out, second.text
    assert len(ledger.kept_file.read_text().splitlines()) == 2
    honest = ledger.koers("audit", "verify")
    assert honest.code == 0, honest.text
    assert "OK: the log is exactly what was signed" in honest.out

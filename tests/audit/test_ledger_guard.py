"""A ledger no one can empty unnoticed, and reads that create nothing (issue 11, parts 3 and 1).

Each test runs `koers` as a user does, on a ledger of its own nats-server (:class:`Ledger`),
with the checkpoints kept where they are by default (the data directory) and
``NATS_CREATE_STREAM`` at its default (``no``). The attacker deletes both streams with a
plain NATS connection, as any local process could on the issue's server.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

from ledger.audit import Checkpoint
from tests.audit.test_audit_trail_support import DAMAGED, Ledger, Run

#: The environment of these tests: default places, and only init and serve create streams.
DEFAULTS = {"KOERS_CHECKPOINT_DIR": "", "NATS_CREATE_STREAM": "", "KOERS_USER": "ann"}
BAD_INPUT = 2


def koers(ledger: Ledger, *args: str, **extra: str) -> Run:
    return ledger.koers(*args, **{**DEFAULTS, **extra})


def streams(ledger: Ledger) -> list[str]:
    """The names of every stream on the ledger's server."""

    async def names(js: Any) -> list[str]:
        return sorted(info.config.name for info in await js.streams_info())

    return list(ledger.admin(names))


def delete_both_streams(ledger: Ledger) -> None:
    async def delete(js: Any) -> None:
        await js.delete_stream(ledger.stream)
        await js.delete_stream(f"{ledger.stream}_CHECKPOINTS")

    ledger.admin(delete)


def kept_file(ledger: Ledger) -> Path:
    return ledger.data_dir / "audit" / "checkpoints" / f"{ledger.stream}.checkpoints.jsonl"


def a_ledger_with_a_kept_checkpoint(ledger: Ledger, events: int = 5) -> Checkpoint:
    """`koers init`, ``events`` decisions, `koers audit checkpoint`; the checkpoint kept."""
    assert koers(ledger, "init").code == 0
    ledger.write_decisions(events)
    signed = koers(ledger, "audit", "checkpoint")
    assert signed.code == 0, signed.text
    lines = kept_file(ledger).read_text().splitlines()
    return Checkpoint.from_json(lines[-1])


def test_checkpoints_are_kept_in_the_data_directory_by_default(ledger: Ledger) -> None:
    kept = a_ledger_with_a_kept_checkpoint(ledger, events=3)
    assert kept.size == 3
    assert stat.S_IMODE(kept_file(ledger).stat().st_mode) == 0o600
    assert stat.S_IMODE(kept_file(ledger).parent.stat().st_mode) == 0o700
    assert koers(ledger, "audit", "verify").code == 0


def test_deleted_streams_are_caught_and_never_started_over_silently(ledger: Ledger) -> None:
    kept = a_ledger_with_a_kept_checkpoint(ledger)
    delete_both_streams(ledger)
    left = streams(ledger)
    assert left == [f"{ledger.stream}_SNAPSHOTS"]  # derived data: the issue left it too

    verify = koers(ledger, "audit", "verify")
    assert verify.code == DAMAGED, verify.text
    assert f"signed 5 events (root {kept.root.hex()})" in verify.out
    assert "OK:" not in verify.out

    for command in (("status",), ("serve", "--port", "0"), ("init",)):
        refused = koers(ledger, *command)
        assert refused.code == DAMAGED, (command, refused.text)
        assert "was deleted or emptied" in refused.err
        assert kept.root.hex() in refused.err
        assert "koers init --new-ledger" in refused.err
        assert "Traceback" not in refused.err
        assert streams(ledger) == left, f"{command} created a stream"
    assert kept_file(ledger).exists(), "a refusal changed nothing"


def test_starting_over_on_purpose_moves_the_old_checkpoints_aside(ledger: Ledger) -> None:
    kept = a_ledger_with_a_kept_checkpoint(ledger)
    snapshots = f"{ledger.stream}_SNAPSHOTS"

    async def snapshot(js: Any) -> None:  # one of the old ledger's (derived) snapshots
        await js.publish(f"{ledger.stream.lower()}_snapshots.old", b"{}", stream=snapshots)

    ledger.admin(snapshot)
    delete_both_streams(ledger)
    again = koers(ledger, "init", "--new-ledger")
    assert again.code == 0, again.text

    async def left(js: Any) -> int:
        return int((await js.stream_info(snapshots)).state.messages)

    assert ledger.admin(left) == 0  # no old snapshot can be loaded into the new ledger
    aside = list(kept_file(ledger).parent.glob("*.replaced-*"))
    assert len(aside) == 1
    assert Checkpoint.from_json(aside[0].read_text().splitlines()[-1]) == kept
    assert not kept_file(ledger).exists()
    assert streams(ledger) == sorted(
        [ledger.stream, f"{ledger.stream}_CHECKPOINTS", f"{ledger.stream}_SNAPSHOTS"]
    )
    status = koers(ledger, "status", "--json")
    assert status.code == 0, status.text
    assert json.loads(status.out)["events"] == 0
    assert koers(ledger, "audit", "verify").code == 0


def test_starting_over_never_deletes_a_ledger_that_is_there(ledger: Ledger) -> None:
    a_ledger_with_a_kept_checkpoint(ledger, events=2)
    refused = koers(ledger, "init", "--new-ledger")
    assert refused.code == BAD_INPUT, refused.text
    assert "never deletes anything" in refused.err
    assert kept_file(ledger).exists()
    assert koers(ledger, "audit", "verify").code == 0


def test_the_views_remember_a_ledger_without_any_checkpoint(ledger: Ledger) -> None:
    assert koers(ledger, "init").code == 0
    ledger.write_decisions(4)
    rebuilt = koers(ledger, "projections", "rebuild")
    assert rebuilt.code == 0, rebuilt.text
    assert not kept_file(ledger).exists()  # nothing signed yet: only the views remember
    delete_both_streams(ledger)
    refused = koers(ledger, "status")
    assert refused.code == DAMAGED, refused.text
    assert "views.sqlite3 reflect 4 events" in refused.err
    assert streams(ledger) == [f"{ledger.stream}_SNAPSHOTS"]
    verified = koers(ledger, "audit", "verify")  # no checkpoint to hold it against: the views
    assert verified.code == DAMAGED, verified.text
    assert "DAMAGE [truncated] views at position 4:" in verified.out
    assert "the log ends at seq 0" in verified.out


def test_a_read_of_another_stream_creates_nothing(ledger: Ledger) -> None:
    assert koers(ledger, "init").code == 0
    before = streams(ledger)
    for command in (("objective", "list"), ("decision", "list"), ("status",)):
        refused = koers(ledger, *command, NATS_STREAM="OTHER")
        assert refused.code == BAD_INPUT, refused.text
        assert "the stream 'OTHER' does not exist" in refused.err
        assert "koers init" in refused.err
        assert streams(ledger) == before


def test_a_stream_name_nats_refuses_is_one_line_exit_2(ledger: Ledger) -> None:
    for key, value in (("NATS_STREAM", "LED GER.*"), ("NATS_SUBJECT_PREFIX", "a.b")):
        refused = koers(ledger, "objective", "list", **{key: value})
        assert refused.code == BAD_INPUT, refused.text
        assert refused.err.startswith(f"koers: {key} is {value!r}")
        assert "Traceback" not in refused.err
    assert streams(ledger) == []

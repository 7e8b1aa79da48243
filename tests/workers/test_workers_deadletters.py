"""Bad messages published straight onto the ledger stream (a writer that is not Koers):
each is retried a bounded number of times with a delay, dead-lettered once with its reason
and the original message, logged once; the worker never loops and later events still flow.

Runs on a server of its own: the ledger stream keeps every message forever (deny_delete), and
the session's server is checked at the end for events that do not fit their schemas.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.utils import get_topic

from ledger.domain import Decision
from ledger.embedded import EmbeddedServer
from ledger.nats._client import OutMessage
from ledger.nats._keys import load_signing_key
from ledger.nats._signing import EventSigner
from tests.conftest import signing_key_file
from tests.factories import ANN, decide, decision, koers
from tests.workers.test_workers_support import (
    fast_settings,
    nats_call,
    prompts_of,
    running_workers,
    stream_messages,
    wait_for,
)
from workers import WorkerSettings, read_dead_letters
from workers._names import Names

ATTEMPTS = 3
TODAY = datetime.now(UTC).date()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmbeddedServer]:
    with EmbeddedServer(tmp_path / "data", anonymous=True) as running:
        yield running


def _made_headers(type_: str = "decision.made", schema: str = "1") -> dict[str, str]:
    return {
        "Koers-Type": type_,
        "Koers-Schema": schema,
        "Koers-Originator-Id": str(uuid.uuid4()),
        "Koers-Version": "2",
    }


def _good_made() -> dict[str, Any]:
    return {
        "timestamp": datetime.now(UTC).isoformat(),
        "actor": ANN,
        "command_id": "",
        "chosen": "a",
        "rationale": "r",
        "expected_outcome": "e",
        "confidence": "0.5",
        "review_on": (TODAY + timedelta(days=300)).isoformat(),
        "information_level": 90,
    }


def _bad_messages(limit: int) -> dict[str, tuple[str, dict[str, str], bytes, str]]:
    """name -> (subject, headers, payload, what the reason must say)."""
    made = _made_headers()
    sub = f"bad.decision.{made['Koers-Originator-Id']}.made"
    wrong = _good_made()
    del wrong["rationale"]
    nan = json.dumps(_good_made()).replace('"information_level": 90', '"information_level": NaN')
    unknown = _made_headers("decision.exploded")
    huge = _good_made() | {"rationale": "x" * (limit + 100)}
    return {
        "bad json": (sub, made, b'{"timestamp": "2026-', "not JSON"),
        "wrong schema": (sub, _made_headers(), json.dumps(wrong).encode(), "rationale"),
        "unknown type": (
            f"bad.decision.{unknown['Koers-Originator-Id']}.exploded",
            unknown,
            json.dumps(_good_made()).encode(),
            "does not match its topic",  # foreign: set aside at once
        ),
        "NaN": (sub, _made_headers(), nan.encode(), "not JSON"),
        "oversize": (sub, _made_headers(), json.dumps(huge).encode()[: limit + 200], "limit"),
    }


def test_malformed_messages_are_dead_lettered_once_and_later_events_still_flow(
    server: EmbeddedServer, caplog: pytest.LogCaptureFixture
) -> None:
    env = {
        "PERSISTENCE_MODULE": "ledger.nats",
        "NATS_URL": server.url,
        "NATS_STREAM": "BAD",
        "NATS_CREATE_STREAM": "yes",
        "KOERS_SIGNING_KEY": str(signing_key_file()),
    }
    settings = fast_settings(env, attempts=ATTEMPTS, retry_delay=0.2)
    names = Names.of(settings)
    limit = 1024 * 1024 - 1024
    bad = _bad_messages(limit)
    caplog.set_level(logging.WARNING, logger="workers")
    with koers(env) as app, running_workers(settings) as workers:
        seqs = nats_call(server.url, lambda nc: _publish(nc, bad))
        opened = app.open_decision(actor=ANN, **decision(information_level=20, decide_by=TODAY))
        app.decide(opened.id, actor=ANN, **decide(review_on=TODAY + timedelta(days=30)))
        wait_for(lambda: prompts_of(app, "one_way_low_information"), what="the good event's prompt")

        def all_dead_lettered() -> list[dict[str, Any]] | None:
            got = _dead_letters(server.url, settings)
            return got if len(got) == len(bad) else None

        letters = wait_for(all_dead_lettered, what="five dead letters")
        by_seq = {letter["source_sequence"]: letter for letter in letters}
        assert sorted(by_seq) == sorted(seqs.values())
        for name, seq in seqs.items():
            letter = by_seq[seq]
            assert bad[name][3] in letter["reason"], (name, letter["reason"])
            assert letter["deliveries"] == (1 if name == "unknown type" else ATTEMPTS)
            assert letter["stream"] == "BAD"
            assert letter["headers"]["Koers-Type"] == bad[name][1]["Koers-Type"]
        assert by_seq[seqs["bad json"]]["payload"] == '{"timestamp": "2026-'
        assert by_seq[seqs["oversize"]]["truncated"] is True
        info = nats_call(
            server.url, lambda nc: nc.jetstream().consumer_info("BAD", names.ledger_durable)
        )
        wait_for(lambda: _settled(server.url, names.ledger_durable), what="nothing left pending")
        assert info.delivered.stream_seq >= max(seqs.values())
        assert 'koers_worker_messages_total{outcome="dead_lettered",source="ledger"} 5.0' in (
            workers.metrics_text()
        )
    warnings = [r for r in caplog.records if "dead-lettered" in r.getMessage()]
    assert len(warnings) == len(bad), [r.getMessage() for r in warnings]

    # A worker under another name reads everything again: nothing new is dead-lettered or logged.
    caplog.clear()
    with running_workers(settings.but(name="second")) as again:
        wait_for(lambda: _settled(server.url, "second-ledger"), what="the second worker done")
        assert "dead_lettered" not in again.metrics_text()
    assert len(_dead_letters(server.url, settings)) == len(bad)
    assert not [r for r in caplog.records if "dead-lettered" in r.getMessage()]
    assert len(stream_messages(server.url, "BAD_DLQ")) == len(bad)

    assert json.loads(_cli(server.url, "deadletters", "--json")) == _dead_letters(
        server.url, settings
    )
    shown = _cli(server.url, "deadletters")
    assert shown.splitlines()[0].split() == ["DLQ", "FROM", "SUBJECT", "TRIES", "REASON"]
    assert len(shown.splitlines()) == len(bad) + 1


async def _publish(
    nc: Any, bad: dict[str, tuple[str, dict[str, str], bytes, str]]
) -> dict[str, int]:
    """Each message with a whole envelope (topic, digest) and signed with the ledger's key:
    what a faulty writer holding the key would store, not a foreigner's message."""
    js = nc.jetstream()
    signer = EventSigner(load_signing_key(signing_key_file()))
    seqs = {}
    for name, (named, headers, payload, _) in bad.items():
        prefix, kind, _, type_ = named.split(".")  # on its own aggregate's subject
        subject = f"{prefix}.{kind}.{headers['Koers-Originator-Id']}.{type_}"
        envelope = {**headers, "Koers-Topic": get_topic(Decision.Made),
                    "Koers-Payload-Sha256": hashlib.sha256(payload).hexdigest()}  # fmt: skip
        message = OutMessage(subject, payload, envelope)
        signer.sign(message)
        ack = await js.publish(subject, payload, stream="BAD", headers=message.headers)
        seqs[name] = ack.seq
    return seqs


def _dead_letters(url: str, settings: WorkerSettings) -> list[dict[str, Any]]:
    async def read(nc: Any) -> list[dict[str, Any]]:
        letters = await read_dead_letters(nc.jetstream(), Names.of(settings))
        return [letter.as_dict() for letter in letters]

    result: list[dict[str, Any]] = nats_call(url, read)
    return result


def _settled(url: str, durable: str) -> bool:
    async def check(nc: Any) -> bool:
        info = await nc.jetstream().consumer_info("BAD", durable)
        return bool(info.num_pending == 0 and info.num_ack_pending == 0)

    return bool(nats_call(url, check))


def _cli(url: str, *args: str) -> str:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "koers"), *args],
        env={**os.environ, "NATS_URL": url, "NATS_STREAM": "BAD"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout

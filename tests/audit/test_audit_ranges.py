"""The parallel verify (``ledger.audit._ranges``): the log read and hashed in ranges, each by
its own process, gives the verdicts of one serial read.

Without a server: the split itself, and scans of ranges joined against one scan of the whole
(every field, for every split point, with holes at and across the seams, changed, foreign,
unsigned and wrongly signed events). Against a real nats-server (marked ``nats``): the
signed history of the tamper tests, damaged in the first range, at a range boundary and in
the last range (an event deleted, two reordered, a payload changed), verified serially and
with 2 and 3 readers: the same report, line for line.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import asdict
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.audit._frames import Frame
from ledger.audit._ranges import ranges
from ledger.audit._scan import Scan
from ledger.audit._store import AuditStore
from ledger.audit._verify import verify_log
from ledger.audit.startup import trust_for
from ledger.nats._keys import key_id
from tests.audit.test_audit_trail_support import DAMAGED, Ledger, damage
from tests.audit.test_audit_trail_units import event

# -- the split -------------------------------------------------------------------------------


def test_ranges_cover_the_log_in_order_without_overlap() -> None:
    assert ranges(28, 2, 1) == [(1, 14), (15, 28)]
    assert ranges(28, 3, 1) == [(1, 10), (11, 20), (21, 28)]
    assert ranges(1_000_000, 2, 100_000) == [(1, 500_000), (500_001, 1_000_000)]
    assert ranges(150_000, 2, 100_000) == [(1, 150_000)]  # too short for two ranges
    assert ranges(5, 8, 1) == [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)]
    for last, readers in ((97, 4), (10, 3), (1, 2)):
        split = ranges(last, readers, 1)
        assert [s for first, stop in split for s in range(first, stop + 1)] == [*range(1, last + 1)]


# -- joined scans are the serial scan ----------------------------------------------------------

TRUSTED = Ed25519PrivateKey.generate()
OTHER = Ed25519PrivateKey.generate()


def damaged_frames() -> list[Frame]:
    """Seqs 1..40 with holes (5; 20-21; 30; 40 is the last present), a changed payload (8),
    a foreign message (12), an unsigned one (25) and one signed by an unknown key (33)."""
    rng = random.Random(16)
    out = []
    for seq in range(1, 41):
        if seq in (5, 20, 21, 30):
            continue
        key = {25: None, 33: OTHER}.get(seq, TRUSTED)
        frame = event(seq, rng, key=key)
        if seq == 8:
            frame = frame._replace(data=frame.data.replace(b"Q8", b"Q9"))
        if seq == 12:
            frame = frame._replace(head=b"NATS/1.0\r\nX-Other: 1\r\n\r\n")
        out.append(frame)
    return out


def scan_of(frames: list[Frame], start: int = 1) -> Scan:
    scan = Scan(records_from=3, digests_from=2, keys={key_id(TRUSTED): TRUSTED.public_key()})
    scan.last_seq = start - 1
    scan.add(frames)
    scan.settle()
    return scan


def fields(scan: Scan) -> dict[str, Any]:
    keep = ("leaves", "seqs", "gaps", "changed", "foreign", "records", "unsigned")
    return {name: getattr(scan, name) for name in keep} | {
        "badly_signed": scan.badly_signed,
        "last_seq": scan.last_seq,
        "root": scan.tree.root() if scan.count else b"",
    }


def test_scans_of_ranges_joined_are_the_scan_of_the_whole_for_every_split() -> None:
    frames = damaged_frames()
    whole = fields(scan_of(frames))
    assert whole["gaps"] == [(5, 5), (20, 21), (30, 30)]
    assert [seq for seq, _ in whole["changed"]] == [8]
    assert whole["foreign"] == [12]
    assert whole["unsigned"] == [12, 25]
    assert [seq for seq, _ in whole["badly_signed"]] == [8, 33]  # 8: its payload changed
    for seam in range(2, 41):  # the second range starts at ``seam``
        first = scan_of([f for f in frames if f.seq < seam])
        second = scan_of([f for f in frames if f.seq >= seam], start=seam)
        first.join(second.part(seam))
        assert fields(first) == whole, f"split before seq {seam}"


def test_three_ranges_and_an_empty_one_join_as_one() -> None:
    frames = damaged_frames()
    whole = fields(scan_of(frames))
    for seams in ((20, 22), (19, 31), (10, 11), (6, 40)):
        bounds = [1, *seams, 41]
        scans = [
            scan_of([f for f in frames if a <= f.seq < b], start=a)
            for a, b in itertools.pairwise(bounds)
        ]
        joined = scans[0]
        for scan, start in zip(scans[1:], seams, strict=True):
            joined.join(scan.part(start))
        assert fields(joined) == whole, seams


# -- against a real nats-server: the same report, serially and in ranges ----------------------


def test_a_copy_of_the_signed_history_verifies_as_the_original(signed: Ledger) -> None:
    """What the tests below start from: an undamaged copy, found whole in ranges too."""
    store_settings, audit_settings = signed.sections()
    trust = trust_for(store_settings, audit_settings)
    store = AuditStore.open(store_settings)
    try:
        for readers in (1, 3):
            report = verify_log(store, trust, readers=readers, min_range=1).report
            assert report.problems == [], report.problems
            assert (report.events, report.valid_checkpoints, report.kept) == (28, 2, 2)
    finally:
        store.close()


def reports(ledger: Ledger) -> list[dict[str, Any]]:
    """The report of a serial verify, then with 2 and with 3 readers (each range at least one
    event, so 28 events are split), without the time it took."""
    store_settings, audit_settings = ledger.sections()
    trust = trust_for(store_settings, audit_settings)
    store = AuditStore.open(store_settings)
    out = []
    try:
        for readers in (1, 2, 3):
            report = verify_log(store, trust, readers=readers, min_range=1).report
            data = asdict(report)
            data.pop("seconds")
            out.append(data)
    finally:
        store.close()
    return out


def same_verdicts(ledger: Ledger) -> dict[str, Any]:
    serial, *in_ranges = reports(ledger)
    assert serial["problems"], "the damage must be found"
    for report in in_ranges:
        assert report == serial
    return serial


def kinds(report: dict[str, Any]) -> set[tuple[str, str]]:
    return {(p["kind"], p["where"]) for p in report["problems"]}


# With 2 readers the ranges are 1..14 and 15..28; with 3, 1..10, 11..20 and 21..28.
@pytest.mark.parametrize(
    ("seqs", "named"),
    [
        ((3,), "seq 3"),  # the first range
        ((14,), "seq 14"),  # the last of the first range (2 readers)
        ((15,), "seq 15"),  # the first of the second range
        ((14, 15), "seqs 14..15"),  # a hole across the seam
        ((10, 11), "seqs 10..11"),  # across a seam of 3 readers
        ((27,), "seq 27"),  # the last range
    ],
)
def test_a_deleted_event_is_named_alike_in_ranges(
    deletable: Ledger, seqs: tuple[int, ...], named: str
) -> None:
    ledger = deletable
    for seq in seqs:
        ledger.admin(lambda js, seq=seq: js.delete_msg(ledger.stream, seq))
    report = same_verdicts(ledger)
    assert ("deleted", named) in kinds(report), report["problems"]


@pytest.mark.parametrize(
    ("first", "second"),
    [(2, 4), (14, 15), (10, 11), (3, 20), (26, 27)],  # first range, seams, across, last range
)
def test_two_reordered_events_are_named_alike_in_ranges(
    signed: Ledger, first: int, second: int
) -> None:
    ledger = signed
    messages = ledger.messages()
    messages[first - 1], messages[second - 1] = messages[second - 1], messages[first - 1]
    ledger.republish(messages)
    report = same_verdicts(ledger)
    assert ("swapped", f"seqs {first} and {second}") in kinds(report), report["problems"]


@pytest.mark.parametrize("seq", [2, 14, 15, 28])
def test_a_changed_payload_is_named_alike_in_ranges(signed: Ledger, seq: int) -> None:
    ledger = signed
    messages = ledger.messages()
    original = messages[seq - 1]
    messages[seq - 1] = original.with_payload(original.data + b" ", fix_digest=False)
    ledger.republish(messages)
    report = same_verdicts(ledger)
    assert ("changed", f"seq {seq}") in kinds(report), report["problems"]


def test_koers_audit_verify_reads_in_ranges_when_told(deletable: Ledger) -> None:
    ledger = deletable
    ledger.admin(lambda js: js.delete_msg(ledger.stream, 15))
    serial = ledger.koers("audit", "verify")
    ranged = ledger.koers("audit", "verify", KOERS_AUDIT_READERS="2", KOERS_AUDIT_RANGE_MIN="1")
    assert serial.code == ranged.code == DAMAGED, ranged.text
    assert damage(ranged, "deleted") == damage(serial, "deleted") != []
    assert ranged.out.splitlines()[1:] == serial.out.splitlines()[1:]  # all but the time

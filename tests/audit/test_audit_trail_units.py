"""The audit trail's parts without a server: fast leaves, the scan, the frontier, settings, the
file kept outside NATS, the report, and the diagnosis of every kind of damage on a log held
in memory (a fake store), several kinds at once.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.audit import ENTRY_HEADERS, MerkleTree, leaf_for, sign
from ledger.audit._frames import Frame, content_key, digest_state, frame_headers, frame_leaf
from ledger.audit._frontier import Frontier
from ledger.audit._outside import TORN, append_kept, read_kept
from ledger.audit._scan import RECORD_SIZE, Scan, tree_of
from ledger.audit._store import StreamState
from ledger.audit._verify import Trust, verify_log
from ledger.audit.report import AuditReport
from ledger.errors import ConfigurationError
from ledger.nats._bulk import LazyHeaders
from ledger.nats._client import OutMessage
from ledger.nats._signing import EventSigner
from ledger.settings import AuditSettings

# -- frames: the fast leaf is the core's leaf -------------------------------------------------


def event(
    seq: int, rng: random.Random, payload: bytes | None = None, key: Ed25519PrivateKey | None = None
) -> Frame:
    """A decision-opened message as stored (signed with ``key`` as the store signs it)."""
    oid = str(uuid.UUID(int=rng.getrandbits(128)))
    data = payload if payload is not None else b'{"question":"Q%d?","n":%d}' % (seq, seq)
    headers = {
        "Nats-Msg-Id": f"{uuid.UUID(int=rng.getrandbits(128)).hex}-0",
        "Koers-Originator-Id": oid,
        "Koers-Version": "1",
        "Koers-Topic": "ledger.domain.decisions:Decision.Opened",
        "Koers-Type": "decision.opened",
        "Koers-Schema": "1",
        "Koers-Payload-Sha256": hashlib.sha256(data).hexdigest(),
        "Nats-Expected-Last-Subject-Sequence": "0",
    }
    subject = f"ledger.decision.{oid}.opened"
    if key is not None:
        EventSigner(key).sign(OutMessage(subject, data, headers))
    head = "NATS/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    return Frame(seq, subject.encode(), head.encode(), data)


def core_leaf(frame: Frame) -> bytes:
    subject = frame.subject.decode("utf-8", "replace")
    return leaf_for(frame.seq, subject, LazyHeaders(frame.head), frame.data)


ODD_HEADS = [
    b"NATS/1.0\r\n\r\n",  # no headers at all
    b"NATS/1.0\r\nKoers-Type:   spaced.out   \r\nKoers-Version:7\r\n\r\n",
    b"NATS/1.0\r\nKoers-Type: first\r\nKoers-Type: second\r\n\r\n",  # the first one counts
    "NATS/1.0\r\nKoers-Topic: décision·ünïcode\r\n\r\n".encode(),
    b"NATS/1.0\r\nKoers-Topic: bad \xff\xfe utf-8\r\nNats-Msg-Id: x\r\n\r\n",
    b"NATS/1.0\r\nkoers-type: lower case is another header\r\nX: a\rb\r\n\r\n",
]


@pytest.mark.parametrize("head", ODD_HEADS)
def test_the_fast_leaf_is_the_core_leaf_even_for_odd_headers(head: bytes) -> None:
    frame = Frame(42, "ledger.x.ä".encode(), head, b"\x00payload\xff")
    assert frame_leaf(frame) == core_leaf(frame)
    scan = Scan()
    scan.add([Frame(1, frame.subject, head, frame.data)])
    assert scan.tree.leaf(0) == core_leaf(Frame(1, frame.subject, head, frame.data))


def test_leaves_keys_digests_and_headers_of_ordinary_events() -> None:
    rng = random.Random(3)
    frames = [event(seq, rng) for seq in range(1, 300)]
    scan = Scan(records_from=100)
    scan.add(frames[:150])
    scan.add(frames[150:])
    assert scan.count == 299
    assert [scan.tree.leaf(i) for i in range(299)] == [core_leaf(f) for f in frames]
    assert not scan.gaps
    assert not scan.changed
    assert not scan.foreign
    assert len(scan.records) == 199 * RECORD_SIZE
    first = frames[100]
    assert scan.records[:32] == frame_leaf(first)
    assert scan.records[32:RECORD_SIZE] == content_key(first)
    moved = Frame(7, first.subject, first.head, first.data)
    assert content_key(moved) == content_key(first)
    assert frame_leaf(moved) != frame_leaf(first)
    assert digest_state(first.head, first.data) is None
    assert digest_state(first.head, first.data + b" ") == hashlib.sha256(first.data).hexdigest()
    assert set(frame_headers(first)) == set(ENTRY_HEADERS) - {"Koers-Tracking-Application"}


def test_the_scan_names_holes_changed_payloads_and_foreign_messages() -> None:
    rng = random.Random(4)
    frames = [event(seq, rng) for seq in range(1, 11)]
    changed = Frame(4, frames[3].subject, frames[3].head, b"changed")
    foreign = Frame(8, b"ledger.other", b"NATS/1.0\r\n\r\n", b"\xff")
    scan = Scan()
    scan.add([*frames[:2], changed, frames[4], *frames[5:7], foreign, frames[9]])
    assert scan.gaps == [(3, 3), (9, 9)]
    assert [seq for seq, _ in scan.changed] == [4]
    assert scan.foreign == [8]
    assert list(scan.seqs) == [1, 2, 4, 5, 6, 7, 8, 10]
    with pytest.raises(ValueError, match="out of order"):
        scan.add([frames[0]])


def test_a_tree_built_level_by_level_is_the_tree_built_leaf_by_leaf() -> None:
    rng = random.Random(6)
    leaves = [rng.randbytes(32) for _ in range(300)]
    for size in [*range(0, 70), 127, 128, 129, 255, 256, 257, 300]:
        built, grown = tree_of(b"".join(leaves[:size])), MerkleTree(leaves[:size])
        assert built.size == grown.size == size
        assert built.root() == grown.root()
        for other in {0, size // 3, size - 1, size} - {-1}:
            assert built.root(other) == grown.root(other)
            if 0 <= other < size:
                assert built.inclusion_proof(other) == grown.inclusion_proof(other)
            assert built.consistency_proof(other) == grown.consistency_proof(other)
        built.append(leaves[-1])
        grown.append(leaves[-1])
        assert built.root() == grown.root()


def test_the_frontier_gives_the_tree_roots_from_any_size() -> None:
    rng = random.Random(5)
    tree, frontier = MerkleTree(), Frontier()
    assert frontier.root() == tree.root()
    for _ in range(200):
        leaf = rng.randbytes(32)
        tree.append(leaf)
        frontier.append(leaf)
        assert frontier.root() == tree.root()
        rebuilt = Frontier.of(tree)
        assert (rebuilt.size, rebuilt.root()) == (tree.size, tree.root())


# -- settings, the file kept outside, the report --------------------------------------------


def test_settings_have_defaults_and_refuse_nonsense(tmp_path: Path) -> None:
    default = AuditSettings.from_env({})
    assert (default.every, default.seconds, default.outside, default.enabled) == (
        1000, 60.0, None, True,
    )  # fmt: skip
    assert (default.readers, default.range_min) == (1, 100_000)
    assert default.key_path(tmp_path) == tmp_path / "audit" / "signing.key"
    kept_by_default = tmp_path / "audit" / "checkpoints" / "LEDGER.checkpoints.jsonl"
    assert default.outside_file("LEDGER", tmp_path) == kept_by_default
    env = {
        "KOERS_CHECKPOINT_EVERY": "50",
        "KOERS_CHECKPOINT_SECONDS": "2.5",
        "KOERS_CHECKPOINT_DIR": str(tmp_path / "kept"),
        "KOERS_SIGNING_KEY": str(tmp_path / "k.pem"),
        "KOERS_AUDIT": "no",
        "KOERS_AUDIT_READERS": "3",
        "KOERS_AUDIT_RANGE_MIN": "20",
    }
    custom = AuditSettings.from_env(env)
    assert (custom.every, custom.seconds, custom.enabled) == (50, 2.5, False)
    assert (custom.readers, custom.range_min) == (3, 20)
    assert custom.outside_file("LEDGER", tmp_path) == tmp_path / "kept" / "LEDGER.checkpoints.jsonl"
    assert custom.key_path(tmp_path) == tmp_path / "k.pem"
    one_file = AuditSettings.from_env({"KOERS_CHECKPOINT_DIR": str(tmp_path / "all.jsonl")})
    assert one_file.outside_file("X", tmp_path) == tmp_path / "all.jsonl"
    for key, value in [
        ("KOERS_CHECKPOINT_EVERY", "0"),
        ("KOERS_CHECKPOINT_EVERY", "1.5"),
        ("KOERS_CHECKPOINT_SECONDS", "-1"),
        ("KOERS_AUDIT", "maybe"),
        ("KOERS_AUDIT_READERS", "0"),
        ("KOERS_AUDIT_READERS", "two"),
        ("KOERS_AUDIT_RANGE_MIN", "-5"),
    ]:
        with pytest.raises(ConfigurationError, match=key):
            AuditSettings.from_env({key: value})


def test_the_kept_file_is_appended_and_survives_a_torn_line(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    path = tmp_path / "deep" / "kept.jsonl"
    first = [sign(key, "LEDGER", n, hashlib.sha256(b"%d" % n).digest()) for n in (1, 2)]
    append_kept(path, first)
    with path.open("a") as f:
        f.write('{"origin": "LEDGER", "si')  # a crash in the middle of a line
    assert [k.problem for k in read_kept(path)] == ["", "", TORN]
    later = sign(key, "LEDGER", 3, hashlib.sha256(b"3").digest())
    append_kept(path, [later])
    kept = read_kept(path)
    assert [k.checkpoint for k in kept if k.checkpoint] == [*first, later]
    assert [k.problem for k in kept if not k.checkpoint] == ["not JSON (Unterminated string "
        "starting at: line 1 column 22 (char 21))"]  # fmt: skip
    assert read_kept(tmp_path / "missing.jsonl") == []


def test_the_report_keeps_one_problem_per_kind_and_position() -> None:
    report = AuditReport("LEDGER")
    report.add("deleted", "seq 5", "gone", 5)
    report.add("deleted", "seqs 5..6", "gone too", 5)
    report.add("changed", "seq 5", "changed", 5)
    report.add("bad-signature", "checkpoint a", "forged")
    report.add("bad-signature", "checkpoint b", "forged")
    assert [p.kind for p in report.problems] == [
        "deleted",
        "changed",
        "bad-signature",
        "bad-signature",
    ]
    assert report.lines()[-1] == "FAILED: 4 problems (bad-signature 2, changed 1, deleted 1)"
    assert report.summary(2).endswith("and 2 more")
    with pytest.raises(ValueError, match="unknown kind"):
        report.add("oops", "x", "y")


# -- the diagnosis, on a log in memory --------------------------------------------------------


@dataclass
class MemoryStore:
    """What verify_log needs of a store, over frames in a list."""

    frames: list[Frame]
    heads: list[bytes] = field(default_factory=list)
    leaves: list[tuple[int, bytes]] = field(default_factory=list)
    stream: str = "LEDGER"
    checkpoints: str = "LEDGER_CHECKPOINTS"

    def state(self) -> StreamState | None:
        last = self.frames[-1].seq if self.frames else 0
        return StreamState(1, last, len(self.frames))

    def read(
        self,
        on_frames: Callable[[list[Frame]], None],
        *,
        start: int = 1,
        stop: int | None = None,
        subject: str | None = None,
    ) -> None:
        chosen = [f for f in self.frames if f.seq >= start and (stop is None or f.seq <= stop)]
        for at in range(0, len(chosen), 7):
            on_frames(chosen[at : at + 7])

    def checkpoint_texts(self) -> list[tuple[int, bytes]]:
        return list(enumerate(self.heads, start=1))

    def leaf_records(self) -> list[tuple[int, bytes]]:
        return self.leaves


def signed_log(count: int, sizes: list[int], key: Ed25519PrivateKey) -> MemoryStore:
    rng = random.Random(11)
    frames = [event(seq, rng, key=key) for seq in range(1, count + 1)]
    store = MemoryStore(frames)
    tree = MerkleTree(frame_leaf(f) for f in frames)
    previous = 0
    for size in sizes:
        store.heads.append(sign(key, "LEDGER", size, tree.root(size)).to_json().encode())
        records = b"".join(frame_leaf(f) + content_key(f) for f in frames[previous:size])
        store.leaves.append((previous + 1, records))
        previous = size
    return store


def renumbered(frames: list[Frame]) -> list[Frame]:
    """What re-publishing into a fresh stream does: the same messages at 1, 2, 3…"""
    return [Frame(i, f.subject, f.head, f.data) for i, f in enumerate(frames, start=1)]


def findings(store: MemoryStore, key: Ed25519PrivateKey) -> list[str]:
    report = verify_log(store, Trust(key.public_key())).report  # type: ignore[arg-type]
    problems = sorted(report.problems, key=lambda p: (p.seq, p.kind))
    return [f"{p.kind} {p.where}" for p in problems if p.kind != "root-mismatch"]


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def test_an_honest_log_verifies(key: Ed25519PrivateKey) -> None:
    store = signed_log(60, [20, 40, 60], key)
    report = verify_log(store, Trust(key.public_key())).report  # type: ignore[arg-type]
    assert report.ok, report.lines()
    assert (report.events, report.covered, report.valid_checkpoints) == (60, 60, 3)


def test_several_kinds_of_damage_at_once_are_each_named(key: Ed25519PrivateKey) -> None:
    store = signed_log(60, [20, 40, 60], key)
    f = list(store.frames)
    forged = Frame(0, f[30].subject, f[30].head.replace(b"Version: 1", b"Version: 9"), f[30].data)
    changed = Frame(0, f[44].subject, f[44].head, f[44].data + b" ")
    # swap 3 and 9; delete 15 (everything after moves up by one); insert a forged event
    # after 30; change 45; cut the last three off.
    edited = [*f[:2], f[8], *f[3:8], f[2], *f[9:14], *f[15:30], forged, *f[30:44], changed]
    edited += f[45:57]
    store.frames = renumbered(edited)
    assert findings(store, key) == [
        "swapped seqs 3 and 9",
        "deleted seq 15",
        "moved seqs 16..30",
        "bad-event-signature seq 30",  # its header changed: the signature no longer holds
        "inserted seq 30",
        "bad-event-signature seq 45",
        "changed seq 45",
        "truncated seqs 58..60",
    ]


def test_without_leaf_records_damage_is_placed_between_checkpoints(
    key: Ed25519PrivateKey,
) -> None:
    store = signed_log(60, [20, 40, 60], key)
    store.leaves = []
    f = store.frames
    store.frames = renumbered([*f[:25], f[26], f[25], *f[27:]])
    report = verify_log(store, Trust(key.public_key())).report  # type: ignore[arg-type]
    assert [(p.kind, p.where) for p in report.problems] == [
        ("root-mismatch", f"checkpoint size 40 ({report.problems[0].where.split('(')[1]}")
    ]
    assert "the first difference is in seqs 21..40" in report.problems[0].detail
    assert any("no leaf records vouch for seqs 21..40" in n for n in report.notes)
    assert report.covered == 20


def test_forged_leaf_records_are_not_believed(key: Ed25519PrivateKey) -> None:
    store = signed_log(40, [20, 40], key)
    first, records = store.leaves[1]
    store.leaves[1] = (first, bytes(32) + records[32:])  # a record that no root vouches for
    store.frames = renumbered([*store.frames[:30], *store.frames[31:]])
    report = verify_log(store, Trust(key.public_key())).report  # type: ignore[arg-type]
    assert [p.kind for p in report.problems] == ["truncated"]  # no word on seq 31
    assert any("no leaf records vouch for seqs 21..40" in n for n in report.notes)


def test_without_leaf_records_a_changed_payload_is_still_named(key: Ed25519PrivateKey) -> None:
    store = signed_log(40, [20, 40], key)
    store.leaves = []
    f = store.frames
    store.frames = [*f[:24], Frame(25, f[24].subject, f[24].head, b"{}"), *f[25:]]
    assert findings(store, key) == ["bad-event-signature seq 25", "changed seq 25"]

"""Many signatures at once: ``SignatureCheck.prove`` verifies a page's (or a workers' batch's)
signatures on threads and remembers exactly the good ones; ``problem`` then answers the same
as checking one by one would, without verifying a good one again."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.nats import _signing
from ledger.nats._client import OutMessage, RawMessage
from ledger.nats._keys import key_id
from ledger.nats._signing import PROVE_AT_LEAST, EventSigner, SignatureCheck


def _messages(key: Ed25519PrivateKey, count: int) -> list[RawMessage]:
    out = []
    for seq in range(1, count + 1):
        message = OutMessage(
            f"k.decision.{seq}.made",
            b'{"n": %d}' % seq,
            {"Nats-Msg-Id": f"m{seq}", "Koers-Version": "1", "Koers-Type": "decision.made"},
        )
        EventSigner(key).sign(message)
        out.append(RawMessage(seq, message.subject, message.headers, message.data))
    return out


def test_prove_remembers_the_good_signatures_and_problem_still_names_the_bad() -> None:
    key = Ed25519PrivateKey.generate()
    check = SignatureCheck(lambda: {key_id(key): key.public_key()})
    messages = _messages(key, 40)
    tampered = {5, 17, 33}
    for seq in tampered:  # the payload changed after signing
        m = messages[seq - 1]
        messages[seq - 1] = RawMessage(m.seq, m.subject, m.headers, m.data + b" ")
    unsigned = RawMessage(41, "k.decision.41.made", {"Koers-Version": "1"}, b"{}")
    check.prove([*messages, unsigned])
    verified: list[int] = []
    original = _signing.signature_problem

    def counting(message: RawMessage, keys: _signing.TrustedKeys) -> str | None:
        verified.append(message.seq)
        return original(message, keys)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_signing, "signature_problem", counting)
        problems = {m.seq: check.problem(m) for m in [*messages, unsigned]}
    assert {seq for seq, why in problems.items() if why is not None} == {*tampered, 41}
    assert all("does not verify" in str(problems[seq]) for seq in tampered)
    assert problems[41] == _signing.UNSIGNED
    assert sorted(verified) == [*sorted(tampered), 41]  # the good ones: from memory


def test_a_few_are_left_to_problem_and_no_keys_means_nothing_to_check() -> None:
    key = Ed25519PrivateKey.generate()
    check = SignatureCheck(lambda: {key_id(key): key.public_key()})
    few = _messages(key, PROVE_AT_LEAST - 1)
    check.prove(few)
    assert not check._good
    assert all(check.problem(m) is None for m in few)
    assert len(check._good) == len(few)
    nobody = SignatureCheck(dict)
    nobody.prove(_messages(key, 40))
    assert not nobody._good

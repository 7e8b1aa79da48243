"""``as_of`` with its offset's ``+`` sent unencoded (issue #14): a query string decodes it as
a space, and the API reads it as the ``+`` it was, on a thing's read and on a view; what is
still not a time says to encode ``+`` as ``%2B``. On a real nats-server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta, timezone

import pytest

from ledger.domain import Objective
from tests.api.test_api_support import Api, objective, running_api


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    with running_api() as running:
        yield running


def test_an_unencoded_plus_reads_as_the_offset_it_was(api: Api) -> None:
    made = api.ok("/objectives", objective())["id"]
    then = (api.koers.load(Objective, made).created_on + timedelta(minutes=1)).replace(
        microsecond=0
    )
    plus = then.astimezone(timezone(timedelta(hours=2))).isoformat(timespec="seconds")
    assert plus.endswith("+02:00")
    encoded = api.client.get(f"/objectives/{made}", params={"as_of": plus})
    assert encoded.status_code == 200, encoded.text
    for raw in (plus, plus.replace("+", " "), plus.replace("+", "%20")):
        answer = api.client.get(f"/objectives/{made}?as_of={raw}")  # "+" as a browser sends it
        assert answer.status_code == 200, (raw, answer.text)
        assert answer.json() == encoded.json()
    period = objective()["period"]
    view = api.client.get(f"/teams/platform/okr-progress?period={period}&as_of={plus}")
    assert view.status_code == 200, view.text
    assert view.json()["at"] == then.isoformat(timespec="microseconds")  # the same moment


def test_what_is_still_not_a_time_says_to_encode_the_plus(api: Api) -> None:
    made = api.ok("/objectives", objective())["id"]
    wrong = api.client.get(f"/objectives/{made}?as_of=2026-11-28T09:03:44+0x:00")
    assert wrong.status_code == 422
    assert "encode + as %2B" in wrong.json()["detail"]

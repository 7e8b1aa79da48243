"""Cached view reads: a view answer is served again while the views' position and the
reader's check allow it — a write (a new position) is never hidden, a 304 needs the tag of
the current answer, and a cached answer never reaches a reader the route refuses. "As of"
reads start from the views' checkpoints and take turns."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from ledger.api._problems import ApiProblem
from ledger.api._view_cache import AsOfTurns, ViewCache, matches
from projections import okr_progress, views_as_of
from tests.api.test_api import problem
from tests.api.test_api_support import (
    TODAY,
    Api,
    delegation,
    key_result,
    objective,
    quarter,
    running_api,
)
from tests.conftest import fresh_env

PERIOD = quarter(TODAY)
OKR = f"/teams/platform/okr-progress?period={PERIOD}"


def _get(api: Api, path: str, who: str = "ann", **headers: str) -> httpx.Response:
    return api.client.get(path, headers={"Koers-Actor": who, **headers})


def _kr_current(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    current: str = response.json()["objectives"][0]["key_results"][0]["current"]
    return current


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Any:
    views = tmp_path_factory.mktemp("cache") / "views.sqlite3"
    env = {**fresh_env(), "KOERSVIEWS_CHECKPOINT_EVERY": "3"}
    with running_api(env, views=views) as api:
        oid = api.ok("/objectives", objective())["id"]
        kr = api.ok("/key-results", key_result(oid))["id"]
        yield api, kr


def test_a_cached_answer_is_served_until_a_write_moves_the_position(served: Any) -> None:
    api, kr = served
    first = api.ok(f"/key-results/{kr}/check-ins", {"value": "6", "confidence": 7})
    read = _get(api, f"{OKR}&min_position={first['position']}")
    assert _kr_current(read) == "6"
    tag = read.headers["etag"]
    assert tag.startswith(f'"{read.json()["position"]}-')
    again = _get(api, OKR)  # the same position and parameters: the cached answer, same tag
    assert (again.headers["etag"], again.content) == (tag, read.content)
    unchanged = _get(api, OKR, **{"If-None-Match": tag})
    assert (unchanged.status_code, unchanged.content) == (304, b"")
    assert unchanged.headers["etag"] == tag
    assert _get(api, OKR, **{"If-None-Match": f'W/{tag}, "other"'}).status_code == 304

    second = api.ok(f"/key-results/{kr}/check-ins", {"value": "7", "confidence": 7})
    after = _get(api, f"{OKR}&min_position={second['position']}", **{"If-None-Match": tag})
    assert _kr_current(after) == "7"  # read your writes: the new position is a new answer
    assert after.headers["etag"] != tag
    assert after.json()["position"] >= second["position"]


def test_a_cached_answer_never_reaches_a_reader_the_route_refuses(served: Any) -> None:
    api, _ = served
    seen = _get(api, OKR)
    tag = seen.headers["etag"]
    member = _get(api, OKR, "bram")  # a member of platform may see what ann saw
    assert member.status_code == 200
    assert member.json()["objectives"] == seen.json()["objectives"]
    for headers in ({}, {"If-None-Match": tag}, {"If-None-Match": "*"}):
        problem(_get(api, OKR, "cem", **headers), 404, "not-found")  # sales: not platform's

    made = api.ok("/delegations", delegation(owner="bram"))
    everyone = _get(api, f"/delegation-board?min_position={made['position']}", "audrey")
    assert "bram" in everyone.text
    own = _get(api, "/delegation-board", "ann")  # ann's own board has none of bram's
    assert own.status_code == 200
    assert "Hiring plan" not in own.text
    assert own.headers["etag"] != everyone.headers["etag"]
    mine = _get(api, "/delegation-board?owner=bram", "audrey")
    refused = _get(
        api, "/delegation-board?owner=bram", "ann", **{"If-None-Match": mine.headers["etag"]}
    )
    problem(refused, 404, "not-found")
    issued = api.ok("/prompts", {"to": "ann", "question": "Which call would you redo?"},
                    **{"Koers-Actor": "koers"})  # fmt: skip
    inbox = _get(api, f"/people/ann/prompt-inbox?min_position={issued['position']}")
    assert "Which call" in inbox.text
    for headers in ({}, {"If-None-Match": inbox.headers["etag"]}):
        problem(_get(api, "/people/ann/prompt-inbox", "bram", **headers), 404, "not-found")


def test_as_of_reads_start_from_checkpoints_and_answer_as_a_full_replay(served: Any) -> None:
    api, kr = served
    for value in ("1", "2", "3", "4"):
        last = api.ok(f"/key-results/{kr}/check-ins", {"value": value, "confidence": 5})
    api.runner.wait_for(last["position"])
    assert api.runner.checkpoints.positions()  # taken as the runner followed (every 3)
    api.runner.checkpoint()
    kept = api.runner.checkpoints.positions()
    for position in sorted({1, kept[0], kept[0] + 1, kept[-1], last["position"] - 1}):
        answer = _get(api, f"{OKR}&position={position}")
        assert answer.status_code == 200, answer.text
        replayed = views_as_of(api.koers, position=position)
        try:
            expected = orjson.loads(orjson.dumps(okr_progress(replayed, "platform", PERIOD)))
        finally:
            replayed.close()
        assert answer.json() == expected, position
        again = _get(api, f"{OKR}&position={position}")
        assert again.headers["etag"] == answer.headers["etag"]  # kept: it never changes


def test_a_burst_of_as_of_reads_waits_its_turn_and_live_reads_go_on(tmp_path: Path) -> None:
    with running_api(views=tmp_path / "views.sqlite3") as api:
        api.app.state.as_of_turns = AsOfTurns(1, 0)
        inside, release = threading.Event(), threading.Event()
        as_of = api.runner.as_of

        def slow(*args: Any) -> Any:
            inside.set()
            release.wait(30)
            return as_of(*args)

        api.runner.as_of = slow
        first: list[httpx.Response] = []
        holder = threading.Thread(target=lambda: first.append(_get(api, f"{OKR}&position=1")))
        holder.start()
        try:
            assert inside.wait(30)
            busy = _get(api, f"{OKR}&position=2")
            problem(busy, 503, "unavailable")
            assert busy.headers["retry-after"] == "1"
            assert _get(api, OKR).status_code == 200  # live reads take no turn
        finally:
            release.set()
            holder.join(30)
        assert first[0].status_code == 200


def test_the_cache_keeps_live_answers_for_its_age_and_as_of_answers_for_good(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [100.0]
    monkeypatch.setattr("ledger.api._view_cache.time.monotonic", lambda: clock[0])
    cache = ViewCache(max_age=1.0, size=2)
    live = cache.put(("okr", 7), 7, {"n": 1}, lasting=False)
    kept = cache.put(("okr", "as of", 3), 3, {"n": 2}, lasting=True)
    assert cache.get(("okr", 7)) is live
    clock[0] += 1.5
    assert cache.get(("okr", 7)) is None  # now-relative numbers at most max_age old
    assert cache.get(("okr", "as of", 3)) is kept
    cache.put(("a", 1), 1, 1, lasting=True)
    cache.put(("b", 1), 1, 1, lasting=True)
    assert cache.get(("okr", "as of", 3)) is None  # the least recently used went first
    assert cache.put(("c", 1), 1, 1, lasting=True, keep=False)
    assert cache.get(("c", 1)) is None
    off = ViewCache(max_age=0)
    off.put(("d", 1), 1, 1, lasting=True)
    assert off.get(("d", 1)) is None
    assert kept.body == b'{"n":2}'
    assert matches('"x", W/"3-a"', '"3-a"')
    assert matches("*", '"3-a"')
    assert not matches(None, '"3-a"')
    assert not matches('"3-b"', '"3-a"')


def test_as_of_turns_refuse_with_retry_after_when_none_frees_up() -> None:
    async def scenario() -> ApiProblem:
        turns = AsOfTurns(1, 0.01)
        async with turns:
            try:
                async with turns:
                    raise AssertionError("a second turn while the only one is taken")
            except ApiProblem as e:
                refused = e
        async with turns:  # free again
            pass
        return refused

    refused = asyncio.run(scenario())
    assert refused.headers == {"Retry-After": "1"}


def test_views_another_process_commits_to_are_read_off_the_event_loop() -> None:
    """With views in PostgreSQL the committed position is a query: the API reads it in a
    thread, so a slow or unreachable database never holds the event loop; SQLite views that
    this process commits to answer on the loop, without a thread hop."""
    import asyncio
    import threading

    from ledger.api._views import _committed

    class Views:
        def __init__(self, cheap: bool) -> None:
            self.position_is_cheap = cheap
            self.read_in: list[threading.Thread] = []

        @property
        def committed_position(self) -> int:
            self.read_in.append(threading.current_thread())
            return 7

    shared, own = Views(cheap=False), Views(cheap=True)

    async def read() -> tuple[int, int, threading.Thread]:
        return await _committed(shared), await _committed(own), threading.current_thread()  # type: ignore[arg-type]

    first, second, loop = asyncio.run(read())
    assert (first, second) == (7, 7)
    assert shared.read_in != [loop]  # a worker thread
    assert own.read_in == [loop]

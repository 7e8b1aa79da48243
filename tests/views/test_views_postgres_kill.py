"""PostgreSQL killed under load (``slow``, runs in CI): the API's view reads answer 503 with a
problem saying which database is unavailable and what to do, writes go on (they do not need
the views), and after a restart the views resume where they were, their runner holding its
writer lock again: every event applied once (the check-ins the views hold are those of the
log, and the views equal a replay of it).
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path
from uuid import UUID

import httpx
import pytest

from ledger.domain import KeyResult
from ledger.embedded._postgres import PostgresServer
from projections import ViewRunner, dump, views_as_of
from projections._lock import ViewsBusy
from tests.api.test_api_support import ANN, TODAY, Api, key_result, objective, quarter, running_api
from tests.conftest import fresh_env


class CheckIns:
    """One client checking in on a key result, as fast as it can, until stopped; the stream
    positions of its acknowledged writes."""

    def __init__(self, api: Api, kr: str) -> None:
        self.api, self.kr = api, kr
        self.acked: list[int] = []
        self.refused = ""  # the last answer that was not an acknowledgement
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        auth = {"Authorization": f"Bearer {self.api.tokens.of('ann')}"}
        with httpx.Client(base_url=self.api.url, timeout=30, headers=auth) as http:
            n = 0
            while not self.stop.is_set():
                body = {"value": str(n), "confidence": 7, "note": f"n{n}"}
                key = {"Idempotency-Key": f"k{n}"}
                done = http.post(f"/key-results/{self.kr}/check-ins", json=body, headers=key)
                if done.is_success:
                    self.acked.append(int(done.json()["position"]))
                    n += 1
                else:
                    self.refused = f"{done.status_code} {done.text}"
                    time.sleep(0.05)

    def more(self, count: int, within: float = 60.0) -> None:
        wanted = len(self.acked) + count
        deadline = time.monotonic() + within
        while len(self.acked) < wanted:
            assert time.monotonic() < deadline, f"writes did not go on: {self.refused}"
            time.sleep(0.02)


def _progress(api: Api, position: int) -> httpx.Response:
    params = {"period": quarter(TODAY), "min_position": str(position)}
    return api.client.get("/teams/platform/okr-progress", params=params, headers=ANN)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_postgresql_killed_under_load_gives_503_then_resumes_with_each_event_once() -> None:
    folder = Path(tempfile.mkdtemp(prefix="koers-test-pg-kill-"))
    folder.chmod(0o711)  # as root the server runs as nobody
    server = PostgresServer(folder / "pg").start()
    try:
        with running_api({**fresh_env(), "KOERS_VIEWS_URL": server.url}) as api:
            oid = api.ok("/objectives", objective())["id"]
            kr = api.ok("/key-results", key_result(oid))["id"]
            writer = CheckIns(api, kr)
            writer.thread.start()
            try:
                writer.more(5)
                assert _progress(api, writer.acked[-1]).status_code == 200

                server.kill()
                down = _progress(api, writer.acked[-1] + 1)
                assert down.status_code == 503, down.text
                problem = down.json()
                assert problem["type"] == "/problems/unavailable"
                where = f"the view database postgresql://127.0.0.1:{server.port}/koers"
                assert problem["detail"].startswith(where), problem
                assert "retry in a moment" in problem["detail"]
                assert down.headers["Retry-After"] == "5"
                health = api.client.get("/health", headers=ANN).json()
                assert (health["status"], health["views"]) == ("degraded", None)
                writer.more(5)  # writes go on without the views

                server.start()
                latest = writer.acked[-1]
                deadline = time.monotonic() + 60
                while (answer := _progress(api, latest)).status_code != 200:
                    assert time.monotonic() < deadline, answer.text
                    time.sleep(0.2)
                writer.more(5)  # and the views follow again
                with pytest.raises(ViewsBusy):  # the runner took its lock again
                    ViewRunner(api.env, app=api.koers)
            finally:
                writer.stop.set()
                writer.thread.join(60)

            last = api.koers.recorder.max_notification_id()
            api.runner.wait_for(last, timeout=60)
            stored = api.koers.load(KeyResult, UUID(kr)).check_ins
            held = api.runner.views.rows(
                "SELECT COUNT(*) AS n FROM kr_check_ins WHERE kr_id = ?", kr
            )[0]["n"]
            assert held == len(stored) >= 15  # none applied twice, none missed
            replayed = views_as_of(api.koers)
            try:
                assert dump(api.runner.views) == dump(replayed)
            finally:
                replayed.close()
    finally:
        server.remove()
        folder.rmdir()

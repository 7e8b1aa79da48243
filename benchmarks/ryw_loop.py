"""Read your writes across processes, counted: how many HTTP reads with ``min_position`` see
the write they follow, when the team was made by another process.

Run from the repository root::

    .venv/bin/python -m benchmarks.ryw_loop            # 6 teams x 10 check-ins, one API child
    .venv/bin/python -m benchmarks.ryw_loop --teams 20

On a fresh embedded nats-server, the demo quarter is written to a stream and one API child
(``views_bench.api_child``: the composition of ``koers serve``) serves it. This process makes
each team (``bench`` its lead, one objective, three key results) through its own ``Koers``,
then, through the child, posts check-ins and reads the team's ``okr-progress`` with the
check-in's ``min_position``: the read must answer 200 and list the check-in. It prints each
miss and the count, and exits 1 on any miss. This is a check more than a timing: it found
the two read-your-writes bugs fixed in ``6f700ec`` and ``730cc5c`` (BENCHMARKS.md, "Views
and read API").
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from pathlib import Path

import httpx

from benchmarks._harness import nats_server
from benchmarks.views_bench import (
    API_STREAM,
    DEMO_TODAY,
    api_child,
    api_token,
    demo_events,
    new_board,
    seen_in,
    write_log,
)
from ledger.application import Koers
from ledger.demo._directory import ADMIN
from ledger.settings import AuditSettings

CHECK_INS = 10


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=6, help="teams made, 10 check-ins each")
    teams = parser.parse_args(argv).teams
    seen = missed = 0
    with tempfile.TemporaryDirectory(prefix="koers-ryw-") as folder:
        tmp = Path(folder)
        with nats_server(tmp / "server") as server:
            env = {"NATS_URL": server.url, "NATS_STREAM": API_STREAM,
                   "NATS_CREATE_STREAM": "yes", "KOERS_DATA_DIR": str(tmp / "api")}  # fmt: skip
            write_log(env, demo_events(DEMO_TODAY, None))
            app = Koers(env=env)
            try:
                app.add_person(actor=ADMIN, handle="bench", name="Bench")
                token = api_token(app, "bench")
                key = AuditSettings.from_env(env).key_path(tmp / "api")
                with (
                    api_child(server.url, API_STREAM, key, tmp / "child" / "views.sqlite3") as (
                        url,
                        _,
                    ),
                    httpx.Client(base_url=url, timeout=30,
                                 headers={"Authorization": f"Bearer {token}"}) as client,
                ):  # fmt: skip
                    for t in range(teams):
                        board = new_board(app, f"ryw-loop-{t}")
                        for i in range(CHECK_INS):
                            kr, idem = board.key_results[i % 3], f"ryw-loop/{t}/{i}"
                            posted = client.post(f"/key-results/{kr}/check-ins",
                                                 json={"value": str(i), "confidence": 7},
                                                 headers={"Idempotency-Key": idem})  # fmt: skip
                            posted.raise_for_status()
                            position = posted.json()["position"]
                            read = client.get(f"/teams/{board.team}/okr-progress",
                                              params={"period": board.period,
                                                      "min_position": position})  # fmt: skip
                            ok = read.status_code == 200 and seen_in(
                                read.json(), str(uuid.uuid5(kr, idem))
                            )
                            seen, missed = seen + ok, missed + (not ok)
                            if not ok:
                                print(f"missed: {idem} at {position}: {read.status_code} "
                                      f"{read.text[:200]}")  # fmt: skip
            finally:
                app.close()
    print(f"read your writes: {seen} of {seen + missed} reads saw their write")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

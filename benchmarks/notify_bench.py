"""Notification benchmark (issue 13): from a prompt stored to its e-mail accepted by the SMTP
server, p50/p99 (target p99 ≤ 2 s).

Run from the repository root::

    .venv/bin/python -m benchmarks.notify_bench            # the reported run (3 reps)
    .venv/bin/python -m benchmarks.notify_bench --quick    # smoke test: 20 prompts, 1 rep
    .venv/bin/python -m benchmarks.notify_bench --rate 3 --prompts 150   # another rate
    .venv/bin/python -m benchmarks.notify_bench --busy 4   # 4 processes spinning meanwhile

Each repetition: a fresh stream on one embedded nats-server (fsync always), the workers in
this process (defaults but no periodic crons), an aiosmtpd server on 127.0.0.1 that notes when
it accepted each message (after the data: the ``250``), and ``people`` people with e-mail on.
Prompts are issued at ``rate``/s through the application (``issue_prompt``, as the workers'
triggers issue them); a prompt's latency is the SMTP server's acceptance time minus the moment
``issue_prompt`` returned (the prompt stored), both on this process's clock, matched by the
Message-ID derived from the delivery. The SMTP server's own ceiling is measured in the same
run: the same messages sent to it by ``smtplib`` from 32 threads, nothing else. Also reported:
the CPU time of this process (application, workers and SMTP server) per prompt, what a
loaded machine must find for each. ``--busy N`` keeps N processes spinning on the CPU while
the prompts are issued and sent: a loaded machine, reproducibly.

Output: a markdown table on stdout and ``benchmarks/out/notify_bench.json``.
"""

from __future__ import annotations

import re
import smtplib
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from benchmarks._harness import (
    NO_CRONS,
    arguments,
    on_a_fresh_server,
    out_file,
    store_env,
    write_document,
)
from ledger.application import Koers
from ledger.embedded._config import free_port
from ledger.settings import NotifySettings, WorkerSettings
from workers import start_workers
from workers._outbox import delivery_id

OUT = out_file(__file__)
_MESSAGE_ID = re.compile(rb"^Message-ID: <([^@>]+)@", re.MULTILINE | re.IGNORECASE)


@dataclass(frozen=True)
class Sizes:
    prompts: int = 300
    rate: float = 10.0
    people: int = 20
    busy: int = 0


@contextmanager
def busy(processes: int) -> Iterator[None]:
    """``processes`` processes spinning on the CPU meanwhile (a loaded machine)."""
    spinning = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                for _ in range(processes)]  # fmt: skip
    try:
        yield
    finally:
        for process in spinning:
            process.kill()
            process.wait()


class Accepted:
    """The SMTP server's handler: when it accepted each Message-ID."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        found = _MESSAGE_ID.search(envelope.content)
        with self.lock:
            self.at.setdefault(found[1].decode() if found else "", time.time())
        return "250 OK"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def one_rep(url: str, rep: int, sizes: Sizes) -> dict[str, Any]:
    accepted = Accepted()
    port = free_port()
    controller = Controller(accepted, hostname="127.0.0.1", port=port, server_hostname="bench")
    controller.start()
    env = store_env(url, f"NB{rep}")
    notify = NotifySettings(smtp_url=f"smtp://127.0.0.1:{port}", public_url="http://koers.test")
    settings = WorkerSettings.for_store(env, crons=NO_CRONS, notify=notify)
    app = Koers(env=env)
    try:
        for n in range(sizes.people):
            app.add_person(actor="root", handle=f"p{n}", name=f"P{n}", email=f"p{n}@ex.org")
        stored: dict[str, float] = {}
        handle = start_workers(settings)
        cpu = time.process_time()
        try:
            with busy(sizes.busy):
                send_prompts(app, sizes, stored, accepted)
            cpu = time.process_time() - cpu
        finally:
            handle.stop()
        latencies = [accepted.at[i] - t for i, t in stored.items() if i in accepted.at]
        ceiling = smtp_ceiling(port, sizes.prompts)
    finally:
        app.close()
        controller.stop()
    return {"latencies": latencies, "missing": len(stored) - len(latencies), "ceiling": ceiling,
            "cpu_ms": cpu * 1000 / sizes.prompts}  # fmt: skip


def send_prompts(app: Koers, sizes: Sizes, stored: dict[str, float], accepted: Accepted) -> None:
    """Issue the prompts at the rate, then wait (up to 120 s) for their e-mails."""
    for n in range(sizes.prompts):
        due = time.time()
        person = f"p{n % sizes.people}"
        receipt = app.issue_prompt(actor="koers", to=person, question=f"Q{n}?",
                                   kind="manual", triggered_by=[])  # fmt: skip
        ident = delivery_id(f"prompt:{receipt.id}", "email", person)
        stored[ident] = time.time()
        time.sleep(max(0.0, due + 1 / sizes.rate - time.time()))
    deadline = time.time() + 120
    while time.time() < deadline and not set(stored) <= set(accepted.at):
        time.sleep(0.05)


def smtp_ceiling(port: int, count: int) -> float:
    """Messages per second the SMTP server takes from ``smtplib`` in 32 threads, alone."""

    def send(n: int) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "a@ex.org", "b@ex.org", f"{n}"
        message["Message-ID"] = f"<ceiling-{n}@bench>"
        message.set_content("x")
        with smtplib.SMTP("127.0.0.1", port, "bench", timeout=30) as smtp:
            smtp.send_message(message)

    started = time.perf_counter()
    with ThreadPoolExecutor(32) as pool:
        list(pool.map(send, range(count)))
    return count / (time.perf_counter() - started)


def measure(url: str, tmp: Path, sizes: Sizes, reps: int) -> list[dict[str, Any]]:
    return [one_rep(url, rep, sizes) for rep in range(reps)]


def report(results: list[dict[str, Any]]) -> None:
    print("\nprompt stored → e-mail accepted by the SMTP server [ms]:\n")
    print("| rep | prompts | p50 | p99 | max | missing | CPU per prompt, ms "
          "| SMTP server alone, msgs/s |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for n, r in enumerate(results, 1):
        ms = [v * 1000 for v in r["latencies"]]
        print(f"| {n} | {len(ms)} | {statistics.median(ms):.0f} | {percentile(ms, 0.99):.0f} | "
              f"{max(ms):.0f} | {r['missing']} | {r['cpu_ms']:.1f} | "
              f"{r['ceiling']:.0f} |")  # fmt: skip


def main() -> None:
    parser = arguments(__doc__, default_reps=3)
    parser.add_argument("--rate", type=float, help="prompts per second (default 10)")
    parser.add_argument("--prompts", type=int, help="prompts per repetition (default 300)")
    parser.add_argument("--busy", type=int, default=0,
                        help="processes spinning on the CPU meanwhile (default 0)")  # fmt: skip
    args = parser.options()
    sizes = Sizes(prompts=20, rate=10.0, people=5) if args.quick else Sizes()
    sizes = replace(sizes, rate=args.rate or sizes.rate, prompts=args.prompts or sizes.prompts,
                    busy=args.busy)  # fmt: skip
    results, run = on_a_fresh_server(
        "notify", ["workers", "ledger"], args, sizes,
        lambda url, tmp: measure(url, tmp, sizes, args.reps),
    )  # fmt: skip
    report(results)
    summary = [
        {"p50_ms": round(statistics.median(r["latencies"]) * 1000, 1),
         "p99_ms": round(percentile(r["latencies"], 0.99) * 1000, 1),
         "max_ms": round(max(r["latencies"]) * 1000, 1), "missing": r["missing"],
         "cpu_per_prompt_ms": round(r["cpu_ms"], 1),
         "smtp_ceiling_per_s": round(r["ceiling"], 1)}
        for r in results
    ]  # fmt: skip
    write_document(OUT, run, results=summary)


if __name__ == "__main__":
    main()
